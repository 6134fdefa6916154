"""``dkfi config show|check|example``, HTTPS of the web pages (DKFI_WEB_TLS_*) and the settings' documentation."""
from __future__ import annotations

import ssl
import urllib.request
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dkfi.core.config import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(monkeypatch, tmp_path):
    from dkfi.cli.main import app

    for name in Settings.model_fields:
        monkeypatch.delenv(f"DKFI_{name.upper()}", raising=False)
    monkeypatch.setenv("DKFI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(app, list(args))
    get_settings.cache_clear()


def test_show_masks_the_secret_key_and_database_passwords(cli, monkeypatch):
    monkeypatch.setenv("DKFI_SECRET_KEY", "s3cr3t-node-key")
    monkeypatch.setenv("DKFI_DATABASE_URL", "postgresql+psycopg://dkfi:hunter2@db.example:5432/dkfi")
    res = cli("config", "show")
    assert res.exit_code == 0, res.output
    assert "s3cr3t-node-key" not in res.output and "hunter2" not in res.output
    assert "postgresql+psycopg://dkfi:***@db.example:5432/dkfi" in res.output
    assert "DKFI_SECRET_KEY" in res.output and "(set)" in res.output
    line = next(ln for ln in res.output.splitlines() if ln.startswith("DKFI_SECRET_KEY"))
    assert line.split()[-1] == "environment"
    line = next(ln for ln in res.output.splitlines() if ln.startswith("DKFI_BUS"))
    assert line.split()[1:] == ["memory", "default"]


def test_show_names_a_bad_value_and_exits_2(cli, monkeypatch):
    monkeypatch.setenv("DKFI_TOKEN_TTL_S", "eight hours")
    res = cli("config", "show")
    assert res.exit_code == 2
    assert "DKFI_TOKEN_TTL_S" in res.output and "eight hours" in res.output


@pytest.mark.parametrize("env,expect", [
    ({"DKFI_NATION": "DK"}, "did you mean DNK"),
    ({"DKFI_BUS": "kafka"}, "DKFI_BUS"),
    ({"DKFI_PARTNERS": "FIN=https://fin.example:8443"}, "mutual TLS"),
    ({"DKFI_WEB_TLS_CERT": "/nonexistent/node.pem"}, "must be set together"),
    ({"DKFI_TLS_CA": "/nonexistent/ca.pem"}, "DKFI_TLS_CA: /nonexistent/ca.pem is not a file"),
])
def test_check_names_the_setting_that_does_not_hold(cli, monkeypatch, env, expect):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    res = cli("config", "check")
    assert res.exit_code == 2, res.output
    assert expect in res.output


def test_check_passes_on_the_defaults(cli):
    res = cli("config", "check")
    assert res.exit_code == 0, res.output
    assert "settings hold" in res.output


def test_example_names_every_setting_and_reads_back_as_the_defaults(cli, tmp_path, monkeypatch):
    res = cli("config", "example")
    assert res.exit_code == 0
    for name in Settings.model_fields:
        assert f"# DKFI_{name.upper()}=" in res.output
    # uncommented, the example is a valid environment giving the defaults (the secret key left empty)
    env = {}
    for line in res.output.splitlines():
        if line.startswith("# DKFI_"):
            k, _, v = line[2:].partition("=")
            if v:
                env[k] = v
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    s = get_settings()
    for name, info in Settings.model_fields.items():
        if info.default is not None:
            assert getattr(s, name) == info.default, name
    out = tmp_path / "node.env"
    assert cli("config", "example", "--to", str(out)).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o600
    again = cli("config", "example", "--to", str(out))
    assert again.exit_code == 1 and "not overwritten" in again.output


def test_operations_guide_documents_every_setting():
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [f"DKFI_{n.upper()}" for n in Settings.model_fields if f"DKFI_{n.upper()}" not in text]
    assert not missing, f"docs/operations.md does not name {missing}"


def test_half_a_web_tls_pair_stops_the_start(monkeypatch, tmp_path):
    from dkfi.cli import serve

    monkeypatch.setenv("DKFI_WEB_TLS_CERT", str(tmp_path / "node.pem"))
    get_settings.cache_clear()
    with pytest.raises(typer.BadParameter, match="set together"):
        serve.server_options(get_settings())
    monkeypatch.setenv("DKFI_WEB_TLS_KEY", str(tmp_path / "node.key"))
    get_settings.cache_clear()
    with pytest.raises(typer.BadParameter, match="DKFI_WEB_TLS_CERT: .* is not a file"):
        serve.server_options(get_settings())
    get_settings.cache_clear()


def test_web_pages_answer_https_with_the_configured_certificate(monkeypatch, tmp_path):
    """With DKFI_WEB_TLS_CERT/KEY the node itself answers HTTPS, verified against the CA that signed it."""
    from dkfi.cli import serve
    from dkfi.sharing.federation import make_certs
    from dkfi.web.app import create_app
    from tests.core.test_identity_hardening import Uvicorn

    certs = make_certs(tmp_path / "certs", ["DNK"], ["127.0.0.1"])
    monkeypatch.setenv("DKFI_WEB_TLS_CERT", str(certs["DNK"]))
    monkeypatch.setenv("DKFI_WEB_TLS_KEY", str(certs["DNK_key"]))
    get_settings.cache_clear()
    opts = serve.server_options(get_settings())
    assert opts["ssl_certfile"].endswith("DNK.pem")
    app = create_app(f"sqlite:///{tmp_path / 'tls.sqlite'}")
    ctx = ssl.create_default_context(cafile=str(tmp_path / "certs" / "ca.pem"))
    with Uvicorn(app, **opts) as srv:
        with urllib.request.urlopen(f"https://127.0.0.1:{srv.port}/healthz", context=ctx, timeout=30) as resp:
            assert resp.status == 200
        with pytest.raises(Exception):  # plain HTTP on the TLS port gets no answer
            urllib.request.urlopen(f"http://127.0.0.1:{srv.port}/healthz", timeout=10).read()
    get_settings.cache_clear()
