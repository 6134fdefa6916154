"""The simulator's part of ``make demo``: a simulated tanker dragging its anchor across Danish assets."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from dkfi.sim import scenarios as sim

DEMO_T0 = 1_384_257_600.0  # 2013-11-12T12:00:00Z, the start of the bundled recording


def write_demo_incident(path: Path) -> None:
    """A simulated tanker (clearly named SIMULATED) dragging its anchor across Danish assets, timed so the
    drag begins as the recording starts; the 45 minutes before are a pre-roll of its normal voyage."""
    sc = sim.Scenario(seed=1, start=DEMO_T0 - 45 * 60, duration_h=5.0, transit=0, ferry=0, fishing=0, anchored=0,
                      leisure=0, incidents=[sim.Incident("oresund-demo", start_h=0.0)])
    res = sim.simulate(sc)
    path.parent.mkdir(parents=True, exist_ok=True)
    sim.write(res, path, path.with_suffix(".truth.json"))


def demo_options(settings, options: dict[str, Any]) -> None:
    """Merge the simulated incident into the demo's replay."""
    incident = Path(settings.data_dir) / "demo-incident.nmea"
    write_demo_incident(incident)
    options["extra"] = [*options.get("extra", []), incident]
