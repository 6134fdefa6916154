"""Sharing's entry in the registry: not a domain of its own records but the generic parts every domain uses
(label changes, audit view, exports, federation outbox and inbox). Its install step registers the record types
the domains federate and hooks the outbox into every session."""
from dkfi.core.registry import BannerSource, CliGroup, Domain

DOMAIN = Domain(
    name="sharing",
    title="sharing",
    description="labels, audit, exports for allies (GeoJSON, Cursor-on-Target, TAK) and federation between nodes",
    models=("dkfi.sharing.models",),
    routers=("dkfi.sharing.api:router", "dkfi.sharing.export_api:router", "dkfi.sharing.federation_api:router",
             "dkfi.sharing.overlay_api:router"),
    cli=(CliGroup("export", "dkfi.cli.export:app"), CliGroup("federation", "dkfi.cli.federation:app"),
         CliGroup("nvg", "dkfi.cli.nvg:app")),
    banner=(BannerSource("dkfi.sharing.models:NvgOverlay", pages=("map",)),),   # the map lists imported overlays
    install=("dkfi.sharing.outbox:install",),
    extensions={"core.metrics": ("dkfi.sharing.metrics:families",)},  # outbox depth per partner
)
