"""``dkfi config``: this node's settings: what they are, whether they hold, and an example file of all of them.

Settings are ``DKFI_*`` environment variables (``src/dkfi/core/config.py``; docs/operations.md, "Settings").
``show`` prints the effective value of each and where it came from, with secrets masked; ``check`` validates them
the way ``dkfi serve`` does at start (exit 2 naming the variable and the reason); ``example`` prints an
environment file with every setting, its meaning and its default, commented out, to copy and edit.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console

from dkfi.cli.console import print_table, table
from dkfi.core.config import Settings, get_settings

app = typer.Typer(help="This node's settings (DKFI_* environment variables): show, check, example file.",
                  no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)

# settings whose value is a secret or may carry one (a password in a database URL): never printed
SECRET = {"secret_key"}
URLS = {"database_url", "nats_url", "mqtt_url", "oidc_jwks"}


def env_name(field: str) -> str:
    return f"DKFI_{field.upper()}"


def _render(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        return value.as_posix()
    return str(value)


def _mask(field: str, value: str) -> str:
    """A secret as ``(set)``; a URL with its password replaced by ``***``."""
    if not value:
        return value
    if field in SECRET:
        return "(set)"
    if field in URLS and "://" in value and "@" in value:
        scheme, rest = value.split("://", 1)
        cred, _, host = rest.rpartition("@")
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in cred else value
    return value


def _settings() -> Settings:
    try:
        get_settings.cache_clear()
        return get_settings()
    except ValidationError as exc:
        for e in exc.errors():
            name = env_name(str(e["loc"][0])) if e.get("loc") else "settings"
            err.print(f"[red]{name}[/]: {e['msg']} (value {e.get('input')!r})")
        raise typer.Exit(2) from None


@app.command()
def show() -> None:
    """Every setting: its effective value (secrets masked), and whether it came from the environment or default."""
    s = _settings()
    t = table("variable", "value", "from", keep=["variable", "from"])
    for field in Settings.model_fields:
        name = env_name(field)
        t.add_row(name, _mask(field, _render(getattr(s, field))), "environment" if name in os.environ else "default")
    t.add_row("(database in use)", _mask("database_url", s.effective_database_url), "derived")
    t.add_row("(history folder)", s.history_dir.as_posix(), "derived")
    print_table(t)


@app.command()
def check() -> None:
    """Validate the settings as the node does at start: exit 0 when they hold, 2 naming each that does not."""
    s = _settings()
    problems = []
    from dkfi.core.nations import check_nation

    try:
        check_nation(s.nation)
    except ValueError as exc:
        problems.append(f"DKFI_NATION: {exc}")
    if s.bus not in ("memory", "nats"):
        problems.append(f"DKFI_BUS: {s.bus!r} is not 'memory' or 'nats'")
    if (s.web_tls_cert is None) != (s.web_tls_key is None):
        problems.append("DKFI_WEB_TLS_CERT and DKFI_WEB_TLS_KEY must be set together")
    for field in ("tls_cert", "tls_key", "tls_ca", "web_tls_cert", "web_tls_key"):
        path = getattr(s, field)
        if path is not None and not Path(path).is_file():
            problems.append(f"{env_name(field)}: {path} is not a file")
    if s.partners and not (s.tls_cert and s.tls_key and s.tls_ca) and s.federation_transport == "https":
        problems.append("DKFI_PARTNERS is set but DKFI_TLS_CERT, DKFI_TLS_KEY and DKFI_TLS_CA are not all set "
                        "(federation over HTTPS needs mutual TLS)")
    for p in problems:
        err.print(f"[red]{p}[/]")
    if problems:
        raise typer.Exit(2)
    err.print(f"settings hold: node {s.nation}, database {_mask('database_url', s.effective_database_url)}, "
              f"bus {s.bus}")


def example_text() -> str:
    """An environment file naming every setting, its meaning and default, each commented out."""
    lines = ["# dkfi node settings (docs/operations.md, \"Settings\"). Uncomment and edit what this node needs;",
             "# a commented line shows the default. Keep this file readable only by the node's account (0600).", ""]
    for field, info in Settings.model_fields.items():
        if info.description:
            lines.append(f"# {info.description}")
        default = "" if field in SECRET else _render(info.default)
        lines.append(f"# {env_name(field)}={default}")
        lines.append("")
    return "\n".join(lines)


@app.command()
def example(to: Path | None = typer.Option(None, "--to", help="write to this file (mode 0600) instead of stdout")
            ) -> None:
    """Print an environment file with every setting, its meaning and its default (commented out)."""
    text = example_text()
    if to is None:
        typer.echo(text, nl=False)
        return
    if to.exists():
        err.print(f"[red]{to}[/]: exists; not overwritten")
        raise typer.Exit(1)
    fd = os.open(to, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    err.print(f"wrote {to}")
