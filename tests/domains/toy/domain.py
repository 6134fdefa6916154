"""The toy domain's declaration: all the shells learn of it."""
from pathlib import Path

from dkfi.core.registry import BannerSource, CliGroup, Domain, ExportLayer, Federated, NavEntry

DOMAIN = Domain(
    name="toy",
    title="toy notes",
    models=("tests.domains.toy.models",),
    routers=("tests.domains.toy.api:router",),
    pages=("tests.domains.toy.api:pages",),
    templates=Path(__file__).parent / "templates",
    nav=(NavEntry("Toy notes", "/toy", "toy", order=90),),
    banner=(BannerSource("tests.domains.toy.models:ToyNote", pages=("toy",)),),
    cli=(CliGroup("toy", "tests.domains.toy.cli:app"),),
    federated=(Federated("tests.domains.toy.models:ToyNote", "key"),),
    exports=(ExportLayer("toy-notes", geojson="tests.domains.toy.api:notes_geojson"),),
)
