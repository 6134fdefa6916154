"""The ``dkfi`` command line: one Typer sub-app per domain, wired here."""
from __future__ import annotations

import typer

from dkfi.cli import ais, audit, db, export, federation, serve, sim, users, watch

app = typer.Typer(
    name="dkfi",
    help="dkfi: the Danish-Finnish defence cooperation platform (maritime picture, sharing, exercises, F-35, "
         "acquisitions). Settings come from DKFI_* environment variables (DKFI_DATABASE_URL, DKFI_DATA_DIR, "
         "DKFI_NATION).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(ais.app, name="ais")
app.add_typer(db.app, name="db")
app.add_typer(watch.app, name="watch")
app.add_typer(sim.app, name="sim")
app.add_typer(users.app, name="users")
app.add_typer(audit.app, name="audit")
app.add_typer(federation.app, name="federation")
app.add_typer(export.app, name="export")
app.command("serve")(serve.serve)
app.command("demo")(serve.demo)


def main() -> None:  # pragma: no cover - console entry
    app()
