"""Maritime picture logic: importing files, live feeds, and the queries behind the API and CLI.

Functions take an engine or a session; callers (API, CLI, workers) own the transaction.
"""
from __future__ import annotations

import asyncio
import heapq
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterable, Iterator, Protocol, Sequence

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dkfi.core.bus import InProcessBus
from dkfi.core.config import Settings
from dkfi.core.labels import AIS_DEFAULT
from dkfi.core.records import label_dict, record_label
from dkfi.core.times import iso_ts, iso_utc
from dkfi.maritime import metrics as ingest_metrics
from dkfi.maritime.formats import FormatError, open_source
from dkfi.maritime.models import IngestRun, Vessel
from dkfi.maritime.pipeline import Accounting, Pipeline
from dkfi.maritime.records import Item, Position, Static
from dkfi.maritime.store import FileFingerprint, Store

log = logging.getLogger(__name__)

POSITIONS_SUBJECT = "maritime.positions"


#: Positions an import buffers before it writes them: the import's memory is bounded by this (and the 2 MB blocks
#: of the NMEA reader), not by the file; 100,000 keeps a 1-million-sentence import under 300 MB.
IMPORT_FLUSH_ROWS = 100_000


def make_store(engine: Engine, settings: Settings) -> Store:
    return Store(engine, settings.history_dir, label=AIS_DEFAULT, owner_nation=settings.nation)


@dataclass
class FileResult:
    path: str
    format: str | None
    accounting: Accounting | None = None
    error: str | None = None
    skipped: str | None = None  # why the file was not read (imported before)


@dataclass
class ImportReport:
    """What an import did, file by file and in total."""

    files: list[FileResult] = field(default_factory=list)
    total: Accounting = field(default_factory=Accounting)
    vessels: int = 0

    @property
    def errors(self) -> list[FileResult]:
        return [f for f in self.files if f.error]

    @property
    def skipped(self) -> list[FileResult]:
        return [f for f in self.files if f.skipped]

    def as_dict(self) -> dict:
        d = self.total.as_dict()
        d["vessels"] = self.vessels
        d["files"] = [
            {"path": f.path, "format": f.format, **(f.accounting.as_dict() if f.accounting else {}),
             **({"error": f.error} if f.error else {}), **({"skipped": f.skipped} if f.skipped else {})}
            for f in self.files
        ]
        return d


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the files inside folders named (sorted); missing paths are kept to be reported."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and not q.name.startswith(".")))
        else:
            out.append(p)
    return out


def import_paths(
    engine: Engine,
    paths: Iterable[Path],
    settings: Settings,
    *,
    fmt: str = "auto",
    on_file: Callable[[Path, int], None] | None = None,
    progress: Callable[[int], None] | None = None,
    force: bool = False,
    decoder: str | None = None,
) -> ImportReport:
    """Import AIS files into the picture. A bad file is reported and skipped, keeping what could be read of it;
    the others go in. A file imported before (the same bytes) is skipped unless ``force``.

    ``decoder`` names the AIS decoder of NMEA files (:mod:`dkfi.maritime.sources.decoders`; default
    ``DKFI_AIS_DECODER`` or ``columnar``); ValueError for an unknown or uninstalled one."""
    from dkfi.maritime.sources.decoders import get_decoder

    get_decoder(decoder)  # refused before any file is read
    report = ImportReport()
    store = make_store(engine, settings)
    pipeline = Pipeline(store, flush_rows=IMPORT_FLUSH_ROWS, latest_rows=4 * IMPORT_FLUSH_ROWS)
    for path in expand_paths(paths):
        result = FileResult(str(path), None)
        report.files.append(result)
        if not path.exists():
            result.error = f"{path}: no such file"
            continue
        try:  # a pipe or device cannot be read twice: only regular files are fingerprinted
            fingerprint = FileFingerprint(path) if path.is_file() else None
            prior = None if force or fingerprint is None else store.previous_import(fingerprint)
        except OSError as exc:
            result.error = f"{path}: cannot be read ({exc})"
            continue
        if prior is not None:
            when = prior.imported if prior.imported.tzinfo else prior.imported.replace(tzinfo=timezone.utc)
            result.format = prior.format
            result.accounting = Accounting()
            was = "" if prior.path == str(path) else f" as {prior.path}"
            result.skipped = (f"{path}: already imported on {when:%Y-%m-%d %H:%M} UTC{was} "
                              f"({prior.received:,} units, {prior.accepted:,} accepted); skipped")
            continue
        if on_file:
            on_file(path, fingerprint.size if fingerprint else 0)
        started = datetime.now(timezone.utc)
        before = Accounting()
        before.merge(pipeline.acc)
        failed = False
        try:
            result.format, items = open_source(path, fmt) if decoder is None else \
                open_source(path, fmt, decoder=decoder)
            pipeline.feed(items, progress)
        except FormatError as exc:
            result.error = str(exc)
        except Exception as exc:  # the sources refuse bad content unit by unit; this is the last resort
            log.debug("import of %s stopped", path, exc_info=True)
            result.error = f"{path}: reading stopped ({type(exc).__name__}: {exc}); what was read before is kept"
            failed = True
        pipeline.flush()  # what was read is kept, whatever stopped the reading
        if result.format is None:
            continue
        acc = pipeline.acc.since(before)
        ingest_metrics.TOTALS.add("import", acc)
        if acc.unreadable:
            result.error = "; ".join(acc.unreadable)
        result.accounting = acc
        run = IngestRun(started=started, finished=datetime.now(timezone.utc), source=str(path),
                        format=result.format, received=acc.received, accepted=acc.accepted,
                        duplicates=acc.duplicates, rejected=dict(acc.rejected), vessels=0)
        run.set_label(AIS_DEFAULT, settings.nation)
        try:  # a passing fault (disk, memory) may be retried: not recorded as imported
            store.record_import(run, None if failed else fingerprint, acc.received, acc.accepted)
        except OSError as exc:
            result.error = f"{path}: imported, but changed or unreadable while hashed ({exc}); not recorded"
    report.total = pipeline.acc
    report.vessels = len(pipeline.vessels_seen)
    return report


# ---- live feeds ----------------------------------------------------------------------------

def position_message(p: Position, static: Static | None, label: dict | None = None) -> dict:
    """A position update as the live stream sends it, with the label of the picture it belongs to."""
    return {
        "mmsi": p.mmsi, "lat": p.lat, "lon": p.lon, "sog": p.sog, "cog": p.cog, "heading": p.heading,
        "nav_status": p.nav_status, "station": str(p.station),
        "time": iso_ts(p.ts),
        "name": static.name if static else None, "ship_type": static.ship_type if static else None,
        "label": label,
    }


def vessel_message(v: Vessel) -> dict:
    """A stored vessel as the live stream's position update (its own label, as every stream message carries)."""
    return {
        "mmsi": v.mmsi, "lat": v.lat, "lon": v.lon, "sog": v.sog, "cog": v.cog, "heading": v.heading,
        "nav_status": v.nav_status, "station": v.station, "time": iso_utc(v.time), "name": v.name,
        "ship_type": v.ship_type, "label": record_label(v),
    }


class FeedTap(Protocol):
    """What another domain hangs on a live feed (the watch's detectors, for one): it sees every accepted record
    in arrival order, forgets vessels a looping replay restarts, and at each flush hands over what it found;
    ``write`` runs in the feed's writer thread and returns the (subject, message) pairs to publish."""

    def process(self, record: Position | Static) -> None: ...

    def forget(self, mmsis: Iterable[int]) -> None: ...

    def take(self) -> Any: ...

    def write(self, engine: Engine, taken: Any) -> list[tuple[str, dict]]: ...


class LiveFeed:
    """Runs a pipeline on a live source: publishes positions to the bus and flushes periodically.

    Each of ``taps`` (:class:`FeedTap`) sees every accepted record; at each flush what they found is written
    beside the picture's state and history, in the writer thread, and published on the bus. At each flush the
    units counted since the last one are added to the ingest metrics under ``source`` (a kind: replay, tcp, ...).
    """

    def __init__(self, engine: Engine, settings: Settings, bus: InProcessBus | None = None,
                 flush_interval: float = 2.0, taps: Iterable[FeedTap] = (), source: str = "live") -> None:
        store = make_store(engine, settings)
        self.pipeline = Pipeline(store)
        self.source = source
        self._counted = Accounting()  # what the ingest metrics have of this feed
        self.engine = engine
        self.settings = settings
        self.bus = bus
        self.flush_interval = flush_interval
        self.taps = list(taps)
        if bus is not None:
            static = self.pipeline.static
            label = label_dict(store.label, store.owner_nation)

            def publish(p: Position) -> None:
                bus.publish(POSITIONS_SUBJECT, position_message(p, static.get(p.mmsi), label))

            self.pipeline.listeners.append(publish)
        for tap in self.taps:
            self.pipeline.listeners.append(tap.process)
            self.pipeline.static_listeners.append(tap.process)

    def forget(self, mmsis) -> None:
        """The taps forget these vessels (a looping replay starts its ships afresh)."""
        for tap in self.taps:
            tap.forget(mmsis)

    def _take(self):
        acc = self.pipeline.acc
        ingest_metrics.TOTALS.add(self.source, acc.since(self._counted))
        self._counted = Accounting()
        self._counted.merge(acc)
        return self.pipeline.take(), [tap.take() for tap in self.taps]

    def _write(self, taken) -> None:
        data, found = taken
        self.pipeline.write(data)
        for tap, t in zip(self.taps, found):
            for subject, msg in tap.write(self.engine, t):
                if self.bus is not None:
                    self.bus.publish(subject, msg)

    async def run(self, items: AsyncIterator[Item], stop: asyncio.Event | None = None) -> Accounting:
        loop = asyncio.get_running_loop()
        next_flush = loop.time() + self.flush_interval
        writer: asyncio.Future | None = None
        add = self.pipeline.add
        try:
            async for item in items:
                add(item)
                now = loop.time()
                if now >= next_flush and (writer is None or writer.done()):
                    if writer is not None:
                        writer.result()
                    writer = asyncio.ensure_future(asyncio.to_thread(self._write, self._take()))
                    next_flush = now + self.flush_interval
                if stop is not None and stop.is_set():
                    break
        finally:
            if writer is not None:
                await writer
            await asyncio.to_thread(self._write, self._take())
        return self.pipeline.acc




async def lines_to_items(lines: AsyncIterator[bytes], source: str) -> AsyncIterator[Item]:
    """NMEA lines from a socket, through the same parser as files (multi-part state kept)."""
    from dkfi.maritime.sources.nmea import NmeaParser

    parser = NmeaParser(source=source)
    async for line in lines:
        for item in parser.feed_line(line):
            yield item
    for item in parser.finish():
        yield item


def load_records(paths: Iterable[Path], fmt: str = "auto") -> tuple[list[Position | Static], Accounting]:
    """Every record of the files, sorted by time (for replay), and the accounting of what was read.

    The accounting is the pipeline's (duplicates from several receivers counted once, every rejected
    unit by reason); the records are all accepted ones, duplicates left out.
    """
    from dkfi.maritime.records import Batch

    kept: list[Position | Static] = []
    pipeline = Pipeline(None, listeners=[kept.append], static_listeners=[kept.append])
    for path in expand_paths(paths):
        _, source = open_source(path, fmt, columnar=False)
        for item in source:
            if isinstance(item, Batch):
                # a CSV batch: counted as a batch, its rows kept as records
                pipeline.add_batch(Batch(item.positions.head(0), item.statics.head(0), item.rejected, item.units))
                kept.extend(Position(**r) for r in item.positions.iter_rows(named=True))
                kept.extend(Static(**r) for r in item.statics.iter_rows(named=True))
            else:
                pipeline.add(item)
        pipeline.take()  # nothing is stored; drop the buffers
    kept.sort(key=lambda r: r.ts)
    return kept, pipeline.acc


def _looped(records: list, loop_forever: bool, on_loop: Callable[[], None] | None = None) -> Iterator:
    """The records once, or again and again with times shifted forward by the recording's span.

    ``on_loop`` is called before each repetition (the ships jump back to where they started).
    """
    if not records:
        return
    span = max(records[-1].ts - records[0].ts, 1.0) + 1.0
    shift = 0.0
    while True:
        for r in records:
            if shift:
                r = type(r)(**{f: getattr(r, f) for f in r.__slots__})
                r.ts += shift
                if r.dedupe_key is not None:
                    r.dedupe_key = (r.dedupe_key, shift)
            yield r
        if not loop_forever:
            return
        shift += span
        if on_loop is not None:
            on_loop()


async def replay(records: list[Position | Static], speed: float = 1.0, loop_forever: bool = False,
                 stop: asyncio.Event | None = None, extra: Sequence[Position | Static] = (),
                 on_loop: Callable[[], None] | None = None) -> AsyncIterator[Item]:
    """Yield time-ordered records at ``speed`` times real time; looping shifts times forward.

    ``extra`` records (a simulated incident, say) are merged in by time, once.
    """
    if speed <= 0:
        raise ValueError(f"replay speed must be positive, got {speed}")
    if not records and not extra:
        return
    stream = heapq.merge(_looped(records, loop_forever, on_loop), sorted(extra, key=lambda r: r.ts), key=lambda r: r.ts)
    # the clock starts with the main recording: extra records from before it are a pre-roll, fed at once
    t0 = records[0].ts if records else None
    wall0 = time.monotonic()
    for r in stream:
        if t0 is None:
            t0 = r.ts
        wait = (r.ts - t0) / speed - (time.monotonic() - wall0)
        if wait > 0:
            await asyncio.sleep(wait)
        if stop is not None and stop.is_set():
            return
        yield r


# ---- queries -------------------------------------------------------------------------------

def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """'minlon,minlat,maxlon,maxlat' -> a tuple, with a clear error for anything else."""
    if text is None or text == "":
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError(f"bbox must be minlon,minlat,maxlon,maxlat; got {text!r}")
    try:
        minlon, minlat, maxlon, maxlat = (float(x) for x in parts)
    except ValueError:
        raise ValueError(f"bbox must be four numbers; got {text!r}") from None
    if not (-180 <= minlon <= 180 and -180 <= maxlon <= 180 and -90 <= minlat <= 90 and -90 <= maxlat <= 90):
        raise ValueError(f"bbox out of range (lon -180..180, lat -90..90): {text!r}")
    if minlat > maxlat or minlon > maxlon:
        raise ValueError(f"bbox minimum exceeds maximum: {text!r}")
    return minlon, minlat, maxlon, maxlat


def list_vessels(session: Session, bbox: tuple[float, float, float, float] | None = None,
                 limit: int | None = None) -> list[Vessel]:
    """Vessels with a known position, newest first, optionally inside ``bbox``."""
    q = select(Vessel).where(Vessel.lat.is_not(None))
    if bbox:
        minlon, minlat, maxlon, maxlat = bbox
        q = q.where(Vessel.lon >= minlon, Vessel.lon <= maxlon, Vessel.lat >= minlat, Vessel.lat <= maxlat)
    q = q.order_by(Vessel.time.desc(), Vessel.mmsi)
    if limit:
        q = q.limit(limit)
    return list(session.scalars(q))


def get_vessel(session: Session, mmsi: int) -> Vessel | None:
    return session.get(Vessel, mmsi)


def stats(session: Session, store: Store) -> dict:
    """Counts for ``dkfi ais stats``."""
    by_station = dict(session.execute(select(Vessel.station, func.count()).group_by(Vessel.station)).all())
    with_pos = session.scalar(select(func.count()).select_from(Vessel).where(Vessel.lat.is_not(None)))
    newest = session.scalar(select(func.max(Vessel.time)))
    runs = session.execute(select(func.count(), func.coalesce(func.sum(IngestRun.received), 0),
                                  func.coalesce(func.sum(IngestRun.accepted), 0),
                                  func.coalesce(func.sum(IngestRun.duplicates), 0))).one()
    days = sorted(p.name[4:] for p in (store.history_dir / "positions").glob("day=*")) \
        if (store.history_dir / "positions").exists() else []
    hist = store.history_positions().select(pl.len()).collect().item() if days else 0
    return {
        "vessels": sum(by_station.values()),
        "vessels_with_position": with_pos,
        "by_station": by_station,
        "newest_position": newest.isoformat() if newest else None,
        "ingest_runs": runs[0], "received": int(runs[1]), "accepted": int(runs[2]), "duplicates": int(runs[3]),
        "history_positions": hist,
        "history_days": days,
    }

