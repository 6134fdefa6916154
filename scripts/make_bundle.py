"""Make the offline bundle: dist/dkfi-bundle-<version>-<python>-<platform>.tar.gz (packaging/README.md).

Run by `make bundle`, after `make wheel`:  .venv/bin/python scripts/make_bundle.py [--wheel PATH] [--out DIR]

The bundle holds the dkfi wheel and a wheelhouse of every runtime dependency for the Python running this script
and its platform (`pip wheel --prefer-binary`: a binary wheel wherever one exists, any sdist-only dependency built
into a wheel here), pinned to the versions installed beside this script (the ones the tests ran with); the Alembic
migrations, copied out of the wheel to read; packaging/install.sh, dkfi.env.example and README.md; BUNDLE.json;
and SHA256SUMS of all of them. This step reaches the package index (pip's cache makes a repeat fast); installing
the bundle never does. The unpacked tree stays in <out>/bundle/<name>/ (the delivery tests use its wheelhouse).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
import tomllib
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from packaging.tags import sys_tags
from packaging.utils import canonicalize_name, parse_wheel_filename
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
COPIED = {"install.sh": 0o755, "dkfi.env.example": 0o644, "README.md": 0o644}
STEPS = 6
console = Console(stderr=True, highlight=False, soft_wrap=True)


class BundleError(Exception):
    """The bundle cannot be made; the message names what and why."""


def version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def python_tag() -> str:
    return f"cp{sys.version_info[0]}{sys.version_info[1]}"


def platform_tag() -> str:
    """This machine's platform as in wheel tags (linux_x86_64); install.sh compares it the same way."""
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


def bundle_name(ver: str) -> str:
    return f"dkfi-bundle-{ver}-{python_tag()}-{platform_tag()}"


def step(n: int, text: str) -> None:
    console.print(f"[bold][{n}/{STEPS}][/bold] {text}")


def pins() -> list[str]:
    """name==version of every distribution beside this script but dkfi: the bundle gets what the tests ran with."""
    out = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and canonicalize_name(name) != "dkfi":
            out[canonicalize_name(name)] = f"{name}=={dist.version}"
    return sorted(out.values())


def build_wheelhouse(wheel: Path, wheelhouse: Path, work: Path) -> list[str]:
    """pip wheel of the dkfi wheel and its dependencies into ``wheelhouse``; returns the ones built from sdists."""
    constraints = work / "constraints.txt"
    constraints.write_text("\n".join(pins()) + "\n", encoding="utf-8")
    log = work / "pip-wheel.log"
    cmd = [sys.executable, "-m", "pip", "wheel", "--prefer-binary", "--disable-pip-version-check",
           "--wheel-dir", str(wheelhouse), "--constraint", str(constraints), str(wheel)]
    with console.status(f"pip wheel {wheel.name} and its dependencies (log: {log})"):
        with log.open("w", encoding="utf-8") as fh:
            done = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT)
    text = log.read_text(encoding="utf-8", errors="replace")
    if done.returncode != 0:
        console.print(text[-4000:], markup=False)
        raise BundleError(f"pip wheel failed (exit {done.returncode}); its whole output: {log}")
    return sorted(set(re.findall(r"Building wheel for (\S+)", text)))


def check_wheelhouse(wheelhouse: Path, wheel: Path) -> list[Path]:
    """Every file is a wheel this Python and platform can install, one version per project, dkfi's among them."""
    supported = set(sys_tags())
    wheels, seen = sorted(wheelhouse.iterdir()), dict[str, str]()
    for path in wheels:
        try:
            name, ver, _, tags = parse_wheel_filename(path.name)
        except Exception as exc:  # packaging's InvalidWheelFilename, or a stray file that is no wheel at all
            raise BundleError(f"{path}: not a wheel ({exc})") from None
        if not tags & supported:
            raise BundleError(f"{path.name}: built for {', '.join(sorted(map(str, tags)))}, which "
                              f"{python_tag()} on {platform_tag()} cannot install")
        if name in seen:
            raise BundleError(f"two versions of {name} in the wheelhouse: {seen[name]} and {path.name}")
        seen[name] = path.name
    if wheel.name not in {p.name for p in wheels}:
        raise BundleError(f"{wheel.name} is not in the wheelhouse after pip wheel")
    return wheels


def copy_migrations(wheel: Path, dest: Path) -> int:
    """The wheel's dkfi/migrations/ (what the installed package applies), without compiled files."""
    n = 0
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if not name.startswith("dkfi/migrations/") or name.endswith("/") or "__pycache__" in name:
                continue
            target = dest / name.removeprefix("dkfi/migrations/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(name))
            n += 1
    if not any(dest.glob("versions/*.py")):
        raise BundleError(f"{wheel.name} holds no dkfi/migrations/versions/*.py")
    return n


def sha256(path: Path, progress: Progress | None = None, task=None) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            if progress is not None:
                progress.advance(task, len(chunk))
    return h.hexdigest()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                    console=console, transient=True)


def write_sums(stage: Path) -> None:
    files = [p for p in files_under(stage) if p.name != "SHA256SUMS"]
    lines = []
    with bar() as progress:
        task = progress.add_task("SHA-256", total=sum(p.stat().st_size for p in files))
        for path in files:
            lines.append(f"{sha256(path, progress, task)}  {path.relative_to(stage).as_posix()}")
    (stage / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_archive(stage: Path, archive: Path) -> None:
    """``stage`` as one folder in a .tar.gz (level 1: the wheels are compressed already), written whole or not."""
    part = archive.with_name(archive.name + ".part")
    files = files_under(stage)
    with bar() as progress, tarfile.open(part, "w:gz", compresslevel=1) as tar:
        task = progress.add_task("archive", total=sum(p.stat().st_size for p in files))
        tar.add(stage, arcname=stage.name, recursive=False)
        for path in files:
            tar.add(path, arcname=f"{stage.name}/{path.relative_to(stage).as_posix()}", recursive=False)
            progress.advance(task, path.stat().st_size)
    os.replace(part, archive)


def make(wheel: Path, out: Path) -> Path:
    started = time.monotonic()
    ver = version()
    if not wheel.is_file():
        raise BundleError(f"{wheel}: no such wheel; make it first with `make wheel`")
    if parse_wheel_filename(wheel.name)[1].public != ver:
        raise BundleError(f"{wheel.name} is not dkfi {ver} (pyproject.toml): run `make wheel` again")
    name = bundle_name(ver)
    stage = out / "bundle" / name
    work = out / "bundle" / f".{name}.work"
    for folder in (stage, work):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    step(1, f"wheelhouse for {python_tag()} on {platform_tag()}, pinned to this environment's versions")
    built = build_wheelhouse(wheel, stage / "wheelhouse", work)
    wheels = check_wheelhouse(stage / "wheelhouse", wheel)
    size = sum(p.stat().st_size for p in wheels)
    console.print(f"      {len(wheels)} wheels, {size / 1e6:.0f} MB"
                  + (f"; built here from sdists: {', '.join(built)}" if built else "; all binary or pure wheels"))

    step(2, "migrations, copied out of the wheel to read")
    console.print(f"      {copy_migrations(wheel, stage / 'migrations')} files in migrations/")

    step(3, "install.sh, dkfi.env.example, README.md")
    for fname, mode in COPIED.items():
        src = PACKAGING / fname
        if not src.is_file():
            raise BundleError(f"{src} is missing")
        shutil.copyfile(src, stage / fname)
        os.chmod(stage / fname, mode)

    step(4, "BUNDLE.json")
    info = {"name": "dkfi", "version": ver, "python": python_tag(), "platform": platform_tag(),
            "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "wheel": wheel.name, "wheels": [p.name for p in wheels], "built_from_sdist": built}
    (stage / "BUNDLE.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

    step(5, "SHA256SUMS")
    write_sums(stage)

    archive = out / f"{name}.tar.gz"
    step(6, f"archive {archive}")
    write_archive(stage, archive)
    digest = sha256(archive)
    Path(f"{archive}.sha256").write_text(f"{digest}  {archive.name}\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    console.print(f"{archive}: {archive.stat().st_size / 1e6:.0f} MB, sha256 {digest} "
                  f"({time.monotonic() - started:.0f} s)")
    return archive


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--wheel", type=Path, help="the dkfi wheel (default: dist/dkfi-<version>-py3-none-any.whl)")
    ap.add_argument("--out", type=Path, default=ROOT / "dist", help="where the archive goes (default: dist/)")
    args = ap.parse_args(argv)
    wheel = args.wheel or args.out / f"dkfi-{version()}-py3-none-any.whl"
    try:
        make(wheel.resolve(), args.out.resolve())
    except BundleError as exc:
        console.print(f"[red]make_bundle: error:[/red] {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
