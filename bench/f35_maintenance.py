"""Maintenance benchmark: both F-35A fleets (107 aircraft) planned over two years on one core, jointly and each
nation on its own sites.

Run: ``.venv/bin/python bench/f35_maintenance.py [--file demo.json] [--time-limit 60] [--workers 1] [--period-days N]``

Target (the issue): "plan for both fleets (107 aircraft) over 2 years solves within a minute". The instance is
``src/dkfi/f35/data/maintenance-demo.json`` (INVENTED maintenance figures, SOURCES-maintenance.md): 43 Danish and
64 Finnish aircraft, four event types, seven sites, 2027-2028 in weekly periods. ``maintenance.plan`` runs with
``workers=1``; its time covers the greedy plans, both CP-SAT searches (separate, then joint from it) and reading
the plans back, not loading the file. Every plan is then checked with ``maintenance.check_plan``.

Printed: the instance, status and gap to the bound, availability joint against separate, the saving in
aircraft-days by nation (and why events stay unplaced when a nation plans alone), the time and its
ratio to the 60 s target, and a one-line verdict. ``run()`` returns the same figures as a dict (with ``ok``) for
``bench/f35.py``; ``main()`` prints them.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dkfi.f35 import maintenance  # noqa: E402

TARGET_S = 60.0
DEMO = ROOT / "src/dkfi/f35/data/maintenance-demo.json"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="bench/f35_maintenance.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--file", type=Path, default=DEMO, help="maintenance JSON (default: the demo)")
    ap.add_argument("--time-limit", type=float, default=TARGET_S, help="solver time limit in s (default 60)")
    ap.add_argument("--workers", type=int, default=1, help="CP-SAT workers (default 1: one core)")
    ap.add_argument("--period-days", type=int, default=None,
                    help="override the file's period_days (1: daily starts, exact; 7: weekly intake)")
    return ap


def run(args: Sequence[str] | argparse.Namespace | None = None, *, echo: bool = False) -> dict[str, Any]:
    """Plan the instance and return the figures (``ok``: a checked plan within the target time).

    ``args`` is an argument list (``["--time-limit", "30"]``), parsed options, or None for the defaults (never
    ``sys.argv``: the caller may be another benchmark with its own options). ``echo`` prints the figures.
    """
    opts = args if isinstance(args, argparse.Namespace) else _parser().parse_args(list(args or []))
    data = json.loads(Path(opts.file).read_text(encoding="utf-8"))
    if opts.period_days is not None:
        data["period_days"] = opts.period_days
    t0 = time.perf_counter()
    problem = maintenance.parse(data)
    parse_s = time.perf_counter() - t0
    result = maintenance.solve(problem, time_limit_s=opts.time_limit, workers=opts.workers)
    broken = maintenance.check_plan(problem, result)
    sep = result["separate"]
    nations = {n: sum(a.nation == n for a in problem.aircraft) for n in maintenance.NATIONS}
    gap = (result["cost"] - result["bound"]) / result["cost"] if result["bound"] is not None and result["cost"] else None
    ok = not broken and result["solve_s"] < TARGET_S and result["status"] in ("optimal", "feasible")
    figures: dict[str, Any] = {
        "instance": f"{len(problem.aircraft)} aircraft (DNK {nations['DNK']}, FIN {nations['FIN']}), "
                    f"{len(problem.event_types)} event types, {len(problem.sites)} sites, {problem.horizon_days} days "
                    f"from {problem.start} in {problem.period_days}-day periods; "
                    f"{sum(c.count for c in maintenance.chains(problem))} possible events (parsed in {parse_s:.2f} s)",
        "status": result["status"],
        "gap": None if gap is None else round(gap, 4),
        "availability_joint": result["availability"],
        "availability_separate": sep["availability"],
        "down_days_joint": result["down_days"],
        "down_days_separate": sep["down_days"],
        "saving_aircraft_days": result["saving_days"],
        "availability_by_nation": {n: {"joint": result["by_nation"][n]["availability"],
                                       "separate": sep["by_nation"][n]["availability"]} for n in maintenance.NATIONS},
        "late_days_by_nation": {n: {"joint": result["by_nation"][n]["late_days"],
                                    "separate": sep["by_nation"][n]["late_days"]} for n in maintenance.NATIONS},
        "saving_by_nation": {n: sum(sep["by_nation"][n][k] - result["by_nation"][n][k]
                                    for k in ("down_days", "down_days_after")) for n in maintenance.NATIONS},
        "unplaced_separate_why": sorted({f"{u['type']}: {u['why']}" for u in sep["unplaced"]}),
        "events_joint": len(result["events"]),
        "unplaced_joint": len(result["unplaced"]),
        "unplaced_separate": len(sep["unplaced"]),
        "late_days_joint": result["late_days"],
        "late_days_separate": sep["late_days"],
        "foreign_events": sum(e["foreign"] for e in result["events"]),
        "solve_s": result["solve_s"],
        "target_s": TARGET_S,
        "ratio_to_target": round(result["solve_s"] / TARGET_S, 3),
        "workers": opts.workers,
        "rules_broken": len(broken),
        "ok": ok,
    }
    quality = "optimal" if result["status"] == "optimal" else (
        f"feasible, within {gap:.1%} of the bound" if gap is not None else "feasible")
    figures["verdict"] = (f"{'PASS' if ok else 'FAIL'}: {len(problem.aircraft)} aircraft over "
                          f"{problem.horizon_days} days planned {quality} in {result['solve_s']:.2f} s on "
                          f"{opts.workers} core(s) ({figures['ratio_to_target']:.2f} of the {TARGET_S:.0f} s target), "
                          f"availability {result['availability']:.3f} joint vs {sep['availability']:.3f} separate, "
                          f"{result['saving_days']} aircraft-days saved"
                          + ("" if not broken else f"; {len(broken)} rules broken"))
    if echo:
        _print(figures, broken)
    return figures


def _print(f: dict[str, Any], broken: list[str]) -> None:
    print(f"instance  {f['instance']}")
    gap = "" if f["gap"] is None else f", gap to bound {f['gap']:.2%}"
    print(f"joint     status {f['status']}{gap}: availability {f['availability_joint']:.4f}, "
          f"{f['down_days_joint']} aircraft-days down, {f['events_joint']} events ({f['foreign_events']} at a "
          f"partner's site), {f['unplaced_joint']} unplaced, {f['late_days_joint']} late days")
    print(f"separate  availability {f['availability_separate']:.4f}, {f['down_days_separate']} aircraft-days down, "
          f"{f['unplaced_separate']} unplaced, {f['late_days_separate']} late days")
    by, late = f["availability_by_nation"], f["late_days_by_nation"]
    print(f"saving    {f['saving_aircraft_days']} aircraft-days (inside the horizon and past its end): " + ", ".join(
        f"{n} {f['saving_by_nation'][n]} (availability {by[n]['separate']:.4f} -> {by[n]['joint']:.4f}, "
        f"late days {late[n]['separate']} -> {late[n]['joint']})" for n in by))
    for why in f["unplaced_separate_why"]:
        print(f"          unplaced alone: {why} (grounded to the horizon end)")
    print(f"time      {f['solve_s']:.2f} s of {f['target_s']:.0f} s = {f['ratio_to_target']:.3f} of the target "
          f"(workers={f['workers']})")
    for line in broken[:10]:
        print(f"broken    {line}")
    print(f"verdict   {f['verdict']}")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: parse ``argv`` (default ``sys.argv[1:]``), plan, print; exit 0 on PASS."""
    opts = _parser().parse_args(argv)
    return 0 if run(opts, echo=True)["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
