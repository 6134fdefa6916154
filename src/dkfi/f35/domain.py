"""F-35 cooperation's declaration: fleets and industry, spares pooling, joint maintenance planning, people.
Every record travels to the partner node when its label says so; pooling and planning run on either node over
what that node may see."""
from pathlib import Path

from dkfi.core.registry import BannerSource, CliGroup, Domain, ExportLayer, Federated, NavEntry

_M = "dkfi.f35.models:"
_TABLES = ("Aircraft", "Site", "MaintenanceType", "SparesItem", "StockLevel", "Person", "PersonQualification",
           "Exchange", "TrainingEvent")

DOMAIN = Domain(
    name="f35",
    title="F-35 cooperation",
    description="both F-35A fleets, spares pooling (METRIC, VARI-METRIC), joint maintenance planning, people",
    models=("dkfi.f35.models",),
    routers=("dkfi.f35.api:router",),
    pages=("dkfi.f35.pages:router",),
    templates=Path(__file__).parent / "templates",
    nav=(NavEntry("F-35", "/f35", "f35", order=50),),
    # each page computes its banner from what it shows; this is the conservative fallback for the section
    banner=tuple(BannerSource(_M + m, pages=("f35",)) for m in _TABLES),
    cli=(CliGroup("f35", "dkfi.f35.cli:app"),),
    federated=tuple(Federated(_M + m, "key") for m in _TABLES),
    exports=(ExportLayer("f35-sites", geojson="dkfi.f35.exports:sites_geojson",
                         description="F-35 bases, depots and companies with their capabilities"),),
    demo=("dkfi.f35.seed:demo_options",),
    extensions={"web.home_tiles": ("dkfi.f35.home:tile",)},
)
