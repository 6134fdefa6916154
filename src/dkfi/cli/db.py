"""``dkfi db``: database migrations."""
from __future__ import annotations

import typer
from rich.console import Console

from dkfi.core import db
from dkfi.core.config import get_settings

app = typer.Typer(help="Database schema: apply and inspect migrations.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Alembic revision to upgrade to")) -> None:
    """Apply migrations to the configured database (DKFI_DATABASE_URL)."""
    url = get_settings().effective_database_url
    db.upgrade(url, revision)
    eng = db.make_engine(url)
    console.print(f"database at revision [bold]{db.current_revision(eng)}[/] ({eng.url.render_as_string()})")
    eng.dispose()


@app.command()
def current() -> None:
    """Show the database's migration revision and the newest one this code knows."""
    url = get_settings().effective_database_url
    eng = db.make_engine(url)
    typer.echo(f"current: {db.current_revision(eng)}  head: {db.head_revision(url)}")
    eng.dispose()
