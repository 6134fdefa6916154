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


def _verify(eng):
    with Progress(TextColumn("verifying audit log"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as prog:
        task = prog.add_task("verify", total=None)
        return audit.verify(eng, progress=lambda done, total: prog.update(task, completed=done, total=total))


def _report(problems, n: int) -> None:
    for pr in problems:
        err.print(f"[red]TAMPERED[/] {pr}", markup=True, highlight=False)
    err.print(f"[red]{len(problems)} problem(s)[/] in {n} entries")


@app.command()
def verify() -> None:
    """Recompute the hash chain and compare it with its head row and the anchor file (DKFI_AUDIT_ANCHOR); name
    every edited, deleted or reordered entry and a cut tail. Exit 1 if any."""
    eng = get_engine()
    n, problems = _verify(eng)
    if problems:
        _report(problems, n)
        raise typer.Exit(1)
    path = audit.anchor_path(eng.url)
    if path is None:
        where = " (an in-memory database has no anchor)"
    elif path.exists():
        checkpoints, _ = audit.read_anchor(path, audit.anchor_key())
        where = f"; the anchor {path} agrees up to seq {max(checkpoints)}" if checkpoints else ""
    else:
        where = f"; no checkpoint yet (the anchor {path} begins with the first entry)"
    err.print(f"[green]intact[/]: {n} entries, chain and head agree{where}", highlight=False)


@app.command()
def checkpoint() -> None:
    """Append the log's present head to the anchor: to start anchoring a log written before anchoring existed,
    or a new anchor file after the node secret changed (move the old one aside first). Refused while
    `dkfi audit verify` finds anything but a missing anchor."""
    eng = get_engine()
    n, problems = _verify(eng)
    serious = [p for p in problems if p.kind != "unanchored"]
    if serious:
        _report(serious, n)
        err.print("[red]not anchored[/]: a checkpoint now would vouch for a damaged log")
        raise typer.Exit(1)
    done = audit.checkpoint(eng)
    if done is None:
        err.print("nothing to anchor (empty log, or an in-memory database)")
        return
    err.print(f"anchored seq {done[0]} ({done[1][:12]}...) in {audit.anchor_path(eng.url)}", highlight=False)


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
