"""Military acquisitions' declaration: plans, opportunity matching, savings, the joint case workflow. Every record
travels to the partner node when its label says so; matching on either node uses only what that node may see."""
from pathlib import Path

from dkfi.core.registry import BannerSource, CliGroup, Domain, Federated, NavEntry

_M = "dkfi.acquisition.models:"
_TABLES = ("PlanItem", "Opportunity", "JointCase", "CaseDecision")

DOMAIN = Domain(
    name="acquisition",
    title="military acquisitions",
    description="national plans, joint-procurement opportunities, savings and timelines, joint cases",
    models=("dkfi.acquisition.models",),
    routers=("dkfi.acquisition.api:router",),
    pages=("dkfi.acquisition.pages:router",),
    templates=Path(__file__).parent / "templates",
    nav=(NavEntry("Acquisition", "/acquisition", "acquisition", order=60),),
    banner=tuple(BannerSource(_M + m, pages=("acquisition",)) for m in _TABLES),
    cli=(CliGroup("acquisition", "dkfi.acquisition.cli:app"),),
    federated=tuple(Federated(_M + m, "key") for m in _TABLES),
    demo=("dkfi.acquisition.seed:demo_options",),
    extensions={"web.home_tiles": ("dkfi.acquisition.home:tile",)},
)
