"""The simulator's declaration: Baltic incident scenarios inside normal traffic, for drills, tests and the demo."""
from dkfi.core.registry import CliGroup, Domain

DOMAIN = Domain(
    name="sim",
    title="AIS simulator",
    description="Eagle S, Yi Peng 3, Newnew Polar Bear and other scenarios as NMEA with ground truth",
    requires=("maritime",),
    cli=(CliGroup("sim", "dkfi.sim.cli:app"),),
    demo=("dkfi.sim.demo:demo_options",),
)
