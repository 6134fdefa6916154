"""``dkfi users``: accounts of this node: local ones (argon2 password hashes) and identity-provider users seen.

Every change is an audit entry and applies to the account's tokens from their next request: a disabled account's
tokens get 401, a lowered clearance or role is what the next request is served with. Identity-provider users
(no password here) take their clearance and roles from the provider's tokens; ``disable`` refuses them here.
"""
from __future__ import annotations

import sys
from typing import Callable, List

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from dkfi.cli.console import print_table, table, when
from dkfi.core.config import get_settings
from dkfi.core.db import get_engine, session_scope
from dkfi.core.identity import ROLES, add_user, get_user, set_active, set_clearance, set_roles

app = typer.Typer(help="User accounts: nation, clearance, roles, enabled or not.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)


def _read_password(prompt: bool) -> str:
    if prompt and sys.stdin.isatty():
        pw = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    else:
        pw = sys.stdin.readline().rstrip("\r\n")
    return pw


def _audit(s: Session, action: str, name: str, nation: str, detail: dict) -> None:
    from dkfi.core import audit

    audit.append(s.connection(), actor="cli", actor_nation=get_settings().nation, action=action,
                 object_type="app_user", object_id=name, object_classification="RESTRICTED", owner_nation=nation,
                 detail=detail)


def _change(what: Callable[[Session], str]) -> None:
    """Run one account change in a transaction; print what it did, or the error (exit 2) without a traceback."""
    try:
        with session_scope(get_engine()) as s:
            err.print(what(s))
    except ValueError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="user name (no spaces)"),
    nation: str = typer.Option(..., "--nation", help="ISO 3166 alpha-3 code of the user's nation, e.g. DNK, FIN"),
    clearance: str = typer.Option(..., "--clearance", help="UNCLASSIFIED | RESTRICTED | CONFIDENTIAL | SECRET"),
    role: List[str] = typer.Option(..., "--role", help=f"one of {', '.join(ROLES)}; repeat for several"),
) -> None:
    """Add a local account; the password is read from standard input (prompted twice on a terminal)."""
    password = _read_password(True)

    def run(s: Session) -> str:
        u = add_user(s, name, nation, clearance, role, password)
        _audit(s, "create", u.name, u.nation, {"roles": u.roles, "clearance": u.clearance})
        return f"added [bold]{u.name}[/] ({u.nation}, {u.clearance}, {', '.join(u.roles)})"

    _change(run)


def _set_active(name: str, active: bool) -> None:
    def run(s: Session) -> str:
        u = set_active(s, name, active)
        _audit(s, "update", u.name, u.nation, {"active": active})
        state = "enabled" if active else "disabled: its tokens are refused from now on"
        return f"[bold]{u.name}[/] {state}"

    _change(run)


@app.command("disable")
def disable(name: str = typer.Argument(..., help="user name")) -> None:
    """Disable an account: no login, and its tokens (also an identity provider's) are refused from now on."""
    _set_active(name, False)


@app.command("enable")
def enable(name: str = typer.Argument(..., help="user name")) -> None:
    """Enable a disabled account again."""
    _set_active(name, True)


@app.command("set-clearance")
def set_clearance_cmd(
    name: str = typer.Argument(..., help="user name"),
    clearance: str = typer.Argument(..., help="UNCLASSIFIED | RESTRICTED | CONFIDENTIAL | SECRET"),
) -> None:
    """Change a local account's clearance; its next request (with any token) is served with the new one."""
    def run(s: Session) -> str:
        old, new = set_clearance(s, name, clearance)
        _audit(s, "update", name, get_user(s, name).nation, {"clearance": [old, new]})
        return f"[bold]{name}[/] clearance {old} -> {new}"

    _change(run)


@app.command("set-role")
def set_role_cmd(
    name: str = typer.Argument(..., help="user name"),
    role: List[str] = typer.Option(..., "--role", help=f"one of {', '.join(ROLES)}; repeat for several "
                                   "(replaces the account's roles)"),
) -> None:
    """Replace a local account's roles; its next request (with any token) is served with the new ones."""
    def run(s: Session) -> str:
        old, new = set_roles(s, name, role)
        _audit(s, "update", name, get_user(s, name).nation, {"roles": [old, new]})
        return f"[bold]{name}[/] roles {', '.join(old)} -> {', '.join(new)}"

    _change(run)


@app.command("list")
def list_users() -> None:
    """The accounts of this node: local ones and the identity-provider users seen so far."""
    from dkfi.core.models import User

    t = table("name", "nation", "clearance", "roles", "signs in", "active", "last login UTC",
              keep=("name", "nation", "clearance", "active", "last login UTC"))
    with session_scope(get_engine()) as s:
        for u in s.scalars(select(User).order_by(User.name)):
            t.add_row(u.name, u.nation, u.clearance, ", ".join(u.roles),
                      "password" if u.issuer is None else f"provider {u.issuer}",
                      "yes" if u.active else "[red]no[/]", when(u.last_login))
    print_table(t)
