"""``dkfi toy``: the toy domain's command line."""
import typer

app = typer.Typer(help="Toy notes (a test domain).", no_args_is_help=True)


@app.command()
def count() -> None:
    """How many toy notes the node holds."""
    from sqlalchemy import func, select

    from dkfi.core.db import get_engine, session_scope

    from .models import ToyNote

    with session_scope(get_engine()) as s:
        typer.echo(f"{s.scalar(select(func.count(ToyNote.id)))} toy notes")
