"""Copy the third-party browser files listed in src/dkfi/web/vendor.txt into src/dkfi/web/static/vendor/.

Run after `npm ci` at the repository root:  .venv/bin/python scripts/copy_vendor.py [--check]
Each non-blank, non-comment line of vendor.txt is `<source relative to the repo root> <destination name>`.
With --check nothing is copied; the exit code is 1 if a destination is missing or differs from its source.
"""
from __future__ import annotations

import filecmp
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIST = ROOT / "src" / "dkfi" / "web" / "vendor.txt"
DEST = ROOT / "src" / "dkfi" / "web" / "static" / "vendor"


def entries() -> list[tuple[Path, Path]]:
    out = []
    for n, line in enumerate(LIST.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise SystemExit(f"{LIST}:{n}: expected '<source> <destination>', got {line!r}")
        src, dst = ROOT / parts[0], DEST / parts[1]
        if DEST.resolve() not in (dst.resolve().parents):
            raise SystemExit(f"{LIST}:{n}: destination {parts[1]!r} leaves the vendor folder")
        out.append((src, dst))
    return out


def main(argv: list[str]) -> int:
    check = "--check" in argv
    missing = [src for src, _ in entries() if not src.is_file()]
    if missing:
        for src in missing:
            print(f"missing {src.relative_to(ROOT)}: run `npm ci` at the repository root first", file=sys.stderr)
        return 1
    stale = 0
    for src, dst in entries():
        if check:
            if not dst.is_file() or not filecmp.cmp(src, dst, shallow=False):
                print(f"stale {dst.relative_to(ROOT)}", file=sys.stderr)
                stale += 1
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        print(f"{src.relative_to(ROOT)} -> {dst.relative_to(ROOT)}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
