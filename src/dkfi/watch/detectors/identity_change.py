"""Identity changes: one MMSI announcing a different name, IMO number, call sign or ship type.

Follows MarineTraffic's name/flag change events and Windward's "ID manipulation": a vessel that re-paints
its identity while keeping its MMSI (or an MMSI shared by two vessels) is a sign worth a look. The flag is
the MID of the MMSI, so it cannot change within one MMSI; the IMO number (which should never change for a
hull) and the ship type are compared instead.

Each static report (AIS 5, 19, 24; DMA CSV; Digitraffic metadata) is compared, field by field, with the
last known non-empty value of that MMSI:

* a field going from empty/None (or AIS "not available": IMO 0, ship type 0) to a value is not a change,
  nor is a value going back to empty (class B part A/B reports carry only half the fields);
* text is compared after folding case, '@' padding and runs of blanks;
* ship types are compared by their first digit group (``ship_type_by_group``): 80 -> 84 (tanker, another
  hazard category) is a cargo change, 80 -> 30 (tanker -> fishing) is an identity change;
* the same change (field, old, new) is not reported again within ``repeat_s`` (two transmitters sharing
  one MMSI would otherwise fire on every report).

One event per changed field (``measured``: field, old, new, previous_ts); several fields changed in one
report give several events whose starts differ by a millisecond (``Event.key`` rounds to the millisecond).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from dkfi.watch.detectors.base import Context, Detector, Event, TrackPoint
from dkfi.maritime.records import Position, Static

FIELDS = ("name", "imo", "callsign", "ship_type")


def _norm(fieldname: str, value: Any) -> Any:
    if value is None:
        return None
    if fieldname in ("imo", "ship_type"):
        try:
            v = int(value)
        except (TypeError, ValueError):
            return None
        return v or None  # 0 = not available
    text = " ".join(str(value).replace("@", " ").upper().split())
    return text or None


@dataclass(slots=True)
class _State:
    last_ts: float = 0.0
    known: dict[str, tuple[Any, Any, float]] = field(default_factory=dict)  # field -> (norm, raw, ts)
    reported: dict[tuple, float] = field(default_factory=dict)
    last_pos: TrackPoint | None = None


class IdentityChangeDetector(Detector):
    """Name, IMO, call sign or ship-type change under one MMSI (see the module doc)."""

    kind = "identity_change"
    idle_s = 30 * 86400.0        # identities are remembered for a month of data time
    fields = FIELDS
    ship_type_by_group = True
    repeat_s = 86400.0

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        # evidence: where each vessel was last (its latest Position), kept outside the per-vessel state so a
        # position report costs one dict store; the state (identities) is touched by static reports only
        self.last_pos: dict[int, Position] = {}

    def update(self, p: Position, ctx: Context) -> Iterable[Event]:
        last_pos = self.last_pos
        last_pos[p.mmsi] = p
        if len(last_pos) > self.max_vessels:
            self._prune_positions(p.ts)
        return ()

    def _prune_positions(self, now: float) -> None:
        keep = {m: q for m, q in self.last_pos.items() if now - q.ts < self.idle_s}
        if len(keep) > self.max_vessels // 2:  # keep the newest half
            keep = dict(sorted(keep.items(), key=lambda kv: kv[1].ts)[-(self.max_vessels // 2):])
        self.last_pos = keep

    def forget(self, mmsis: set[int]) -> None:
        super().forget(mmsis)
        for m in mmsis:
            self.last_pos.pop(m, None)

    def _same(self, f: str, a: Any, b: Any) -> bool:
        if f == "ship_type" and self.ship_type_by_group:
            return a // 10 == b // 10
        return a == b

    def update_static(self, s: Static, ctx: Context) -> Iterable[Event]:
        st: _State = self.vessel(s.mmsi, _State)
        st.last_ts = max(st.last_ts, s.ts)
        pos = self.last_pos.get(s.mmsi)
        if pos is not None:
            st.last_pos = TrackPoint.of(pos)
        out: list[Event] = []
        offset = 0.0
        for f in self.fields:
            raw = getattr(s, f, None)
            new = _norm(f, raw)
            if new is None:
                continue
            old = st.known.get(f)
            st.known[f] = (new, raw, s.ts)
            if old is None or self._same(f, old[0], new):
                continue
            key = (f, old[0], new)
            if s.ts - st.reported.get(key, -1e18) < self.repeat_s:
                continue
            st.reported[key] = s.ts
            if len(st.reported) > 32:
                st.reported = {k: v for k, v in st.reported.items() if s.ts - v < self.repeat_s}
            old_raw = old[1].strip() if isinstance(old[1], str) else old[1]
            new_raw = raw.strip() if isinstance(raw, str) else raw
            out.append(Event(
                self.kind, s.mmsi, s.ts + offset, s.ts,
                f"{f} changed under the same MMSI (empty values, case and blanks ignored"
                + ("; ship type by first digit" if f == "ship_type" and self.ship_type_by_group else "") + ")",
                {"field": f, "old": old_raw, "new": new_raw, "previous_ts": old[2],
                 "source": s.source or None},
                [st.last_pos] if st.last_pos is not None else [], status="closed"))
            offset += 0.001
        return out
