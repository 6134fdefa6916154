"""``dkfi f35``: fleets and industry, spare-parts pooling (METRIC, VARI-METRIC), joint maintenance planning,
people. Model commands read a JSON file (docs/f35.md) or the stored records; ``--json`` prints the documented
output schema exactly."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from rich.console import Console

from dkfi.cli.console import print_table, table

app = typer.Typer(help="F-35 cooperation: fleets and industry, spares pooling, joint maintenance, people.",
                  no_args_is_help=True)
spares_app = typer.Typer(help="Spare-parts models for repairable items (METRIC, VARI-METRIC).", no_args_is_help=True)
maint_app = typer.Typer(help="Joint maintenance planning on Danish and Finnish capacity (CP-SAT).",
                        no_args_is_help=True)
app.add_typer(spares_app, name="spares")
app.add_typer(maint_app, name="maintenance")
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)
JSON_OPT = typer.Option(False, "--json", help="the documented JSON on stdout")


def _fail(msg: str, code: int = 1) -> None:
    err.print(f"[red]error:[/] {msg}")
    raise typer.Exit(code)


def _load(path: Path) -> dict:
    if not path.is_file():
        raise typer.BadParameter(f"{path}: no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        _fail(f"{path}: not JSON: {exc}", 2)
    if not isinstance(data, dict):
        _fail(f"{path}: expected a JSON object (docs/f35.md)", 2)
    return data


def _run(path: Path | None, fn: Callable[..., dict], data: dict, what: str, **kw: Any) -> dict:
    from dkfi.f35.maintenance import MaintenanceInputError
    from dkfi.f35.spares import SparesInputError

    try:
        with err.status(f"{what} ..."):
            return fn(data, **kw)
    except (SparesInputError, MaintenanceInputError) as exc:
        _fail(f"{path or 'stored records'}: {exc}", 2)
    raise AssertionError("unreachable")


def _session():
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine, session_scope

    settings = get_settings()
    return settings, session_scope(get_engine(settings.effective_database_url))


def _print_spares(res: dict) -> None:
    avail = res.get("availability")
    err.print(f"cost {res['cost']:,.0f}, total EBO {res['total_ebo']:.3f}, availability "
              + (f"{avail:.4f}" if avail is not None else "n/a (no aircraft given)"))
    t = table("item", "stock by site", "EBO by site", keep=("item",))
    for item, d in sorted(res["items"].items()):
        t.add_row(item, ", ".join(f"{k} {v}" for k, v in d["stock"].items()),
                  ", ".join(f"{k} {v:.3f}" for k, v in d["ebo"].items()))
    print_table(t)


@spares_app.command("evaluate")
def spares_evaluate(path: Path = typer.Argument(..., help="spares JSON with stock levels"), as_json: bool = JSON_OPT):
    """Expected backorders per item and site, fill rate and aircraft availability of the given stock."""
    from dkfi.f35 import spares

    res = _run(path, spares.evaluate_data, _load(path), "evaluating")
    typer.echo(json.dumps(res)) if as_json else _print_spares(res)


@spares_app.command("optimize")
def spares_optimize(path: Path = typer.Argument(..., help="spares JSON with a budget or a target availability"),
                    as_json: bool = JSON_OPT):
    """The cost-versus-availability curve (marginal analysis) and the stock levels for the budget or target."""
    from dkfi.f35 import spares

    res = _run(path, spares.optimize_data, _load(path), "optimizing")
    if as_json:
        typer.echo(json.dumps(res))
        return
    _print_spares(res)
    err.print(f"curve: {len(res['curve'])} points from cost 0 to {res['curve'][-1]['cost']:,.0f}"
              if res["curve"] else "curve: empty")


@spares_app.command("pool")
def spares_pool(path: Path = typer.Argument(..., help="spares JSON whose bases carry their nation, with a target"),
                as_json: bool = JSON_OPT):
    """Separate national stocks against one pooled stock at equal availability: the saving and a fair split."""
    from dkfi.f35 import spares

    res = _run(path, spares.pool_data, _load(path), "pooling")
    typer.echo(json.dumps(res)) if as_json else _print_pool(res)


def _print_pool(res: dict) -> None:
    out.print(json.dumps({k: v for k, v in res.items() if k not in ("pooled", "separate")}, indent=2))


@spares_app.command("stored")
def spares_stored(target: float = typer.Option(0.9, "--target", min=0.0, max=1.0, help="availability target"),
                  as_json: bool = JSON_OPT):
    """Pool the stored items, bases and aircraft (what this node may see)."""
    from dkfi.f35 import service, spares

    _, scope = _session()
    with scope as s:
        problem = service.stored_spares(s)
    problem["target_availability"] = target
    res = _run(None, spares.pool_data, problem, "pooling")
    typer.echo(json.dumps(res)) if as_json else _print_pool(res)


@maint_app.command("plan")
def maintenance_plan(path: Path = typer.Argument(..., help="maintenance JSON (docs/f35.md)"), as_json: bool = JSON_OPT,
                     csv_out: Optional[Path] = typer.Option(None, "--csv", help="also write the events as CSV"),
                     time_limit: float = typer.Option(60.0, "--time-limit", help="seconds the solver may take")):
    """Place scheduled maintenance of both fleets on the combined capacity; compare with each nation alone."""
    from dkfi.f35 import maintenance

    res = _run(path, maintenance.plan, _load(path), "planning", time_limit_s=time_limit)
    _print_maintenance(res, as_json, csv_out)


def _print_maintenance(res: dict, as_json: bool, csv_out: Optional[Path]) -> None:
    from dkfi.f35 import maintenance

    if csv_out:
        csv_out.write_text(maintenance.to_csv(res), encoding="utf-8")
        err.print(f"wrote {csv_out}")
    if as_json:
        typer.echo(json.dumps(res))
        return
    sep = res.get("separate") or {}
    err.print(f"status {res['status']}: availability {res['availability']:.4f} together, "
              f"{sep.get('availability', 0):.4f} each nation alone; {res.get('saving_days', 0)} aircraft-days saved")
    t = table("tail", "event", "site", "start", "end", keep=("tail", "event", "site", "start", "end"))
    for e in res["events"][:50]:
        t.add_row(e["tail"], e["type"], e["site"], e["start"], e["end"])
    print_table(t)
    if len(res["events"]) > 50:
        err.print(f"... {len(res['events']) - 50} more events (--json or --csv for all)")


@maint_app.command("stored")
def maintenance_stored(start: Optional[str] = typer.Option(None, help="first day (default: today)"),
                       horizon_days: int = typer.Option(730, "--horizon-days", min=7, max=3650),
                       as_json: bool = JSON_OPT,
                       csv_out: Optional[Path] = typer.Option(None, "--csv", help="also write the events as CSV")):
    """Plan maintenance for the stored fleets on the stored capacity (what this node may see)."""
    from dkfi.f35 import maintenance, service

    try:
        d0 = date.fromisoformat(start) if start else date.today()
    except ValueError:
        raise typer.BadParameter(f"--start must be a date such as 2027-01-01; got {start!r}") from None
    _, scope = _session()
    with scope as s:
        problem = service.stored_maintenance(s, start=d0, horizon_days=horizon_days)
    _print_maintenance(_run(None, maintenance.plan, problem, "planning"), as_json, csv_out)


@app.command()
def fleet(as_json: bool = JSON_OPT):
    """Both fleets by nation and base: delivered and on order."""
    from dkfi.f35 import service

    _, scope = _session()
    with scope as s:
        f = service.fleet(s, date.today())
    if as_json:
        typer.echo(json.dumps(f))
        return
    t = table("nation", "base", "delivered", "on order", keep=("nation", "delivered", "on order"),
              right=("delivered", "on order"))
    for nation, bases in sorted(f["by_nation"].items()):
        for base, n in sorted(bases.items()):
            t.add_row(nation, base, str(n["delivered"]), str(n["on_order"]))
    print_table(t)


@app.command()
def people(as_json: bool = JSON_OPT, warn_days: int = typer.Option(90, "--warn-days", min=0)):
    """Who is qualified for what, where; exchanges in progress; qualifications about to expire."""
    from dkfi.f35 import service

    _, scope = _session()
    with scope as s:
        rows = service.qualified_where(s, date.today(), warn_days)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    t = table("person", "nation", "serving in", "role", "qualifications", keep=("nation", "serving in"))
    for r in rows:
        t.add_row(r["name"], r["nation"], r["serving_in"], r["role"],
                  ", ".join(f"{q['name']} ({q['state']})" for q in r["qualifications"]))
    print_table(t)


@app.command()
def seed():
    """Store both fleets' public numbers and an INVENTED item list, capacity and people (idempotent)."""
    from dkfi.f35.seed import seed as do_seed

    settings, scope = _session()
    with scope as s:
        counts = do_seed(s)
    err.print("seeded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
