"""``dkfi acquisition``: national plans, opportunity matching, savings, joint cases. Commands run as this node's
operator, in the nation named (``--nation``) or this node's."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from dkfi.cli.console import print_table, table

app = typer.Typer(help="Military acquisitions: plans (CSV/XLSX import), joint-procurement opportunities, "
                       "learning-curve savings, joint cases through both nations' approvals.", no_args_is_help=True)
cases_app = typer.Typer(help="Joint cases: opportunity -> assessment -> both approve -> case -> contracted -> "
                             "delivered.", no_args_is_help=True)
app.add_typer(cases_app, name="cases")
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)
JSON_OPT = typer.Option(False, "--json", help="JSON on stdout")


def _fail(msg: str, code: int = 1) -> None:
    err.print(f"[red]error:[/] {msg}")
    raise typer.Exit(code)


def _session():
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine, session_scope

    settings = get_settings()
    return settings, session_scope(get_engine(settings.effective_database_url))


@app.command("import")
def import_(path: Path = typer.Argument(..., help="plan file, CSV or XLSX: id,description,capability_area,nsn,cpv,"
                                                  "quantity,budget,currency,delivery_start,delivery_end"),
            nation: str = typer.Option(..., "--nation", help="the plan's nation: DNK or FIN"),
            as_json: bool = JSON_OPT) -> None:
    """Import a national acquisition plan: good rows kept, every bad row reported with its line and reason."""
    from dkfi.acquisition import service
    from dkfi.acquisition.plans_io import PlanFileError

    if nation.upper() not in service.NATIONS:
        raise typer.BadParameter(f"--nation must be DNK or FIN; got {nation!r}")
    if not path.is_file():
        raise typer.BadParameter(f"{path}: no such file")
    _, scope = _session()
    try:
        with scope as s:
            report = service.import_plan(s, path.read_bytes(), path.name, nation.upper())
    except PlanFileError as exc:
        _fail(f"{path}: {exc}", 2)
    if as_json:
        typer.echo(json.dumps(report))
    else:
        err.print(f"{path}: {report['received']} rows, {report['stored']} stored, {len(report['rejected'])} rejected")
        for r in report["rejected"]:
            err.print(f"  line {r['line']}: {r['reason']}")
    if report["received"] and not report["stored"]:
        raise typer.Exit(1)


@app.command()
def plans(nation: Optional[str] = typer.Option(None, help="DNK or FIN"), as_json: bool = JSON_OPT) -> None:
    """The plan items this node holds."""
    from dkfi.acquisition import service

    _, scope = _session()
    with scope as s:
        rows = [service.item_dict(i) for i in service.plans(s, nation)]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    t = table("key", "description", "area", "qty", "budget", "delivery", "label",
              keep=("key", "qty", "budget", "delivery", "label"), right=("qty", "budget"))
    for r in rows:
        t.add_row(r["key"], r["description"], r["capability_area"], str(r["quantity"]),
                  f"{r['budget']:,.0f} {r['currency']}", f"{r['delivery_start']} - {r['delivery_end']}",
                  r["label"]["classification"])
    print_table(t)


@app.command()
def match(as_json: bool = JSON_OPT, store: bool = typer.Option(False, "--store", help="keep as opportunities"),
          backend: str = typer.Option("auto", help="auto | tfidf | embedding")) -> None:
    """Danish-Finnish pairs of plan items that could be bought together, best first (dismissed pairs stay out)."""
    from dkfi.acquisition import service

    settings, scope = _session()
    with scope as s:
        res = service.match(s, backend=backend, store_as=settings.nation if store else None)
    if as_json:
        typer.echo(json.dumps(res))
        return
    err.print(f"description similarity: {res['backend']}")
    t = table("score", "DNK item", "FIN item", "factors", keep=("score", "DNK item", "FIN item"), right=("score",))
    for m in res["matches"]:
        t.add_row(f"{m['score']:.2f}", m["dnk"], m["fin"],
                  ", ".join(f"{f['factor']} {f['value']:.2f}" for f in m["factors"]))
    print_table(t)


def _quantities(values: List[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        nation, _, q = v.partition("=")
        try:
            out[nation.strip().upper()] = int(q)
        except ValueError:
            raise typer.BadParameter(f"--quantity {v!r}: expected NATION=NUMBER, e.g. DNK=32") from None
    return out


@app.command()
def savings(quantity: List[str] = typer.Option(..., "--quantity", help="NATION=N, once per nation"),
            first_unit_cost: float = typer.Option(..., "--first-unit-cost"),
            learning_rate: float = typer.Option(..., "--learning-rate", help="in (0, 1], e.g. 0.85"),
            nrc: float = typer.Option(0.0, "--nrc", help="non-recurring cost each buyer pays once"),
            split: str = typer.Option("demand", "--split", help="demand | shapley"),
            as_json: bool = JSON_OPT) -> None:
    """What buying together saves on one learning curve (Wright), and a fair split of the joint cost."""
    from dkfi.acquisition import savings as model

    if split not in ("demand", "shapley"):
        raise typer.BadParameter(f"--split must be demand or shapley; got {split!r}")
    try:
        res = model.savings(_quantities(quantity), first_unit_cost, learning_rate, nrc=nrc, split=split)
    except model.SavingsInputError as exc:
        _fail(str(exc), 2)
    if as_json:
        typer.echo(json.dumps(res))
        return
    sep = res["separate"]
    err.print(f"separate: {', '.join(f'{n} {v:,.2f}' for n, v in sep.items())}; joint {res['joint']:,.2f}; "
              f"saving {res['saving']:,.2f}; split ({split}): "
              + ", ".join(f"{n} {v:,.2f}" for n, v in res["split"].items()))


@cases_app.command("list")
def cases_list(as_json: bool = JSON_OPT) -> None:
    """Joint cases and where each stands."""
    from sqlalchemy import select

    from dkfi.acquisition import service
    from dkfi.acquisition.models import JointCase

    _, scope = _session()
    with scope as s:
        rows = [service.case_dict(s, c) for c in s.scalars(select(JointCase).order_by(JointCase.created))]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    t = table("key", "title", "stage", "approvals", "lead", "vehicle", keep=("key", "stage", "lead"))
    for r in rows:
        t.add_row(r["key"], r["title"], r["stage"], ", ".join(sorted(r["approvals"])) or "-",
                  r["lead_nation"] or "-", r["vehicle"] or "-")
    print_table(t)


@cases_app.command("open")
def cases_open(title: str = typer.Option(...), item: List[str] = typer.Option(..., "--item", help="plan item key"),
               by: str = typer.Option(..., "--by")) -> None:
    """Open a joint case on a Danish and a Finnish plan item."""
    from dkfi.acquisition import service

    settings, scope = _session()
    try:
        with scope as s:
            c = service.create_case(s, title=title, items=item, nation=settings.nation, actor=by)
            key = c.key
    except service.Invalid as exc:
        _fail(str(exc), 2)
    err.print(f"case {key}: opportunity")


@cases_app.command("act")
def cases_act(key: str = typer.Argument(...),
              action: str = typer.Argument(..., help="assess | approve | open_case | contract | deliver | withdraw"),
              by: str = typer.Option(..., "--by"), text: Optional[str] = typer.Option(None, help="assessment/reason"),
              lead: Optional[str] = typer.Option(None, "--lead", help="open_case: DNK or FIN"),
              vehicle: Optional[str] = typer.Option(None, help="open_case: the vehicle"),
              eu_state: Optional[List[str]] = typer.Option(None, "--eu-state", help="EU instrument: member states")):
    """A step of a case, as this node's nation (approve and withdraw are that nation's decision)."""
    from dkfi.acquisition import service
    from dkfi.core.records import LifecycleError

    settings, scope = _session()
    try:
        with scope as s:
            c = service.act(s, key, action, actor=by, nation=settings.nation, text=text, lead_nation=lead,
                            vehicle=vehicle, eu_member_states=list(eu_state or []))
            stage = service.stage_of(s, c)
    except (LookupError, LifecycleError) as exc:
        _fail(str(exc))
    err.print(f"case {key}: {stage}")


@app.command()
def seed() -> None:
    """Store plausible plans of both nations (INVENTED figures) and match them."""
    from dkfi.acquisition.seed import seed as do_seed

    settings, scope = _session()
    with scope as s:
        counts = do_seed(s)
    err.print("seeded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
