"""The ``dkfi`` command line: the core's commands and every registered domain's CLI group."""
from __future__ import annotations

import typer

from dkfi.cli import audit, backup, config, db, demo, serve, users
from dkfi.core import registry

HELP = ("dkfi: the Danish-Finnish defence cooperation platform. Settings come from DKFI_* environment variables "
        "(DKFI_DATABASE_URL, DKFI_DATA_DIR, DKFI_NATION).")


def build_app() -> typer.Typer:
    """The command line of this installation: the core's groups, then each domain's (read from the registry)."""
    cli = typer.Typer(name="dkfi", help=HELP, no_args_is_help=True, pretty_exceptions_enable=False)
    cli.add_typer(db.app, name="db")
    cli.add_typer(users.app, name="users")
    cli.add_typer(audit.app, name="audit")
    cli.add_typer(config.app, name="config")
    cli.command("serve")(serve.serve)
    cli.command("demo")(demo.demo)
    cli.command("backup")(backup.backup)
    cli.command("restore")(backup.restore)
    for group in registry.cli_groups():
        target = registry.resolve(group.app)
        if group.command:
            cli.command(group.name)(target)
        else:
            cli.add_typer(target, name=group.name)
    return cli


app = build_app()


def main() -> None:  # pragma: no cover - console entry
    app()
