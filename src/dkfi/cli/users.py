"""``dkfi users``: local accounts of this node (argon2 password hashes)."""
from __future__ import annotations

import sys
from typing import List

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from dkfi.core.config import get_settings
from dkfi.core.db import get_engine, session_scope
from dkfi.core.identity import ROLES, add_user

app = typer.Typer(help="Local user accounts: nation, clearance and roles.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)


def _read_password(prompt: bool) -> str:
    if prompt and sys.stdin.isatty():
        pw = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    else:
        pw = sys.stdin.readline().rstrip("\r\n")
    return pw


@app.command("add")
def add(
    name: str = typer.Argument(..., help="user name (no spaces)"),
    nation: str = typer.Option(..., "--nation", help="ISO 3166 alpha-3 code of the user's nation, e.g. DNK, FIN"),
    clearance: str = typer.Option(..., "--clearance", help="UNCLASSIFIED | RESTRICTED | CONFIDENTIAL | SECRET"),
    role: List[str] = typer.Option(..., "--role", help=f"one of {', '.join(ROLES)}; repeat for several"),
) -> None:
    """Add a local account; the password is read from standard input (prompted twice on a terminal)."""
    password = _read_password(True)
    try:
        with session_scope(get_engine()) as s:
            u = add_user(s, name, nation, clearance, role, password)
            from dkfi.core import audit

            audit.append(s.connection(), actor="cli", actor_nation=get_settings().nation, action="create",
                         object_type="app_user", object_id=u.name, object_classification="RESTRICTED",
                         owner_nation=u.nation, detail={"roles": u.roles, "clearance": u.clearance})
            err.print(f"added [bold]{u.name}[/] ({u.nation}, {u.clearance}, {', '.join(u.roles)})")
    except ValueError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2)


@app.command("list")
def list_users() -> None:
    """The accounts of this node."""
    from dkfi.core.models import User

    t = Table("name", "nation", "clearance", "roles", "local", "active", "last login")
    with session_scope(get_engine()) as s:
        for u in s.scalars(select(User).order_by(User.name)):
            t.add_row(u.name, u.nation, u.clearance, ", ".join(u.roles), "yes" if u.password_hash else "no",
                      "yes" if u.active else "no", str(u.last_login or ""))
    Console().print(t)
