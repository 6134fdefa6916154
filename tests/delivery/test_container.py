"""The container image's recipe (Containerfile, .containerignore) and the compose file of a node with PostgreSQL
and NATS, read as data: what docs/operations.md ("Run as a container") promises holds in them. Building and
running the image is .ci/run's job where podman works (tests/delivery/test_container.py only reads files)."""
from __future__ import annotations

import fnmatch
import re
import shlex
import tomllib
from dataclasses import dataclass

import pytest
import yaml

from tests.conftest import ROOT

CONTAINERFILE = ROOT / "Containerfile"
IGNORE = ROOT / ".containerignore"
COMPOSE = ROOT / "compose.yaml"
DATA = "/var/lib/dkfi"
# hosts of public content networks: nothing may be fetched from them, at build or at run time
CDN = ("unpkg.com", "jsdelivr", "cdnjs", "googleapis.com", "cloudflare", "gstatic", "fastly", "rawgit",
       "githubusercontent")


@dataclass
class Instruction:
    line: int
    keyword: str
    args: str


def instructions(text: str) -> list[Instruction]:
    """The Containerfile's instructions: comments dropped, continued lines joined (as buildah reads them)."""
    out: list[Instruction] = []
    pending, start = "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):  # a comment inside a continued instruction
            continue
        if not pending:
            start = n
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = pending + line
        pending = ""
        keyword, _, args = whole.partition(" ")
        out.append(Instruction(start, keyword.upper(), args.strip()))
    assert not pending, "the Containerfile ends inside a continued line"
    return out


def stages(ins: list[Instruction]) -> list[list[Instruction]]:
    """The instructions of each stage, from its FROM on."""
    out: list[list[Instruction]] = []
    for i in ins:
        if i.keyword == "FROM":
            out.append([])
        if out:
            out[-1].append(i)
    return out


def env_of(stage: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for i in stage:
        if i.keyword == "ENV":
            for part in shlex.split(i.args):
                k, _, v = part.partition("=")
                env[k] = v
    return env


@pytest.fixture(scope="module")
def recipe() -> list[Instruction]:
    return instructions(CONTAINERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_the_parser_reads_continued_lines_and_skips_comments():
    ins = instructions("# c\nFROM a AS b\nRUN x \\\n # inside\n  && y\nUSER 1\n")
    assert [(i.keyword, i.args, i.line) for i in ins] == [("FROM", "a AS b", 2), ("RUN", "x  && y", 3),
                                                          ("USER", "1", 6)]


def test_two_stages_from_a_base_an_enclave_can_replace(recipe):
    st = stages(recipe)
    assert len(st) >= 2, "a build stage and a slim runtime stage"
    first_from = next(n for n, i in enumerate(recipe) if i.keyword == "FROM")
    args = [i.args for i in recipe[:first_from] if i.keyword == "ARG"]
    assert any(a.startswith("BASE=") for a in args), "ARG BASE=... before the first FROM"
    assert all(s[0].args.split()[0] == "${BASE}" for s in st), "every stage starts from ${BASE}"
    build_steps = " ".join(i.args for i in st[0] if i.keyword == "RUN")
    assert "npm ci" in build_steps and "-m build --wheel" in build_steps
    runtime = " ".join(i.args for i in st[-1])
    assert "npm" not in runtime and "nodejs" not in runtime, "the runtime stage carries no build tools"
    venv = "/".join(("", "opt", "dkfi"))  # the image's path (not a folder of this machine)
    assert any(i.keyword == "COPY" and "--from=build" in i.args and venv in i.args for i in st[-1])


def test_the_runtime_runs_as_a_numeric_non_root_user(recipe):
    users = [i.args for i in stages(recipe)[-1] if i.keyword == "USER"]
    assert users, "the final stage sets USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0, f"USER {users[-1]}: a numeric uid other than 0 (runAsNonRoot checks)"
    assert not gid or (gid.isdigit() and int(gid) != 0)


def test_data_on_a_volume_and_nothing_else_written_to_the_root(recipe):
    final = stages(recipe)[-1]
    volumes = [v for i in final if i.keyword == "VOLUME" for v in i.args.replace('"', "").strip("[]").split()]
    assert DATA in volumes
    env = env_of(final)
    assert env.get("DKFI_DATA_DIR") == DATA
    assert env.get("HOME") == DATA, "caches under HOME land on the volume"
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1", "no __pycache__ written next to the code"
    assert env.get("DKFI_LOG_FORMAT") == "json"
    assert any(i.keyword == "WORKDIR" and i.args == DATA for i in final)


def test_health_check_calls_healthz_and_the_entrypoint_migrates_then_serves(recipe):
    final = stages(recipe)[-1]
    (check,) = [i.args for i in final if i.keyword == "HEALTHCHECK"]
    assert " CMD " in f" {check} " and "/healthz" in check and "curl" not in check
    (expose,) = [i.args.split() for i in final if i.keyword == "EXPOSE"]
    assert {"8000", "8443"} <= set(expose)
    (entry,) = [i.args for i in final if i.keyword == "ENTRYPOINT"]
    upgrade, serve = entry.find("dkfi db upgrade"), entry.find("dkfi serve --host 0.0.0.0")
    assert 0 <= upgrade < serve, entry
    assert "--port 8000" in entry


def test_the_commands_the_image_runs_exist():
    from typer.testing import CliRunner

    from dkfi.cli.main import app as cli

    runner = CliRunner()
    for args in (["db", "upgrade", "--help"], ["serve", "--help"]):
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, (args, res.output)
    assert "--host" in runner.invoke(cli, ["serve", "--help"]).output


def test_nothing_is_piped_into_a_shell_or_fetched_from_a_cdn(recipe):
    text = CONTAINERFILE.read_text(encoding="utf-8")
    for i in recipe:
        assert not re.search(r"(curl|wget)[^|;&]*\|\s*(ba|z)?sh\b", i.args), f"line {i.line}: piped into a shell"
    for host in CDN:
        assert host not in text, f"Containerfile names {host}"
    urls = re.findall(r"[a-z]+://[^\s'\"]+", text)
    assert all(u.startswith(("http://127.0.0.1:", "https://127.0.0.1:")) or "://127.0.0.1:" in u for u in urls), urls


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether .containerignore leaves ``path`` out of the build context (last matching pattern wins; a pattern
    also covers everything under a matching folder)."""
    ignored = False
    parts = path.split("/")
    for pat in patterns:
        neg = pat.startswith("!")
        p = pat[1:] if neg else pat
        p = p.rstrip("/")
        prefixes = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]
        hit = any(fnmatch.fnmatchcase(pre, p) or (p.startswith("**/") and
                                                  any(fnmatch.fnmatchcase(seg, p[3:]) for seg in pre.split("/")))
                  for pre in prefixes)
        if hit:
            ignored = not neg
    return ignored


def test_every_copy_source_exists_and_is_in_the_build_context(recipe):
    patterns = [line.strip() for line in IGNORE.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*", ".containerignore is an allowlist"
    for i in recipe:
        if i.keyword != "COPY" or "--from=" in i.args:
            continue
        *sources, _dest = [a for a in i.args.split() if not a.startswith("--")]
        for src in sources:
            assert (ROOT / src).exists(), f"line {i.line}: COPY {src}: not in the repository"
            if src != ".":
                assert not _ignored(src, patterns), f"line {i.line}: COPY {src} is left out by .containerignore"
    # what the wheel is built from is in the context; what must never be is not
    build = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]
    needed = ["pyproject.toml", "README.md", "package.json", "package-lock.json", "scripts/copy_vendor.py",
              "src/dkfi/__init__.py", "src/dkfi/web/vendor.txt", *build.get("backend-path", [])]
    for path in needed:
        assert not _ignored(path, patterns), f"{path} is needed by the build but left out of the context"
    for path in (".venv/bin/python", "node_modules/htmx.org/package.json", "var/dkfi.sqlite", "var/secret.key",
                 ".git/config", "src/dkfi/web/static/vendor/htmx.min.js", "src/dkfi/core/__pycache__/x.pyc"):
        assert _ignored(path, patterns), f"{path} would be copied into the build context"


def test_compose_runs_the_node_read_only_after_postgres_and_nats_are_healthy(compose):
    services = compose["services"]
    node = services["node"]
    assert node["read_only"] is True
    assert "/tmp" in node["tmpfs"]
    assert any(v.split(":")[1] == DATA for v in node["volumes"])
    assert node["env_file"], "secrets come from an env file"
    env = node["environment"]
    assert env["DKFI_BUS"] == "nats" and env["DKFI_NATS_URL"] == "nats://nats:4222"
    url = env["DKFI_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
    assert ":" not in url.split("://", 1)[1].split("@", 1)[0], "no password inline in the database URL"
    assert not [k for k in env if re.search("PASSWORD|SECRET|TOKEN|KEY", k)], "secrets belong in the env file"
    test = " ".join(node["healthcheck"]["test"])
    assert "/readyz" in test or "/healthz" in test
    assert node["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                  "nats": {"condition": "service_healthy"}}


def test_compose_has_postgres_15_and_nats_with_jetstream_each_checked_and_on_a_volume(compose):
    services, volumes = compose["services"], compose["volumes"]
    pg, nats = services["postgres"], services["nats"]
    assert re.search(r"postgres:15\b", pg["image"])
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert pg["env_file"] and "POSTGRES_PASSWORD" not in pg.get("environment", {})
    assert "-js" in nats["command"]
    assert "healthz" in " ".join(nats["healthcheck"]["test"])
    for svc in (pg, nats, services["node"]):
        (named,) = [v.split(":")[0] for v in svc["volumes"]]
        assert named in volumes


def test_ci_builds_and_runs_the_image_where_it_runs_the_tests():
    """.ci/run ends with .ci/container (build, run read-only until healthy, save and load)."""
    import os

    script = ROOT / ".ci" / "container"
    assert os.access(script, os.X_OK)
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".ci/container" in run.split("make test", 1)[1]
    text = script.read_text(encoding="utf-8")
    for step in ("build --format docker", "--read-only", "healthcheck run", " save ", " load "):
        assert step in text, step
