"""Watch-list vessels: a vessel on an imported list is seen, or comes near a critical asset.

The list is ``Context.watchlist`` (a :class:`dkfi.watch.watchlist.WatchList`, or anything with
``matches(mmsi, static)`` / ``match(mmsi, static)``), matched by MMSI, IMO number or normalised name (the
IMO and name come from the vessel's latest static data, ``Context.static``). This follows sanctions
screening as MarineTraffic and Windward run it, and JEF Nordic Warden's risk scoring of listed vessels that
enter watched areas.

Two triggers, both events of kind ``watchlist`` with ``measured``: trigger, list, reason, matched_by,
entries:

* ``seen`` -- once per voyage: the first position of a listed vessel, and again when it reappears after
  ``new_voyage_s`` (12 h) of silence or on a new UTC day (``per_day``);
* ``near_asset`` -- the vessel comes within the asset corridor (``Context.assets.near(lat, lon)`` returns
  something). The episode stays open while the vessel keeps coming near assets and closes after it has
  been away from every corridor for ``leave_s``; ``asset`` is the first asset, ``measured["assets"]`` all
  of them in the order met (re-emitted, same key, when another asset is added).

The match is cached per vessel and redone when its static data (IMO, name) changes. Starts of events
that would coincide are told apart by a millisecond (``Event.key`` rounds ``start`` to the millisecond).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from dkfi.watch.detectors.base import Context, Detector, Event, TrackPoint, thin
from dkfi.maritime.records import Position, Station


def asset_name(hit: Any) -> str | None:
    """Name of the first asset in whatever ``AssetIndex.near`` returned (list, tuple, object, dict, str)."""
    if not hit:
        return None
    if isinstance(hit, (list, tuple)):
        return asset_name(hit[0])  # a list of hits, or an (asset, distance) pair
    if isinstance(hit, str):
        return hit
    if isinstance(hit, dict):
        return hit.get("name") or str(hit.get("id", "asset"))
    name = getattr(hit, "name", None)
    if name is None and hasattr(hit, "asset"):
        return asset_name(hit.asset)
    return str(name) if name is not None else str(hit)


def _matches(wl: Any, mmsi: int, static: Any) -> list[tuple[Any, str]]:
    if hasattr(wl, "matches"):
        return [(m[0], m[1]) for m in wl.matches(mmsi, static)]
    return [(e, "unknown") for e in wl.match(mmsi, static)]


@dataclass(slots=True)
class _State:
    last_ts: float = 0.0
    static_key: tuple | None = None
    static_obj: Any = None  # the Context.static record the match was made against (identity check)
    hits: list[tuple[Any, str]] = field(default_factory=list)
    seen_start: float | None = None
    seen_day: int | None = None
    near_asset: str | None = None
    near_assets: list[str] = field(default_factory=list)
    near_start: float | None = None
    near_last: float = 0.0
    near_points: list[TrackPoint] = field(default_factory=list)
    starts: set[float] = field(default_factory=set)


class WatchlistDetector(Detector):
    """A listed vessel seen (once per voyage/day) or near an asset (see the module doc)."""

    kind = "watchlist"
    every_report = False  # a rule over minutes: the engine samples reports (base module doc)
    new_voyage_s = 12 * 3600.0
    per_day = True
    leave_s = 1800.0
    idle_s = 13 * 3600.0
    evidence_limit = 200

    def _start(self, st: _State, ts: float) -> float:
        s = ts
        while round(s, 3) in st.starts:
            s += 0.001
        st.starts = {x for x in st.starts if x > ts - 2 * 86400}
        st.starts.add(round(s, 3))
        return s

    def _measured(self, st: _State, trigger: str) -> dict:
        entries = [e for e, _ in st.hits]
        return {
            "trigger": trigger,
            "list": ", ".join(dict.fromkeys(str(getattr(e, "list", "")) for e in entries)),
            "reason": "; ".join(dict.fromkeys(str(getattr(e, "reason", "")) for e in entries if getattr(e, "reason", ""))),
            "matched_by": ", ".join(dict.fromkeys(how for _, how in st.hits)),
            "entries": [e.as_dict() if hasattr(e, "as_dict") else str(e) for e in entries],
        }

    def _rule(self, trigger: str) -> str:
        if trigger == "seen":
            return (f"vessel on a watch list (by MMSI, IMO or name) seen; once per "
                    f"{'UTC day or ' if self.per_day else ''}voyage (after {self.new_voyage_s / 3600:g} h silence)")
        return "vessel on a watch list within the corridor of a critical asset"

    def update(self, p: Position, ctx: Context) -> Iterable[Event]:
        wl = ctx.watchlist
        if wl is None or p.station in (Station.BASE, Station.ATON, Station.SAR):
            return ()
        static = ctx.static.get(p.mmsi)
        st = self.state.get(p.mmsi)
        if st is not None and static is st.static_obj:
            # the common case: static data unchanged since the last report, the cached match stands
            self.state.move_to_end(p.mmsi)
            prev_ts = st.last_ts
            st.last_ts = p.ts
            if not st.hits:
                return ()
            return self._listed(p, ctx, st, prev_ts)
        skey = (getattr(static, "imo", None), getattr(static, "name", None))
        if st is None:
            hits = _matches(wl, p.mmsi, static)
            if not hits:
                # remember unlisted vessels cheaply: only re-check when their static data changes
                st = self.vessel(p.mmsi, _State)
                st.static_key, st.static_obj, st.last_ts = skey, static, p.ts
                return ()
            st = self.vessel(p.mmsi, _State)
            st.hits, st.static_key = hits, skey
        else:
            self.state.move_to_end(p.mmsi)
            if st.static_key != skey:
                st.hits, st.static_key = _matches(wl, p.mmsi, static), skey
        st.static_obj = static
        prev_ts = st.last_ts
        st.last_ts = p.ts
        if not st.hits:
            return ()
        return self._listed(p, ctx, st, prev_ts)

    def _listed(self, p: Position, ctx: Context, st: _State, prev_ts: float) -> list[Event]:
        out: list[Event] = []
        tp = TrackPoint.of(p)
        day = int(p.ts // 86400)
        if (st.seen_start is None or p.ts - prev_ts > self.new_voyage_s
                or (self.per_day and day != st.seen_day)):
            st.seen_start, st.seen_day = self._start(st, p.ts), day
            out.append(Event(self.kind, p.mmsi, st.seen_start, p.ts, self._rule("seen"),
                             self._measured(st, "seen"), [tp], status="closed"))
        if ctx.assets is not None:
            name = asset_name(ctx.assets.near(p.lat, p.lon))
            if name is not None:
                if st.near_start is not None and p.ts - st.near_last > self.leave_s:
                    out.extend(self._close_near(p.mmsi, st))
                near_start = st.near_start
                if near_start is None:
                    near_start = st.near_start = self._start(st, p.ts)
                    st.near_asset = name
                    st.near_assets, st.near_points = [name], [tp]
                    st.near_last = p.ts
                    out.append(self._near_event(p.mmsi, st, near_start, "open"))
                else:
                    st.near_points.append(tp)
                    if len(st.near_points) > 4 * self.evidence_limit:
                        st.near_points = thin(st.near_points, self.evidence_limit)
                    st.near_last = p.ts
                    if name not in st.near_assets:
                        st.near_assets.append(name)
                        out.append(self._near_event(p.mmsi, st, near_start, "open"))
            elif st.near_start is not None and p.ts - st.near_last > self.leave_s:
                out.extend(self._close_near(p.mmsi, st))
        return out

    def _near_event(self, mmsi: int, st: _State, start: float, status: str) -> Event:
        """The near-asset episode that began at ``start`` (``st.near_start``)."""
        m = self._measured(st, "near_asset")
        m["points_near"] = len(st.near_points)
        m["assets"] = list(st.near_assets)
        return Event(self.kind, mmsi, start, st.near_last, self._rule("near_asset"), m,
                     thin(st.near_points, self.evidence_limit), asset=st.near_asset, status=status)

    def _close_near(self, mmsi: int, st: _State) -> list[Event]:
        start = st.near_start
        if start is None:
            return []
        e = self._near_event(mmsi, st, start, "closed")
        st.near_start, st.near_asset, st.near_points = None, None, []
        return [e]

    def expire(self, mmsi: int, state: _State, ctx: Context) -> Iterable[Event]:
        return self._close_near(mmsi, state)
