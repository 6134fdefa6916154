"""Exercises and training's declaration: the joint calendar, units and competencies, the interoperability matrix,
the participation planner and lessons learned. Every record travels to the partner node when its label says so."""
from pathlib import Path

from dkfi.core.registry import BannerSource, CliGroup, Domain, ExportLayer, Federated, NavEntry

_M = "dkfi.exercises.models:"

DOMAIN = Domain(
    name="exercises",
    title="exercises and training",
    description="NATO, NORDEFCO, JEF and bilateral exercises; Danish-Finnish interoperability; lessons learned",
    models=("dkfi.exercises.models",),
    routers=("dkfi.exercises.api:router",),
    pages=("dkfi.exercises.pages:router",),
    templates=Path(__file__).parent / "templates",
    nav=(NavEntry("Exercises", "/exercises", "exercises", order=40),),
    # each page computes its banner from what it shows; this is the conservative fallback for the section
    banner=tuple(BannerSource(_M + m, pages=("exercises",)) for m in
                 ("Exercise", "Unit", "Qualification", "Participation", "InteropObjective", "Lesson")),
    cli=(CliGroup("exercises", "dkfi.exercises.cli:app"),),
    federated=tuple(Federated(_M + m, "key") for m in
                    ("Exercise", "Unit", "Qualification", "Participation", "InteropObjective", "Lesson")),
    exports=(ExportLayer("exercises", geojson="dkfi.exercises.exports:exercises_geojson",
                         description="exercises at their location or area"),),
    demo=("dkfi.exercises.seed:demo_options",),
    extensions={"web.home_tiles": ("dkfi.exercises.home:tile",)},
)
