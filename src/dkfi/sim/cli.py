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
def list_() -> None:
    """The named scenarios and the incidents each injects."""
    from dkfi.sim import scenarios as sim

    t = table("scenario", "incidents", keep=("scenario",), title="scenarios")
    for name, incidents in sim.SCENARIOS.items():
        t.add_row(name, "; ".join(f"{i}: {sim.INCIDENTS[i]['note']}" for i in incidents) or "none (background)")
    print_table(t)


@app.command()
def run(
    scenario: str = typer.Argument(..., help="scenario name (see dkfi sim list), e.g. eagle-s, mixed, background"),
    out: Path = typer.Option(Path("var/sim/scenario"), "--out", "-o",
                             help="output stem: writes <out>.nmea and <out>.truth.json"),
    seed: int = typer.Option(1, help="random seed (same seed, same traffic)"),
    vessels: int = typer.Option(30, help="background vessels"),
    hours: float = typer.Option(6.0, help="duration (raised when an incident needs longer)"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    """Write simulated NMEA (tag-block times, source dkfi-sim) and the incidents' ground truth."""
    from dkfi.sim import scenarios as sim

    if scenario not in sim.SCENARIOS:
        raise typer.BadParameter(f"unknown scenario {scenario!r}; choose one of {', '.join(sim.SCENARIOS)}")
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
