"""The critical-infrastructure watch's declaration: detectors on the picture's feeds, explainable alerts and
their lifecycle, watch lists; alerts federate to the partner node and export to allies."""
from pathlib import Path

from dkfi.core.registry import BannerSource, CliGroup, Domain, ExportLayer, Federated, NavEntry, Stream

DOMAIN = Domain(
    name="watch",
    title="critical-infrastructure watch",
    description="loitering, anchor drag, AIS gaps, spoofing, encounters and watch lists over cables and pipelines",
    requires=("maritime",),
    models=("dkfi.watch.models",),
    routers=("dkfi.watch.api:router",),
    pages=("dkfi.watch.pages:router",),
    templates=Path(__file__).parent / "templates",
    nav=(NavEntry("Alerts", "/alerts", "alerts", order=20, badge="alerts-badge"),
         NavEntry("Watch lists", "/watchlists", "watchlists", order=30)),
    banner=(BannerSource("dkfi.watch.models:AlertRecord", pages=("map",), where="dkfi.watch.api:open_alerts"),
            BannerSource("dkfi.watch.models:AlertRecord", pages=("alerts",))),
    cli=(CliGroup("watch", "dkfi.watch.cli:app"),),
    # the findings are the originator's; the lifecycle of a received alert (who works on it, its outcome) is the
    # receiving node's own business once it has arrived; received alerts join the live alert stream
    federated=(Federated("dkfi.watch.models:AlertRecord", "key",
                         keep_local=("status", "assigned_to", "assigned_nation", "outcome", "notes"),
                         live_subject="maritime.alerts", live_message="dkfi.watch.service:summary_dict"),),
    exports=(ExportLayer("alerts", geojson="dkfi.watch.exports:alerts_geojson", cot="dkfi.watch.exports:alerts_cot",
                         options=("statuses",), description="alerts at their evidence track"),
             ExportLayer("assets", geojson="dkfi.watch.exports:assets_geojson",
                         description="cables, pipelines and power links the watch protects")),
    streams=(Stream("/api/stream/alerts", "maritime.alerts", "dkfi.watch.models:AlertRecord",
                    "dkfi.watch.service:summary_dict"),),
    checks=("dkfi.watch.live:check_options",),
    extensions={"maritime.feed_taps": ("dkfi.watch.live:feed_taps",),
                "maritime.vessel_identity": ("dkfi.watch.exports:watch_listed_vessels",),  # NVG symbols
                "sharing.empty_export_hints": ("dkfi.watch.exports:empty_export_hint",),
                "core.metrics": ("dkfi.watch.metrics:families",),  # alerts raised by kind
                "web.home_tiles": ("dkfi.watch.home:tile",)},
)
