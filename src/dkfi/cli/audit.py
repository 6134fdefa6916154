"""``dkfi audit``: check and read the hash-chained audit log."""
from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from dkfi.core import audit
from dkfi.core.db import get_engine
from dkfi.core.models import AuditEntry

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)


@app.command()
def verify() -> None:
    """Recompute the hash chain; name every edited, deleted or reordered entry. Exit 1 if any."""
    eng = get_engine()
    with Progress(TextColumn("verifying audit log"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as prog:
        task = prog.add_task("verify", total=None)
        n, problems = audit.verify(eng, progress=lambda done, total: prog.update(task, completed=done, total=total))
    if problems:
        for pr in problems:
            err.print(f"[red]TAMPERED[/] {pr}")
        err.print(f"[red]{len(problems)} problem(s)[/] in {n} entries")
        raise typer.Exit(1)
    err.print(f"[green]intact[/]: {n} entries, chain and head agree")


@app.command("list")
def list_entries(limit: int = typer.Option(50, "--limit", min=1), as_json: bool = typer.Option(False, "--json")) -> None:
    """The newest entries (the node operator's view; the API shows admins their own nation's entries)."""
    with get_engine().connect() as c:
        rows = c.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)).mappings().all()
    for r in rows:
        d = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
        if as_json:
            typer.echo(json.dumps(d, default=str))
        else:
            typer.echo(f"{d['seq']:>6} {d['at']} {d['actor']}@{d['actor_nation']} {d['decision']} {d['action']} "
                       f"{d['object_type']}:{d['object_id'][:60]} [{d['object_classification']}]")
