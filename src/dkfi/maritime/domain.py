"""The maritime picture's declaration: AIS from both nations' sources into a live, labelled vessel picture.

This is the worked example of docs/architecture.md, "Adding a domain": everything the shells need to know about
a domain is here, and nothing outside the package names it."""
from pathlib import Path

from dkfi.core.registry import BannerSource, CliGroup, Domain, ExportLayer, NavEntry, Stream

DOMAIN = Domain(
    name="maritime",
    title="maritime picture",
    description="AIS (NMEA, DMA CSV, Digitraffic) into a live vessel picture with Parquet track history",
    models=("dkfi.maritime.models",),
    routers=("dkfi.maritime.api:router",),
    pages=("dkfi.maritime.pages:router",),
    templates=Path(__file__).parent / "templates",
    nav=(NavEntry("Map", "/map", "map", order=10),),
    banner=(BannerSource("dkfi.maritime.models:Vessel", pages=("map", "alerts")),),
    cli=(CliGroup("ais", "dkfi.maritime.cli:app"),),
    exports=(ExportLayer("vessels", geojson="dkfi.maritime.exports:vessels_geojson",
                         cot="dkfi.maritime.exports:vessels_cot",
                         description="latest position of every vessel"),),
    streams=(Stream("/api/stream/positions", "maritime.positions", "dkfi.maritime.models:Vessel",
                    "dkfi.maritime.service:vessel_message"),),
    live=("dkfi.maritime.live:run",),
    checks=("dkfi.maritime.live:check_options",),
    demo=("dkfi.maritime.live:demo_options",),
    extensions={"core.metrics": ("dkfi.maritime.metrics:families",)},  # ingest counts by source and reason
)
