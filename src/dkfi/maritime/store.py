"""Vessel state in the database and track history in Parquet, partitioned by day.

The database holds the latest position and static data of each MMSI (what the map shows);
Parquet holds every accepted position, one folder per UTC day, each file sorted by time, so late
and out-of-order data (satellite AIS) lands in its day in time order and is read back sorted.

The history is append-only, so a file imported twice would be stored twice: the database also keeps
the fingerprint (size and SHA-256) of every imported file (:class:`~dkfi.maritime.models.ImportedFile`),
and an import asks :meth:`Store.previous_import` first.
"""
from __future__ import annotations

import hashlib
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
from sqlalchemy import String, select
from sqlalchemy.engine import Engine

from dkfi.core.db import session_scope
from dkfi.core.labels import AIS_DEFAULT, Label
from dkfi.maritime.models import ImportedFile, IngestRun, Vessel
from dkfi.maritime.records import POSITION_SCHEMA, STATIC_SCHEMA, Position, Static

_DAY = 86_400


def _text_limits(model) -> dict[str, int]:
    return {c.key: c.type.length for c in model.__table__.columns if isinstance(c.type, String) and c.type.length}


# PostgreSQL refuses text longer than its column (SQLite stores it): every text a source brings is cut to fit
_VESSEL_TEXT = _text_limits(Vessel)
_RUN_TEXT = _text_limits(IngestRun)
_FILE_TEXT = _text_limits(ImportedFile)


def _fit(limits: dict[str, int], field: str, value):
    n = limits.get(field)
    return value[:n] if n is not None and type(value) is str and len(value) > n else value
_STATIC_FIELDS = ("name", "imo", "callsign", "ship_type", "length", "width", "draught", "destination", "eta")
_POS_FIELDS = ("lat", "lon", "sog", "cog", "heading", "nav_status", "rot", "source")


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


class FileFingerprint:
    """Size and SHA-256 of a file's bytes; the hash is computed in a background thread as soon as this is made.

    Hashing reads the whole file (about 1.4 GB/s), which would add a tenth to an import's time if it ran first.
    An import needs the hash before it starts only when a file of the same size was imported before (two equal
    files have equal sizes); otherwise the hash is made while the file is imported, and waited for only to
    record it at the end."""

    _BLOCK = 1 << 20

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.size = self.path.stat().st_size
        self._digest: str | None = None
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._hash, name=f"sha256 {self.path.name}", daemon=True)
        self._thread.start()

    def _hash(self) -> None:
        h = hashlib.sha256()
        try:
            with open(self.path, "rb") as f:
                while block := f.read(self._BLOCK):  # hashlib and read release the GIL for blocks this size
                    h.update(block)
        except OSError as exc:
            self._error = exc
            return
        self._digest = h.hexdigest()

    @property
    def sha256(self) -> str:
        """The hex digest (waits for the hash); OSError when the file could not be read."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._digest is not None
        return self._digest


def _ts(dt: datetime | None) -> float | None:
    if dt is None:
        return None
    if dt.tzinfo is None:  # SQLite hands back naive datetimes; we only ever store UTC
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


class Store:
    """Persistence of one node's maritime picture."""

    def __init__(self, engine: Engine, history_dir: Path, *, label: Label = AIS_DEFAULT,
                 owner_nation: str = "DNK") -> None:
        self.engine = engine
        self.history_dir = Path(history_dir)
        self.label = label
        self.owner_nation = owner_nation

    # ---- history ----------------------------------------------------------------------------
    def _label_columns(self) -> list[pl.Expr]:
        return [
            pl.lit(self.owner_nation).alias("owner_nation"),
            pl.lit(self.label.classification.name).alias("classification"),
            pl.lit(self.label.releasable_text()).alias("releasable_to"),
        ]

    def _append(self, kind: str, frame: pl.DataFrame) -> None:
        frame = frame.with_columns((pl.col("ts") // _DAY).cast(pl.Int64).alias("_day"), *self._label_columns())
        for (day,), part in frame.partition_by("_day", as_dict=True, maintain_order=False).items():
            date = datetime.fromtimestamp(day * _DAY, tz=timezone.utc).strftime("%Y-%m-%d")
            folder = self.history_dir / kind / f"day={date}"
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{uuid.uuid4().hex}.tmp"
            part = part.drop("_day")
            if not part["ts"].is_sorted():  # a day's CSV or a live flush is mostly in order already
                part = part.sort("ts", maintain_order=True)
            # zstd level 1: a quarter of level 3's write time here, about the same size for AIS columns
            part.write_parquet(tmp, compression="zstd", compression_level=1, statistics=True)
            tmp.rename(folder / f"{uuid.uuid4().hex}.parquet")  # readers never see half a file

    def append_positions(self, frame: pl.DataFrame) -> None:
        self._append("positions", frame)

    def append_statics(self, frame: pl.DataFrame) -> None:
        self._append("statics", frame)

    def _day_files(self, kind: str, start: float | None, end: float | None) -> list[Path]:
        root = self.history_dir / kind
        if not root.exists():
            return []
        out = []
        for folder in sorted(root.glob("day=*")):
            day = datetime.strptime(folder.name[4:], "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp()
            if start is not None and day + _DAY <= start:
                continue
            if end is not None and day > end:
                continue
            out.extend(sorted(folder.glob("*.parquet")))
        return out

    def track(self, mmsi: int, start: float | None = None, end: float | None = None) -> pl.DataFrame:
        """All stored positions of ``mmsi`` between ``start`` and ``end`` (epoch s), in time order, with the
        label columns of each row (``owner_nation``, ``classification``, ``releasable_to``)."""
        files = self._day_files("positions", start, end)
        cols = list(POSITION_SCHEMA) + ["owner_nation", "classification", "releasable_to"]
        if not files:
            return pl.DataFrame(schema=POSITION_SCHEMA).with_columns(
                pl.lit(None, pl.String).alias("owner_nation"), pl.lit(None, pl.String).alias("classification"),
                pl.lit(None, pl.String).alias("releasable_to"))
        lf = pl.scan_parquet(files).filter(pl.col("mmsi") == mmsi)
        if start is not None:
            lf = lf.filter(pl.col("ts") >= start)
        if end is not None:
            lf = lf.filter(pl.col("ts") <= end)
        return lf.select(cols).sort("ts").unique(subset=["ts", "lat", "lon"], keep="first",
                                                                   maintain_order=True).collect()

    def history_positions(self, start: float | None = None, end: float | None = None) -> pl.LazyFrame:
        files = self._day_files("positions", start, end)
        if not files:
            return pl.DataFrame(schema=POSITION_SCHEMA).lazy()
        return pl.scan_parquet(files)

    def history_statics(self) -> pl.LazyFrame:
        files = self._day_files("statics", None, None)
        if not files:
            return pl.DataFrame(schema=STATIC_SCHEMA).lazy()
        return pl.scan_parquet(files)

    # ---- imported files ---------------------------------------------------------------------
    def previous_import(self, fp: FileFingerprint) -> ImportedFile | None:
        """The earlier import of a file with the same bytes, if any (detached from its session)."""
        with session_scope(self.engine) as s:
            if s.scalar(select(ImportedFile.id).where(ImportedFile.size == fp.size).limit(1)) is None:
                return None  # no file of this size: no need to wait for the hash
            found = s.scalar(select(ImportedFile).where(ImportedFile.sha256 == fp.sha256))
            if found is not None:
                s.expunge(found)
            return found

    def record_import(self, run: IngestRun, fp: FileFingerprint | None, received: int, accepted: int) -> None:
        """Store the ingest run and, with ``fp``, remember that the file's records are in the history (a forced
        re-import updates the entry). OSError when the file could not be hashed (the run is stored)."""
        for f in ("source", "format"):
            setattr(run, f, _fit(_RUN_TEXT, f, getattr(run, f)))
        with session_scope(self.engine) as s:
            s.add(run)
        if fp is None:
            return
        digest = fp.sha256
        with session_scope(self.engine) as s:
            entry = s.scalar(select(ImportedFile).where(ImportedFile.sha256 == digest))
            if entry is None:
                entry = ImportedFile(sha256=digest, size=fp.size)
                entry.set_label(self.label, self.owner_nation)
                s.add(entry)
            entry.path = _fit(_FILE_TEXT, "path", run.source)
            entry.format = _fit(_FILE_TEXT, "format", run.format)
            entry.imported = run.finished or run.started
            entry.run_id = run.id
            entry.received = received
            entry.accepted = accepted

    # ---- latest state -----------------------------------------------------------------------
    def upsert_latest(self, positions: dict[int, Position], statics: dict[int, Static]) -> None:
        """Merge newer positions and static data into the vessel table; older data never wins."""
        mmsis = sorted(set(positions) | set(statics))
        with session_scope(self.engine) as s:
            for i in range(0, len(mmsis), 500):
                chunk = mmsis[i:i + 500]
                existing = {v.mmsi: v for v in s.scalars(select(Vessel).where(Vessel.mmsi.in_(chunk)))}
                for mmsi in chunk:
                    v = existing.get(mmsi)
                    if v is None:
                        v = Vessel(mmsi=mmsi)
                        v.set_label(self.label, self.owner_nation)
                        s.add(v)
                    p = positions.get(mmsi)
                    if p is not None:
                        cur = _ts(v.time)
                        if cur is None or p.ts >= cur:
                            v.time = _dt(p.ts)
                            for f in _POS_FIELDS:
                                setattr(v, f, _fit(_VESSEL_TEXT, f, getattr(p, f)))
                            v.station = _fit(_VESSEL_TEXT, "station", str(p.station))
                    st = statics.get(mmsi)
                    if st is not None:
                        cur = _ts(v.static_time)
                        newer = cur is None or st.ts >= cur
                        for f in _STATIC_FIELDS:
                            val = getattr(st, f)
                            if val is not None and (newer or getattr(v, f) is None):
                                setattr(v, f, _fit(_VESSEL_TEXT, f, val))
                        if newer:
                            v.static_time = _dt(st.ts)
                        if v.station in (None, "UNKNOWN"):
                            v.station = _fit(_VESSEL_TEXT, "station", str(st.station))
