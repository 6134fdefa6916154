"""Events merged into alerts: one per vessel and situation, with an explainable risk score.

Pure code: events in, alerts out. The score is a sum of named factors with their points, so a duty
officer sees why an alert is ranked as it is; the watch list contributes its own factor.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from dkfi.core.times import iso_ts
from dkfi.watch.detectors.base import Event


def iso(ts: float) -> str:
    return iso_ts(ts, "seconds")



# Points per detector kind: the weight of the finding on its own.
KIND_POINTS = {
    "anchor_drag": 50,
    "ais_gap": 30,
    "watchlist": 30,
    "loitering": 25,
    "encounter": 25,
    "spoofing": 25,
    "drift": 20,
    "sudden_speed_change": 20,
    "identity_change": 15,
}
ASSET_POINTS = 15          # the situation involves a cable, pipeline or power link
EXTRA_ASSET_POINTS = 10    # per further asset crossed on the voyage
WATCHLIST_POINTS = 25      # the vessel is on an imported watch list
CORROBORATION_SHARE = 0.5  # a further kind of finding in the same situation adds half its points
MERGE_GAP_S = 2 * 3600.0   # events of one vessel and situation closer than this form one alert

SEVERITIES = ((80, "critical"), (60, "high"), (35, "medium"), (0, "low"))
SEVERITY_CEILING = {"high": 79.0, "medium": 59.0, "low": 34.0}  # the highest score a capped alert keeps


def severity_for(score: float) -> str:
    for threshold, name in SEVERITIES:
        if score >= threshold:
            return name
    return "low"


@dataclass
class Alert:
    """A situation worth a duty officer's attention."""

    kind: str
    mmsi: int
    asset: str | None
    start: float
    end: float
    events: list[Event] = field(default_factory=list)
    score: float = 0.0
    factors: list[tuple[str, float]] = field(default_factory=list)
    vessel_name: str | None = None
    key: str = ""  # stable identity, fixed when the first event opens the alert

    def __post_init__(self) -> None:
        if not self.key:
            self.key = f"{self.mmsi}:{self.situation}:{int(self.start)}"

    @property
    def situation(self) -> str:
        return self.asset or self.kind

    @property
    def severity(self) -> str:
        return severity_for(self.score)

    @property
    def kinds(self) -> list[str]:
        return sorted({e.kind for e in self.events}, key=lambda k: -KIND_POINTS.get(k, 10))

    def summary(self) -> str:
        who = f"{self.vessel_name} ({self.mmsi})" if self.vessel_name else f"MMSI {self.mmsi}"
        what = ", ".join(k.replace("_", " ") for k in self.kinds)
        where = f" at {self.asset}" if self.asset else ""
        mins = (self.end - self.start) / 60
        return f"{who}: {what}{where}, {iso(self.start)} for {mins:.0f} min"

    def as_dict(self) -> dict[str, Any]:
        """The JSON form ``dkfi watch replay --json`` prints, one per alert."""
        return {
            "kind": self.kind, "mmsi": self.mmsi, "asset": self.asset, "start": iso(self.start),
            "end": iso(self.end), "severity": self.severity, "score": round(self.score, 1),
            "summary": self.summary(), "factors": [{"factor": f, "points": p} for f, p in self.factors],
            "kinds": self.kinds, "vessel_name": self.vessel_name, "key": self.key,
            "evidence": [
                {"kind": e.kind, "rule": e.rule, "measured": e.measured, "asset": e.asset, "start": iso(e.start),
                 "end": iso(e.end), "status": e.status, "other_mmsi": e.other_mmsi,
                 "track": [[p.ts, p.lat, p.lon, p.sog, p.cog, p.heading] for p in e.evidence]}
                for e in sorted(self.events, key=lambda e: e.start)
            ],
        }


def score(alert: Alert, watch_hits: Sequence[Any] = ()) -> None:
    """Fill ``alert.score`` and ``alert.factors`` from its events (and watch-list matches)."""
    factors: list[tuple[str, float]] = []
    kinds = alert.kinds
    if kinds:
        main = kinds[0]
        factors.append((f"{main.replace('_', ' ')} detected", KIND_POINTS.get(main, 10)))
        # the signals of the main finding (its newest event), each a factor with its points
        newest = max((e for e in alert.events if e.kind == main), key=lambda e: e.end)
        factors.extend((str(t), float(p)) for t, p in newest.measured.get("factors") or ())
        for k in kinds[1:]:
            factors.append((f"corroborated by {k.replace('_', ' ')}", KIND_POINTS.get(k, 10) * CORROBORATION_SHARE))
    assets = {e.asset for e in alert.events if e.asset}
    for e in alert.events:
        for a in e.measured.get("assets_crossed", []) or []:
            assets.add(a)
    if assets:
        factors.append((f"critical infrastructure involved: {', '.join(sorted(assets))}", ASSET_POINTS))
        if len(assets) > 1:
            factors.append((f"{len(assets)} assets on one voyage", EXTRA_ASSET_POINTS * (len(assets) - 1)))
    if watch_hits and "watchlist" not in kinds:
        lists = sorted({getattr(h, "list", str(h)) for h in watch_hits})
        factors.append((f"on watch list: {', '.join(lists)}", WATCHLIST_POINTS))
    if kinds:
        # severity that earns "critical": the detector says how high its signals allow (docs/watch.md,
        # "Severity"); a finding of another kind corroborating it lifts a cap of "high", never one of "low"
        cap = newest.measured.get("severity_cap")
        ceiling = SEVERITY_CEILING.get(str(cap)) if cap != "high" or len(kinds) == 1 else None
        raw = sum(p for _, p in factors)
        if ceiling is not None and raw > ceiling:
            factors.append((f"held at {cap}: {newest.measured.get('severity_cap_reason') or cap}", ceiling - raw))
    alert.factors = factors
    alert.score = max(0.0, min(100.0, sum(p for _, p in factors)))


class AlertBuilder:
    """Merges events, as they come and change, into alerts (per vessel and situation)."""

    def __init__(self, watchlist: Any = None, static: dict | None = None) -> None:
        self.watchlist = watchlist
        self.static = static if static is not None else {}
        self.alerts: dict[str, Alert] = {}
        self._by_event: dict[tuple, str] = {}
        self._open: dict[tuple[int, str], Alert] = {}

    def alert_key_of(self, event_key: tuple) -> str | None:
        """The key of the alert an event belongs to (None if it belongs to none)."""
        return self._by_event.get(event_key)

    def _watch_hits(self, mmsi: int) -> list:
        if self.watchlist is None:
            return []
        return list(self.watchlist.match(mmsi, self.static.get(mmsi)))

    def add(self, event: Event) -> Alert | None:
        """Take a new or updated event; returns the alert it now belongs to (None if withdrawn)."""
        prev_key = self._by_event.get(event.key)
        alert: Alert | None
        if prev_key is not None:
            alert = self.alerts[prev_key]
            alert.events = [e for e in alert.events if e.key != event.key]
            if event.status != "withdrawn":
                alert.events.append(event)
        elif event.status == "withdrawn":
            return None
        else:
            situation = event.asset or event.kind
            alert = self._open.get((event.mmsi, situation))
            if alert is None or event.start > alert.end + MERGE_GAP_S:
                alert = Alert(kind=event.kind, mmsi=event.mmsi, asset=event.asset, start=event.start, end=event.end)
                self._open[(event.mmsi, situation)] = alert
                self.alerts[alert.key] = alert
            alert.events.append(event)
            self._by_event[event.key] = alert.key
        if not alert.events:
            self.alerts.pop(alert.key, None)
            return None
        alert.start = min(e.start for e in alert.events)
        alert.end = max(e.end for e in alert.events)
        alert.kind = alert.kinds[0]
        st = self.static.get(alert.mmsi)
        alert.vessel_name = getattr(st, "name", None) or alert.vessel_name
        score(alert, self._watch_hits(alert.mmsi))
        return alert

    def add_all(self, events: Iterable[Event]) -> None:
        for e in events:
            self.add(e)

    def final(self) -> list[Alert]:
        return sorted(self.alerts.values(), key=lambda a: (a.start, a.mmsi, a.kind))
