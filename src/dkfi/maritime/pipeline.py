"""The one ingest pipeline every source feeds: accounting, de-duplication, state and history.

Sources yield :mod:`dkfi.maritime.records` items; the pipeline counts every input unit once
(``received = accepted + duplicates + rejected``; comment lines are accepted units, also counted apart as
``comments``; what a source could not read at all is kept in ``unreadable``), drops the same message heard by
several receivers, keeps the newest position and static data per vessel, buffers the full history and
hands both to a :class:`~dkfi.maritime.store.Store` on :meth:`Pipeline.flush`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterable, cast

import numpy as np
import polars as pl

from dkfi.maritime.records import (
    COMMENT,
    POSITION_SCHEMA,
    STATIC_SCHEMA,
    Batch,
    Consumed,
    Item,
    Position,
    Rejected,
    Static,
    Unreadable,
)

if TYPE_CHECKING:
    from dkfi.maritime.store import Store

_POS_COLS = tuple(POSITION_SCHEMA)
_STATIC_COLS = tuple(STATIC_SCHEMA)
_STATIC_FIELDS = ("name", "imo", "callsign", "ship_type", "length", "width", "draught", "destination", "eta")

#: What :meth:`Pipeline.take` hands over: history frames and the changed vessels' latest state.
Taken = tuple[pl.DataFrame, pl.DataFrame, dict[int, Position], dict[int, Static]]


@dataclass
class Accounting:
    """What happened to every input unit."""

    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    positions: int = 0
    statics: int = 0
    comments: int = 0
    """Comment lines (``#``), among the accepted units."""
    unreadable: list[str] = field(default_factory=list)
    """What a source could not read at all (no units), each naming the input and the reason."""

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def balanced(self) -> bool:
        return self.received == self.accepted + self.duplicates + self.rejected_total

    def merge(self, other: "Accounting") -> None:
        self.received += other.received
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected.update(other.rejected)
        self.positions += other.positions
        self.statics += other.statics
        self.comments += other.comments
        self.unreadable.extend(other.unreadable)

    def since(self, before: "Accounting") -> "Accounting":
        """What was counted after ``before`` (a copy of this accounting taken earlier)."""
        return Accounting(self.received - before.received, self.accepted - before.accepted,
                          self.duplicates - before.duplicates, +(self.rejected - before.rejected),
                          self.positions - before.positions, self.statics - before.statics,
                          self.comments - before.comments, self.unreadable[len(before.unreadable):])

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": dict(sorted(self.rejected.items())),
            "comments": self.comments,
        }


class Pipeline:
    """Feeds items into state and history. Not thread-safe: one pipeline per ingest job.

    ``store`` may be None (accounting and de-duplication only, as the benchmark's bare path
    does not need it). ``listeners`` are called with each accepted, de-duplicated Position
    (the live picture and the detectors hang off them).
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        dedupe_window: float = 60.0,
        flush_rows: int = 250_000,
        latest_rows: int | None = None,
        listeners: Iterable[Callable[[Position], None]] = (),
        static_listeners: Iterable[Callable[[Static], None]] = (),
    ) -> None:
        self.store = store
        self.latest_rows = flush_rows if latest_rows is None else latest_rows
        """Columnar NMEA batches: the vessel table is written at the first flush after this many rows (and at
        every explicit :meth:`flush`); the history at every flush."""
        self._since_latest = 0
        self.acc = Accounting()
        self.window = dedupe_window
        self.flush_rows = flush_rows
        self.listeners = list(listeners)
        self.static_listeners = list(static_listeners)
        self._seen: dict[Hashable, float] = {}
        self._seen_max_ts = 0.0
        self._seen_limit = 400_000
        self._positions: list[Position] = []
        self._statics: list[Static] = []
        self._frames: list[pl.DataFrame] = []
        self._static_frames: list[pl.DataFrame] = []
        self._buffered = 0
        self.latest: dict[int, Position] = {}
        self.static: dict[int, Static] = {}
        self._dirty: set[int] = set()
        self.vessels_seen: set[int] = set()

    # ---- hot path ---------------------------------------------------------------------------
    def feed(self, items: Iterable[Item], progress: Callable[[int], None] | None = None) -> None:
        """Consume every item of a source (calls ``progress(units)`` every ~20,000 units)."""
        add = self.add
        if progress is None:
            for item in items:
                add(item)
            return
        acc = self.acc
        last = acc.received
        for item in items:
            add(item)
            if acc.received - last >= 20_000:
                progress(acc.received - last)
                last = acc.received
        progress(acc.received - last)

    def _is_duplicate(self, key: Hashable, ts: float) -> bool:
        seen = self._seen
        prev = seen.get(key)
        if prev is not None and -self.window <= ts - prev <= self.window:
            return True
        seen[key] = ts
        if ts > self._seen_max_ts:
            self._seen_max_ts = ts
        if len(seen) > self._seen_limit:
            self._prune_seen()
        return False

    def _prune_seen(self) -> None:
        horizon = self._seen_max_ts - self.window
        self._seen = {k: t for k, t in self._seen.items() if t >= horizon}
        if len(self._seen) > self._seen_limit // 2:  # out-of-order input: keep the newest half
            keep = sorted(self._seen.items(), key=lambda kv: kv[1])[-(self._seen_limit // 2):]
            self._seen = dict(keep)

    def add(self, item: Item) -> None:
        acc = self.acc
        if type(item) is Position:
            acc.received += item.units
            key = item.dedupe_key
            if key is not None and self._is_duplicate(key, item.ts):
                acc.duplicates += item.units
                return
            acc.accepted += item.units
            acc.positions += 1
            self._positions.append(item)
            mmsi = item.mmsi
            cur = self.latest.get(mmsi)
            if cur is None or item.ts >= cur.ts:
                self.latest[mmsi] = item
                self._dirty.add(mmsi)
            for fn in self.listeners:
                fn(item)
            self._buffered += 1
            if self._buffered >= self.flush_rows:
                self.flush()
        elif type(item) is Static:
            acc.received += item.units
            key = item.dedupe_key
            if key is not None and self._is_duplicate(key, item.ts):
                acc.duplicates += item.units
                return
            acc.accepted += item.units
            acc.statics += 1
            self._statics.append(item)
            self._merge_static(item)
            for sfn in self.static_listeners:
                sfn(item)
        elif type(item) is Rejected:
            acc.received += item.units
            acc.rejected[item.reason] += item.units
        elif type(item) is Consumed:
            acc.received += item.units
            acc.accepted += item.units
            if item.kind == COMMENT:
                acc.comments += item.units
        elif type(item) is Batch:
            self.add_batch(item)
        elif type(item) is Unreadable:
            acc.unreadable.append(item.detail)
        else:
            raise TypeError(f"not a pipeline item: {item!r}")

    def _merge_static(self, item: Static) -> None:
        cur = self.static.get(item.mmsi)
        if cur is None:
            self.static[item.mmsi] = Static(**{f: getattr(item, f) for f in item.__slots__})
        elif item.ts >= cur.ts:
            # newer message: its non-empty fields win; a class B part A/B pair fills both halves
            for f in _STATIC_FIELDS:
                v = getattr(item, f)
                if v is not None:
                    setattr(cur, f, v)
            cur.ts = item.ts
            cur.station = item.station
            cur.source = item.source
        else:
            for f in _STATIC_FIELDS:  # older message only fills gaps
                if getattr(cur, f) is None and getattr(item, f) is not None:
                    setattr(cur, f, getattr(item, f))
        self._dirty.add(item.mmsi)

    # ---- columnar batches (DMA CSV, NMEA) ---------------------------------------------------
    def add_batch(self, batch: Batch) -> None:
        if batch.keys is not None:
            self._add_keyed(batch)
            return
        acc = self.acc
        acc.received += batch.units
        rejected = sum(batch.rejected.values())
        acc.rejected.update(batch.rejected)
        pos = batch.positions
        if pos.height:
            unique = pos.unique(subset=["mmsi", "ts", "lat", "lon"], keep="first", maintain_order=True)
            dup = pos.height - unique.height
            pos = unique
        else:
            dup = 0
        acc.duplicates += dup
        acc.accepted += batch.units - rejected - dup
        acc.positions += pos.height
        acc.statics += batch.statics.height
        if pos.height:
            self._frames.append(pos)
            self._buffered += pos.height
            last = pos.sort("ts").group_by("mmsi", maintain_order=True).last()
            for row in last.iter_rows(named=True):
                p = Position(**row)
                cur = self.latest.get(p.mmsi)
                if cur is None or p.ts >= cur.ts:
                    self.latest[p.mmsi] = p
                    self._dirty.add(p.mmsi)
            if self.listeners:
                for row in pos.iter_rows(named=True):
                    p = Position(**row)
                    for fn in self.listeners:
                        fn(p)
        if batch.statics.height:
            self._static_frames.append(batch.statics)
            merged = batch.statics.sort("ts").group_by("mmsi", maintain_order=True).agg(
                [pl.col(c).drop_nulls().last() for c in _STATIC_COLS if c != "mmsi"]
            )
            for row in merged.iter_rows(named=True):
                self._merge_static(Static(**row))
        if self._buffered >= self.flush_rows:
            self.flush()

    def _add_keyed(self, batch: Batch) -> None:
        """A batch of NMEA positions: repeats dropped by key within the window, as :meth:`add` does one by one."""
        acc = self.acc
        pos = batch.positions
        keys = batch.keys
        assert keys is not None
        units = np.asarray(batch.row_units, dtype=np.int64)
        acc.received += batch.units
        acc.rejected.update(batch.rejected)
        seen = self._seen
        window = self.window
        top = self._seen_max_ts
        dups: list[int] = []
        get = seen.get
        for i, (k, t) in enumerate(zip(keys, pos["ts"].to_list())):
            prev = get(k)
            if prev is not None and -window <= t - prev <= window:
                dups.append(i)
                continue
            seen[k] = t
            if t > top:
                top = t
        self._seen_max_ts = top
        if len(seen) > self._seen_limit:
            self._prune_seen()
        if dups:
            keep = np.ones(pos.height, dtype=bool)
            keep[dups] = False
            dup_units = int(units[~keep].sum())
            pos = pos.filter(pl.Series(keep))
            units = units[keep]
            keys = [k for k, ok in zip(keys, keep.tolist()) if ok]
        else:
            dup_units = 0
        acc.duplicates += dup_units
        acc.accepted += batch.units - dup_units - sum(batch.rejected.values())
        acc.positions += pos.height
        if not pos.height:
            return
        self._frames.append(pos)
        self._buffered += pos.height
        latest = self.latest
        # each vessel's newest row (the last in arrival order among equal times), as add() keeps it one by one
        order = np.argsort(pos["ts"].to_numpy(), kind="stable")
        by_time = pos["mmsi"].to_numpy()[order][::-1]
        _, first = np.unique(by_time, return_index=True)
        for row in pos[order[len(order) - 1 - first]].iter_rows():
            cur = latest.get(row[1])
            if cur is None or row[0] >= cur.ts:
                latest[row[1]] = Position(*cast(Any, row))
                self._dirty.add(row[1])
        if self.listeners:
            listeners = self.listeners
            make: Any = Position  # a row holds the fields in order (POSITION_SCHEMA), then units and key
            for row, u, k in zip(pos.iter_rows(), units.tolist(), keys):
                p = make(*row, u, k)
                for fn in listeners:
                    fn(p)
        if self._buffered >= self.flush_rows:
            # history at every flush (memory is bounded by flush_rows), the vessel table less often: writing a
            # few thousand changed vessels costs as much as a hundred thousand history rows
            self._since_latest += self._buffered
            latest_too = self._since_latest >= self.latest_rows
            if latest_too:
                self._since_latest = 0
            self.write(self.take(latest=latest_too))

    # ---- output -----------------------------------------------------------------------------
    def position_frame(self) -> pl.DataFrame:
        """The buffered positions as one frame (clears nothing)."""
        frames = list(self._frames)
        if self._positions:
            ps = self._positions
            frames.append(pl.DataFrame({c: [getattr(p, c) for p in ps] for c in _POS_COLS}, schema=POSITION_SCHEMA))
        if not frames:
            return pl.DataFrame(schema=POSITION_SCHEMA)
        return pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]

    def static_frame(self) -> pl.DataFrame:
        frames = list(self._static_frames)
        if self._statics:
            ss = self._statics
            frames.append(pl.DataFrame({c: [getattr(s, c) for s in ss] for c in _STATIC_COLS}, schema=STATIC_SCHEMA))
        if not frames:
            return pl.DataFrame(schema=STATIC_SCHEMA)
        return pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]

    def take(self, latest: bool = True) -> Taken:
        """Hand over what is buffered (history frames, changed vessels) and start afresh.

        ``latest=False``: the history only; the changed vessels wait for a later take."""
        dirty = self._dirty if latest else set()
        self.vessels_seen.update(dirty)
        taken: Taken = (
            self.position_frame(),
            self.static_frame(),
            {m: self.latest[m] for m in dirty if m in self.latest},
            # static records are merged in place later, so hand over copies
            {m: Static(**{f: getattr(self.static[m], f) for f in Static.__slots__}) for m in dirty if m in self.static},
        )
        self._positions = []
        self._statics = []
        self._frames = []
        self._static_frames = []
        self._buffered = 0
        if latest:
            self._dirty = set()
        return taken

    def write(self, taken: Taken) -> None:
        """Write what :meth:`take` handed over to the store (may run in another thread)."""
        if self.store is None:
            return
        pos, sta, latest, static = taken
        if pos.height:
            self.store.append_positions(pos)
        if sta.height:
            self.store.append_statics(sta)
        if latest or static:
            self.store.upsert_latest(latest, static)

    def flush(self) -> None:
        """Write buffered history and changed vessel state to the store."""
        self.write(self.take())

    def summary(self) -> dict[str, Any]:
        """The accounting as the CLI's ``--json`` prints it."""
        d = self.acc.as_dict()
        d["vessels"] = len(self.vessels_seen | self._dirty)
        return d
