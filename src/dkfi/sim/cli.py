"""``dkfi sim``: simulated AIS traffic with injected incidents and ground truth."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from dkfi.cli.console import print_table, table

app = typer.Typer(help="Simulate realistic Baltic AIS traffic (NMEA) with incidents modelled on the real cases, "
                       "and their ground truth.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="one JSON object per scenario on stdout")) -> None:
    """The named scenarios: the incident scenarios and the library of hard negatives and harder positives."""
    from dkfi.sim import library as lib
    from dkfi.sim import scenarios as sim

    if as_json:
        for name, incidents in sim.SCENARIOS.items():
            typer.echo(json.dumps({"scenario": name, "family": "incident", "truth": ",".join(
                sim.INCIDENTS[i]["kind"] for i in incidents) or "background", "about": "; ".join(
                sim.INCIDENTS[i]["note"] for i in incidents)}))
        for fam in lib.families().values():
            for seed in lib.NAMED_SEEDS:
                typer.echo(json.dumps({"scenario": f"{fam.name}-{seed}", "family": fam.name, "truth": fam.truth,
                                       "about": fam.about}))
        return
    t = table("scenario", "incidents", keep=("scenario",), title="incident scenarios")
    for name, incidents in sim.SCENARIOS.items():
        t.add_row(name, "; ".join(f"{i}: {sim.INCIDENTS[i]['note']}" for i in incidents) or "none (background)")
    print_table(t)
    t = table("scenarios", "family", "truth", "what happens", keep=("scenarios", "family", "truth"),
              title="scenario library (hard negatives and harder positives; any seed: <family>-<seed>)")
    for fam in lib.families().values():
        t.add_row(", ".join(f"{fam.name}-{s}" for s in lib.NAMED_SEEDS), fam.name, fam.truth, fam.about)
    print_table(t)


@app.command()
def run(
    scenario: str = typer.Argument(..., help="scenario name (see dkfi sim list), e.g. eagle-s, mixed, background, "
                                             "ice-convoy-1, drag-slow-2"),
    out: Path = typer.Option(Path("var/sim/scenario"), "--out", "-o",
                             help="output stem: writes <out>.nmea and <out>.truth.json"),
    seed: int = typer.Option(1, help="random seed (same seed, same traffic); a library scenario's seed is its "
                                     "number"),
    vessels: int = typer.Option(30, help="background vessels (incident scenarios)"),
    hours: float = typer.Option(6.0, help="duration (incident scenarios; raised when an incident needs longer)"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    """Write simulated NMEA (tag-block times, source dkfi-sim) and the incidents' ground truth."""
    from dkfi.sim import library as lib
    from dkfi.sim import scenarios as sim

    spec = lib.parse_name(scenario)
    if spec is not None:
        summary = _run_library(spec, out)
    else:
        if scenario not in sim.SCENARIOS:
            raise typer.BadParameter(f"unknown scenario {scenario!r}; choose one of {', '.join(sim.SCENARIOS)} or "
                                     f"a library scenario <family>-<seed> ({', '.join(lib.families())})")
        if vessels < 0 or hours <= 0:
            raise typer.BadParameter("--vessels must be >= 0 and --hours > 0")
        summary = sim.run_sim_cli(out, scenario, seed=seed, vessels=vessels, hours=hours)
    if as_json:
        typer.echo(json.dumps(summary))
        return
    err.print(f"wrote {summary['nmea']} ({summary['lines']:,} lines, {summary['vessels']} vessels, "
              f"{summary['hours']:g} h) and {summary['truth']} ({summary['incidents']} incidents)")
    for t in summary["truth_summary"]:
        err.print(f"  {t['kind']} {t['incident']} MMSI {t['mmsi']}: {', '.join(t['assets_crossed']) or '-'}")


def _run_library(spec, out: Path) -> dict:
    from dkfi.sim import library as lib

    out = Path(out)
    if out.suffix in (".nmea", ".json"):
        out = out.with_suffix("")
    out.parent.mkdir(parents=True, exist_ok=True)
    res = lib.build(spec)
    nmea_path = out.parent / (out.name + ".nmea")
    truth_path = out.parent / (out.name + ".truth.json")
    lib.write(res, nmea_path, truth_path)
    return {"scenario": spec.name, "family": spec.family, "expected": res.family.truth, "seed": spec.seed,
            "vessels": len(res.vessels), "hours": round((res.end - res.start) / 3600, 2), "lines": len(res.lines),
            "incidents": len(res.truth), "nmea": str(nmea_path), "truth": str(truth_path),
            "note": res.note,
            "truth_summary": [{"kind": t["kind"], "incident": spec.name, "mmsi": t["mmsi"],
                               "assets_crossed": [t["asset"]] if t.get("asset") else []} for t in res.truth]}
