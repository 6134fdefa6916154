"""Backup and restore of a node: its database, Parquet history, audit anchor and node secret in one tar archive.

The archive (``dkfi backup``; docs/operations.md, "Backup and restore") holds

* ``tables/<table>.jsonl``: a logical dump of every table of the metadata, one JSON array per row in the column
  order the manifest lists, each value encoded by its column's *kind* (:data:`KINDS`) so that it reads back the
  same on SQLite and PostgreSQL: datetimes as ISO 8601 (columns with a time zone in UTC), JSON columns as their
  stored text (SQL NULL and JSON ``null`` stay apart), bytes in base64, decimals as text, floats as JSON numbers
  (shortest repr, so bit-exact; NaN and infinities as text). All tables are read in one read transaction
  (PostgreSQL: REPEATABLE READ, read only; SQLite: one read transaction over the WAL), so they agree with each
  other;
* ``history/...``: the Parquet files of the track history, as they are (history files never change once written);
* ``audit-anchor``: the audit anchor's lines up to the dumped head of the chain (lines of entries committed after
  the snapshot are left out, so the anchor never runs ahead of the log);
* ``secret.key``: the node secret, when it lives in the data folder and ``include_secret`` (then the archive must
  be protected like the secret itself);
* ``manifest.json`` (the last member): format, dkfi version, Alembic revision, nation, source database kind,
  creation time, the kind of every column, row counts, and size and SHA-256 of every other member.

:func:`restore` checks every member against the manifest before it changes anything, creates the schema at the
archive's revision, loads all tables in one transaction, moves the files into place only after that commit
(they wait beside their targets, written whole), then migrates to this code's head and verifies the audit chain.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import shutil
import tarfile
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import IO, Any, Callable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeEngine

import dkfi
from dkfi.core import audit, db, registry
from dkfi.core.config import Settings

FORMAT = "dkfi-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ANCHOR_MEMBER = "audit-anchor"
SECRET_MEMBER = "secret.key"
TABLES = "tables"
HISTORY = "history"
SUFFIXES = {".tar.gz": "gz", ".tgz": "gz", ".tar": ""}
BATCH = 1000
_CHUNK = 1 << 20

Progress = Callable[[str, int, "int | None"], None]
"""``progress(label, done, total)``: one label per table or group of files; ``total`` None when unknown."""


class BackupError(Exception):
    """A backup or restore that cannot be done; the message names the input and the reason."""


class RestoreRefused(BackupError):
    """The target is not empty (or does not fit the archive) and nothing was changed."""


def _quiet(_label: str, _done: int, _total: int | None) -> None:
    return None


# ---- the value codec ----------------------------------------------------------------------------------

KINDS = ("int", "float", "bool", "str", "json", "datetime_tz", "datetime", "date", "time", "decimal", "bytes")


def column_kind(type_: TypeEngine) -> str:
    """The codec kind of a column type (:data:`KINDS`); BackupError for a type the dump cannot carry."""
    t: Any = type_
    while isinstance(t, sa.types.TypeDecorator):
        t = t.impl_instance
    if isinstance(t, sa.JSON):
        return "json"
    if isinstance(t, sa.Boolean):
        return "bool"
    if isinstance(t, sa.DateTime):
        return "datetime_tz" if t.timezone else "datetime"
    if isinstance(t, sa.Date):
        return "date"
    if isinstance(t, sa.Time):
        return "time"
    if isinstance(t, sa.Float):
        return "float"
    if isinstance(t, sa.Numeric):
        return "decimal"
    if isinstance(t, sa.Integer):
        return "int"
    if isinstance(t, sa.LargeBinary):
        return "bytes"
    if isinstance(t, sa.String):
        return "str"
    raise BackupError(f"column type {type_!r} has no backup encoding")


_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _utc(value: datetime) -> datetime:
    # SQLite hands back the naive UTC time it stored; dkfi stores only UTC
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def encode(kind: str, value: Any) -> Any:
    """A database value of ``kind`` as a JSON value (``json``: the column's stored text, or None for SQL NULL)."""
    if value is None:
        return None
    if kind == "int":
        if type(value) is not int:  # SQLite keeps whatever it was given, e.g. a REAL in an INTEGER column
            raise ValueError(f"{value!r} is not an integer")
        return value
    if kind == "float":
        if type(value) not in (int, float):
            raise ValueError(f"{value!r} is not a number")
        v = float(value)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if kind == "bool":
        return bool(value)
    if kind in ("str", "json"):
        if type(value) is not str:
            raise ValueError(f"{value!r} is not text")
        return value
    if kind == "datetime_tz":
        return _utc(value).isoformat()
    if kind in ("datetime", "date", "time"):
        return value.isoformat()
    if kind == "decimal":
        return str(value)
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    raise BackupError(f"unknown value kind {kind!r}")


def decode(kind: str, value: Any) -> Any:
    """The inverse of :func:`encode`, as a value to insert (``json``: the parsed value; JSON ``null`` as
    :attr:`sqlalchemy.JSON.NULL`, SQL NULL as None)."""
    if value is None:
        return None
    if kind == "int":
        if type(value) is not int:
            raise ValueError(f"{value!r} is not an integer")
        return value
    if kind == "float":
        if isinstance(value, str):
            return _NONFINITE[value]
        if type(value) not in (int, float):
            raise ValueError(f"{value!r} is not a number")
        return float(value)
    if kind == "bool":
        if type(value) is not bool:
            raise ValueError(f"{value!r} is not a boolean")
        return value
    if kind == "str":
        if type(value) is not str:
            raise ValueError(f"{value!r} is not text")
        return value
    if kind == "json":
        parsed = json.loads(value)
        return sa.JSON.NULL if parsed is None else parsed
    if kind == "datetime_tz":
        return _utc(datetime.fromisoformat(value))
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "time":
        return time.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "bytes":
        return base64.b64decode(value, validate=True)
    raise ValueError(f"unknown value kind {kind!r}")


def load_type(kind: str) -> TypeEngine:
    """The type a value of ``kind`` is inserted as (the target column's own type converts it)."""
    types: dict[str, TypeEngine] = {
        "int": sa.BigInteger(), "float": sa.Float(), "bool": sa.Boolean(), "str": sa.Text(),
        "json": sa.JSON(none_as_null=True), "datetime_tz": sa.DateTime(timezone=True), "datetime": sa.DateTime(),
        "date": sa.Date(), "time": sa.Time(), "decimal": sa.Numeric(asdecimal=True), "bytes": sa.LargeBinary()}
    return types[kind]


def _line(values: list[Any]) -> bytes:
    return (json.dumps(values, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n").encode()


# ---- reading a table ----------------------------------------------------------------------------------

def table_columns(table: sa.Table) -> list[tuple[str, str]]:
    """(name, kind) of each column of ``table``."""
    out = []
    for col in table.columns:
        try:
            out.append((col.name, column_kind(col.type)))
        except BackupError as exc:
            raise BackupError(f"table {table.name}, column {col.name}: {exc}") from None
    return out


def dump_tables(conn: Connection, at_head: bool) -> tuple[list[tuple[sa.Table, list[tuple[str, str]]]], list[str]]:
    """The tables to dump, in dependency order, with the kind of each column, and the tables left out.

    The database's own tables (reflected, so a database at an older revision, before an upgrade, is dumped as it
    is). A column the code's metadata knows takes its kind from there (SQLite does not keep "with time zone"),
    any other from its reflected type. At this code's head revision only the metadata's tables are dumped (a
    missing one is an error); at another revision every table but ``alembic_version``."""
    code = db.Base.metadata
    found = sa.MetaData()
    found.reflect(conn)
    if at_head:
        missing = sorted(set(code.tables) - set(found.tables))
        if missing:
            raise BackupError(f"tables {missing} of the schema are missing from the database")
    out, skipped = [], []
    for table in found.sorted_tables:
        known = code.tables.get(table.name)
        if table.name == "alembic_version":
            continue
        if known is None and at_head:
            skipped.append(table.name)
            continue
        cols = []
        for col in table.columns:
            own = known.c.get(col.name) if known is not None else None
            try:
                cols.append((col.name, column_kind(own.type if own is not None else col.type)))
            except BackupError as exc:
                raise BackupError(f"table {table.name}, column {col.name}: {exc}") from None
        out.append((table, cols))
    return out, skipped


def dump_rows(conn: Connection, table: sa.Table, cols: list[tuple[str, str]] | None = None) -> Iterator[list[Any]]:
    """The rows of ``table`` in primary-key order, each value encoded (:func:`encode`) by ``cols`` (name, kind),
    by default the kinds of ``table``'s own column types."""
    cols = cols if cols is not None else table_columns(table)
    sqlite = conn.dialect.name == "sqlite"
    exprs = [(sa.type_coerce(table.c[name], sa.types.NullType()) if sqlite else sa.cast(table.c[name], sa.Text))
             if kind == "json" else table.c[name] for name, kind in cols]
    order = list(table.primary_key.columns) or [table.c[name] for name, _ in cols]
    result = conn.execute(sa.select(*exprs).order_by(*order).execution_options(yield_per=BATCH))
    keys = [i for i, (name, _) in enumerate(cols) if name in table.primary_key.columns]
    for row in result:
        try:
            yield [encode(kind, _json_text(value) if kind == "json" else value) for (_, kind), value in zip(cols, row)]
        except ValueError as exc:
            bad = next(name for (name, kind), value in zip(cols, row) if not _encodes(kind, value))
            key = ", ".join(f"{cols[i][0]}={row[i]!r}" for i in keys)
            where = key or repr(tuple(row))
            raise BackupError(f"table {table.name}, row {where}, column {bad}: {exc} (the database holds a "
                              f"value its column's type does not allow; SQLite stores what it is given)") from None


def _encodes(kind: str, value: Any) -> bool:
    try:
        encode(kind, _json_text(value) if kind == "json" else value)
        return True
    except ValueError:
        return False


def _json_text(value: Any) -> str | None:
    """A JSON column's stored text. SQLite gives a column declared JSON numeric affinity: a document that is a
    lone number is stored as a number, and CAST(... AS TEXT) would print a REAL to 15 digits, so the value is read
    as it is stored and a number printed exactly (PostgreSQL's json::text is the stored text)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode()
    return json.dumps(value)


def load_rows(conn: Connection, name: str, columns: list[tuple[str, str]], rows: Iterator[list[Any]],
              progress: Callable[[int], None] | None = None) -> int:
    """Insert encoded ``rows`` into table ``name`` in batches; returns the rows inserted."""
    target = sa.table(name, *(sa.column(col, load_type(kind)) for col, kind in columns))
    stmt = sa.insert(target)
    batch: list[dict[str, Any]] = []
    n = 0
    for values in rows:
        batch.append({col: decode(kind, v) for (col, kind), v in zip(columns, values)})
        if len(batch) >= BATCH:
            conn.execute(stmt, batch)
            n += len(batch)
            batch = []
            if progress:
                progress(n)
    if batch:
        conn.execute(stmt, batch)
        n += len(batch)
    if progress:
        progress(n)
    return n


# ---- files ----------------------------------------------------------------------------------------------

class _Hashing:
    """A readable file that hashes what is read through it."""

    def __init__(self, fh: IO[bytes], advance: Callable[[int], None] | None = None) -> None:
        self.fh, self.sha, self.advance, self.size = fh, hashlib.sha256(), advance, 0

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n)
        self.sha.update(data)
        self.size += len(data)
        if self.advance and data:
            self.advance(len(data))
        return data


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def history_files(history_dir: Path) -> list[Path]:
    """The finished Parquet files of the history (files being written are hidden ``.tmp`` ones)."""
    if not history_dir.exists():
        return []
    return sorted(p for p in history_dir.rglob("*.parquet")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(history_dir).parts))


def parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.read_metadata(path).num_rows)


_ANCHOR_SEQ = re.compile(rb"([0-9]+) ")


def anchor_lines_upto(path: Path, seq: int) -> bytes:
    """The anchor's lines of entries up to ``seq`` (later ones were committed after the snapshot)."""
    keep = []
    for line in path.read_bytes().splitlines(keepends=True):
        m = _ANCHOR_SEQ.match(line)
        if m is None or int(m[1]) <= seq:
            keep.append(line if line.endswith(b"\n") else line + b"\n")
    return b"".join(keep)


# ---- backup ---------------------------------------------------------------------------------------------

@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.manifest["tables"])


def default_name(nation: str, now: datetime) -> str:
    return f"dkfi-backup-{nation}-{now.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.tar.gz"


def archive_mode(path: Path) -> str:
    """The tarfile compression of ``path`` from its name (BackupError for another name)."""
    name = path.name.lower()
    for suffix, mode in SUFFIXES.items():
        if name.endswith(suffix):
            return mode
    raise BackupError(f"{path}: the archive's name must end in {', '.join(SUFFIXES)}")


def _begin_snapshot(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        # pysqlite begins transactions only before writes: a reader would see each commit between its SELECTs
        conn.exec_driver_sql("BEGIN")


def backup(settings: Settings, *, url: str | None = None, dest: Path | None = None, include_secret: bool = True,
           progress: Progress | None = None, now: datetime | None = None) -> BackupResult:
    """Write the node's archive to ``dest`` (default: ``dkfi-backup-<nation>-<UTC time>.tar.gz`` here); written
    to a hidden ``.partial`` file beside it and renamed when complete. BackupError when it cannot be made."""
    registry.start()
    progress = progress or _quiet
    url = url or settings.effective_database_url
    now = now or datetime.now(timezone.utc)
    dest = Path(dest) if dest is not None else Path.cwd() / default_name(settings.nation, now)
    mode = archive_mode(dest)
    if dest.exists():
        raise BackupError(f"{dest}: already exists (choose another --to, or move it away)")
    if not dest.parent.is_dir():
        raise BackupError(f"{dest.parent}: no such folder for the archive")
    engine = db.make_engine(url)
    try:
        revision = _backup_revision(engine)
        partial = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # it may hold the secret
        try:
            with os.fdopen(fd, "wb") as raw:
                tar = (tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) if mode
                       else tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT))
                with tar:
                    manifest = _write_archive(tar, settings, engine, revision, include_secret, progress, now)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, dest)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    finally:
        engine.dispose()
    return BackupResult(dest, manifest)


def _backup_revision(engine: Engine) -> str:
    try:
        revision = db.current_revision(engine)
    except sa.exc.OperationalError as exc:
        raise BackupError(f"database {engine.url.render_as_string()}: cannot be read: {exc.orig}") from None
    if revision is None:
        raise BackupError(f"database {engine.url.render_as_string()}: no dkfi schema (no Alembic revision): "
                          f"nothing to back up")
    return revision


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> dict[str, Any]:
    import io

    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime), 0o600
    tar.addfile(info, io.BytesIO(data))
    return {"member": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _add_file(tar: tarfile.TarFile, name: str, path: Path, advance: Callable[[int], None] | None = None
              ) -> dict[str, Any]:
    info = tarfile.TarInfo(name)
    st = path.stat()
    info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), 0o600
    with path.open("rb") as fh:
        reader = _Hashing(fh, advance)
        tar.addfile(info, reader)
    return {"member": name, "bytes": reader.size, "sha256": reader.sha.hexdigest()}


def _write_archive(tar: tarfile.TarFile, settings: Settings, engine: Engine, revision: str, include_secret: bool,
                   progress: Progress, now: datetime) -> dict[str, Any]:
    from tempfile import TemporaryDirectory

    tables_out: list[dict[str, Any]] = []
    with TemporaryDirectory(prefix="dkfi-backup-") as tmp, engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        _begin_snapshot(conn)
        versions = [r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))]
        tables, skipped = dump_tables(conn, revision == db.head_revision(str(engine.url)))
        head_seq = conn.scalar(sa.text("SELECT MAX(seq) FROM audit_log")) or 0
        for table, columns in tables:
            total = conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            path = Path(tmp) / f"{table.name}.jsonl"
            n = 0
            progress(f"table {table.name}", 0, total)
            with path.open("wb") as fh:
                for values in dump_rows(conn, table, columns):
                    fh.write(_line(values))
                    n += 1
                    if n % BATCH == 0:
                        progress(f"table {table.name}", n, total)
            progress(f"table {table.name}", n, n)
            entry = _add_file(tar, f"{TABLES}/{table.name}.jsonl", path)
            path.unlink()
            tables_out.append({"name": table.name, "rows": n, "columns": [list(c) for c in columns], **entry})
        conn.rollback()  # the snapshot read nothing it could change
    files: list[dict[str, Any]] = []
    hist = history_files(settings.history_dir)
    total_bytes = sum(p.stat().st_size for p in hist)
    done = 0
    label = f"history: {len(hist)} files, bytes"
    progress(label, 0, total_bytes)

    def advance(k: int) -> None:
        nonlocal done
        done += k
        progress(label, done, total_bytes)

    for p in hist:
        rel = p.relative_to(settings.history_dir).as_posix()
        files.append({**_add_file(tar, f"{HISTORY}/{rel}", p, advance), "rows": parquet_rows(p)})
    progress(label, total_bytes, total_bytes)
    anchor = None
    apath = audit.anchor_path(engine.url)
    if apath is not None and apath.exists():
        anchor = _add_bytes(tar, ANCHOR_MEMBER, anchor_lines_upto(apath, int(head_seq)), now.timestamp())
    secret, secret_note = None, "included"
    secret_path = Path(settings.data_dir) / "secret.key"
    if settings.secret_key:
        secret_note = "DKFI_SECRET_KEY is set: the secret is configuration, not in the data folder, not included"
    elif not include_secret:
        secret_note = "left out (--no-secret): restore onto a node holding the same secret"
    elif not secret_path.exists():
        secret_note = "this node has no secret.key yet"
    else:
        secret = _add_file(tar, SECRET_MEMBER, secret_path)
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "dkfi_version": dkfi.__version__,
        "alembic_revision": revision, "alembic_version": versions, "nation": settings.nation,
        "database": engine.dialect.name, "created": now.astimezone(timezone.utc).isoformat(),
        "audit_head_seq": int(head_seq), "tables": tables_out, "skipped_tables": skipped, "history": files,
        "audit_anchor": anchor, "secret": secret, "secret_note": secret_note,
    }
    _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode(), now.timestamp())
    return manifest


# ---- restore --------------------------------------------------------------------------------------------

@dataclass
class Count:
    name: str
    expected: int
    actual: int

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


@dataclass
class RestoreResult:
    archive: Path
    manifest: dict[str, Any]
    tables: list[Count]
    history_files: Count
    history_rows: Count
    audit_entries: int
    audit_problems: list[str]
    loaded_revision: str
    revision: str | None
    upgrade_error: str | None = None
    replaced: Path | None = None
    restored_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (all(c.ok for c in self.tables) and self.history_files.ok and self.history_rows.ok
                and not self.audit_problems and self.upgrade_error is None)


def _member_path(name: str) -> PurePosixPath:
    """A member's name, checked: relative, no ``..``, one of the archive's places."""
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise BackupError(f"member {name!r}: not a relative path inside the archive")
    if name in (MANIFEST, ANCHOR_MEMBER, SECRET_MEMBER):
        return p
    if p.parts[0] == TABLES and len(p.parts) == 2 and p.suffix == ".jsonl":
        return p
    if p.parts[0] == HISTORY and len(p.parts) > 1 and p.suffix == ".parquet":
        return p
    raise BackupError(f"member {name!r}: not part of a dkfi backup")


def _extract(archive: Path, staging: Path, progress: Progress) -> dict[str, dict[str, Any]]:
    """Every member into ``staging`` with its size and SHA-256; BackupError naming the member that is unreadable.
    Read as a stream (``r|*``): each member once, in order, with the archive's bytes as progress."""
    seen: dict[str, dict[str, Any]] = {}
    current = "the first member"
    total = archive.stat().st_size
    label = f"checking {archive.name}, bytes"
    try:
        with archive.open("rb") as raw:
            counted = _Hashing(raw, lambda _n: progress(label, counted.size, total))
            with tarfile.open(fileobj=counted, mode="r|*") as tar:  # type: ignore[call-overload]
                for member in tar:
                    current = repr(member.name)
                    rel = _member_path(member.name)
                    if not member.isfile():
                        raise BackupError(f"{archive}: member {member.name!r} is not a regular file")
                    if member.name in seen:
                        raise BackupError(f"{archive}: member {member.name!r} appears twice")
                    out = staging / Path(*rel.parts)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    src = tar.extractfile(member)
                    assert src is not None
                    sha, size = hashlib.sha256(), 0
                    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "wb") as fh:
                        while block := src.read(_CHUNK):
                            sha.update(block)
                            size += len(block)
                            fh.write(block)
                    if size != member.size:
                        raise BackupError(f"{archive}: member {member.name!r} is truncated")
                    seen[member.name] = {"bytes": size, "sha256": sha.hexdigest()}
                    current = f"the member after {member.name!r}"
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(f"{archive}: corrupt or truncated archive (reading {current}): {exc}") from None
    progress(label, total, total)
    return seen


def read_manifest(archive: Path, staging: Path, seen: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The manifest, after every member was checked against it (BackupError naming the first that differs)."""
    if MANIFEST not in seen:
        raise BackupError(f"{archive}: no {MANIFEST} (not a dkfi backup, or the archive was cut short)")
    try:
        manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{archive}: {MANIFEST} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: {MANIFEST} is not a dkfi backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{archive}: backup format version {manifest.get('format_version')}; this dkfi reads "
                          f"version {FORMAT_VERSION}")
    listed: dict[str, dict[str, Any]] = {}
    for entry in [*manifest["tables"], *manifest["history"], manifest.get("audit_anchor"), manifest.get("secret")]:
        if entry:
            listed[entry["member"]] = entry
    for name, entry in listed.items():
        got = seen.get(name)
        if got is None:
            raise BackupError(f"{archive}: member {name!r} is missing (the manifest lists it)")
        if got["bytes"] != entry["bytes"] or got["sha256"] != entry["sha256"]:
            raise BackupError(f"{archive}: member {name!r} is damaged: {got['bytes']} bytes, SHA-256 "
                              f"{got['sha256'][:16]}..., the manifest recorded {entry['bytes']} bytes, "
                              f"{entry['sha256'][:16]}...")
    extra = sorted(set(seen) - set(listed) - {MANIFEST})
    if extra:
        raise BackupError(f"{archive}: member {extra[0]!r} is not in the manifest")
    return manifest


def _revisions(url: str) -> list[str]:
    """This code's migrations, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db.alembic_config(url))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _row_counts(conn: Connection, names: list[str]) -> dict[str, int]:
    return {n: int(conn.scalar(sa.select(sa.func.count()).select_from(sa.table(n))) or 0) for n in names}


def _occupied(conn: Connection, names: list[str]) -> dict[str, int]:
    """Tables holding rows, beyond the one row the migrations seed (the empty audit chain's head)."""
    counts = {n: c for n, c in _row_counts(conn, names).items() if c and n != "alembic_version"}
    if counts.get("audit_head") == 1:
        seq = conn.scalar(sa.text("SELECT seq FROM audit_head"))
        if not seq:
            del counts["audit_head"]
    return counts


def _files_in(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if not p.is_dir()) if folder.exists() else 0


@dataclass
class _Plan:
    """Where the archive's files go and what is there now."""

    history: Path
    anchor: Path | None
    secret: Path
    staged: list[tuple[Path, Path]] = field(default_factory=list)  # (written whole beside target, target)


def restore(archive: Path, settings: Settings, *, url: str | None = None, force: bool = False,
            progress: Progress | None = None) -> RestoreResult:
    """Restore ``archive`` into the configured database and data folder (see the module doc).

    RestoreRefused when the target holds data (unless ``force``) or does not fit the archive; BackupError for an
    archive that is damaged or cannot be loaded. Either way the database and the data folder are as before."""
    registry.start()
    progress = progress or _quiet
    archive = Path(archive)
    url = url or settings.effective_database_url
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = data_dir / f".restore-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    engine = db.make_engine(url)
    plan = _Plan(settings.history_dir, audit.anchor_path(engine.url), data_dir / "secret.key")
    committed = False
    try:
        seen = _extract(archive, staging, progress)
        manifest = read_manifest(archive, staging, seen)
        revision = manifest["alembic_revision"]
        known = _revisions(url)
        if revision not in known:
            raise RestoreRefused(f"{archive}: made at schema revision {revision}, which this dkfi "
                                 f"({dkfi.__version__}) does not know: restore with the dkfi that made it "
                                 f"({manifest.get('dkfi_version')}) or a newer one")
        if manifest["nation"] != settings.nation:
            raise RestoreRefused(f"{archive}: a backup of a {manifest['nation']} node; this node is "
                                 f"{settings.nation} (DKFI_NATION)")
        _check_target(engine, plan, manifest, staging, settings, force, known)
        _check_secret(archive, manifest, staging, settings, plan)
        _prepare_schema(engine, url, revision, known)
        _stage_files(plan, manifest, staging)
        _load(engine, manifest, staging, force, progress)
        committed = True
        replaced = _place_files(plan, staging, data_dir, force)
    finally:
        if not committed:
            for tmp, _target in plan.staged:
                tmp.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        engine.dispose()
    return _after(archive, manifest, url, settings, revision, replaced, plan)


def _check_target(engine: Engine, plan: _Plan, manifest: dict[str, Any], staging: Path, settings: Settings,
                  force: bool, known: list[str]) -> None:
    """Refuse (RestoreRefused) a target that holds data, unless ``force`` and it is at the archive's revision."""
    names = sa.inspect(engine).get_table_names()
    reasons = []
    current = db.current_revision(engine) if "alembic_version" in names else None
    if names and current is None:
        raise RestoreRefused(f"database {engine.url.render_as_string()}: holds tables {sorted(names)[:5]} but no "
                             f"dkfi schema revision: restore into an empty database")
    if current is not None and current not in known:
        raise RestoreRefused(f"database {engine.url.render_as_string()}: at revision {current}, unknown to this "
                             f"dkfi: restore into an empty database")
    with engine.connect() as conn:
        occupied = _occupied(conn, names) if names else {}
    if occupied:
        listing = ", ".join(f"{n} {c}" for n, c in sorted(occupied.items())[:8])
        reasons.append(f"the database {engine.url.render_as_string()} holds {sum(occupied.values())} rows in "
                       f"{len(occupied)} tables ({listing}{', ...' if len(occupied) > 8 else ''})")
    n = _files_in(plan.history)
    if n:
        reasons.append(f"the history folder {plan.history} holds {n} files")
    if plan.anchor is not None and plan.anchor.exists() and plan.anchor.stat().st_size:
        reasons.append(f"the audit anchor {plan.anchor} exists")
    if manifest.get("secret") and not settings.secret_key and plan.secret.exists() \
            and plan.secret.read_bytes() != (staging / SECRET_MEMBER).read_bytes():
        reasons.append(f"the node secret {plan.secret} differs from the archive's")
    if reasons and not force:
        raise RestoreRefused("the target is not empty: " + "; ".join(reasons) + ". Restore into an empty database "
                             "and data folder, or replace what is there with --force")
    if occupied and current != manifest["alembic_revision"]:
        raise RestoreRefused(f"database {engine.url.render_as_string()} holds rows at schema revision {current}, "
                             f"the archive is at {manifest['alembic_revision']}: --force replaces rows only at the "
                             f"archive's revision; restore into an empty database")


def _check_secret(archive: Path, manifest: dict[str, Any], staging: Path, settings: Settings, plan: _Plan) -> None:
    """The anchor must verify under the secret this node will have, or the audit log cannot be checked."""
    if not manifest.get("audit_anchor"):
        return
    secret: str
    if settings.secret_key:
        secret, where = settings.secret_key, "DKFI_SECRET_KEY"
    elif manifest.get("secret"):
        secret, where = (staging / SECRET_MEMBER).read_text().strip(), "the archive's secret.key"
    elif plan.secret.exists():
        secret, where = plan.secret.read_text().strip(), str(plan.secret)
    else:
        raise RestoreRefused(f"{archive}: holds no node secret ({manifest.get('secret_note')}) and this node has "
                             f"none: put the original node's secret.key in {plan.secret.parent} (or set "
                             f"DKFI_SECRET_KEY) first, or the audit anchor cannot be verified")
    key = audit.anchor_key_for(secret)
    lines = [ln for ln in (staging / ANCHOR_MEMBER).read_text(errors="replace").splitlines() if ln.strip()]
    good = 0
    for i, text in enumerate(lines, 1):
        try:
            audit.parse_checkpoint(text, key, i)
            good += 1
        except ValueError:
            pass
    if lines and not good:
        raise RestoreRefused(f"{archive}: its audit anchor was signed under another node secret than {where}: "
                             f"restore the archive's secret (a backup without --no-secret) or set the original "
                             f"node's secret first")


def _prepare_schema(engine: Engine, url: str, revision: str, known: list[str]) -> None:
    """Bring an empty database to the archive's revision (a database with rows is already there: checked)."""
    current = db.current_revision(engine) if sa.inspect(engine).has_table("alembic_version") else None
    if current == revision:
        return
    if current is not None and known.index(current) > known.index(revision):
        from alembic import command

        command.downgrade(db.alembic_config(url), revision)
    else:
        db.upgrade(url, revision)


def _stage_files(plan: _Plan, manifest: dict[str, Any], staging: Path) -> None:
    """Write the anchor and secret whole beside their targets now, to be renamed into place after the commit."""
    tag = staging.name
    if manifest.get("audit_anchor") and plan.anchor is not None:
        tmp = plan.anchor.with_name(f".{plan.anchor.name}{tag}")
        plan.anchor.parent.mkdir(parents=True, exist_ok=True)
        _copy_private(staging / ANCHOR_MEMBER, tmp, 0o640)
        plan.staged.append((tmp, plan.anchor))
    if manifest.get("secret"):
        tmp = plan.secret.with_name(f".{plan.secret.name}{tag}")
        _copy_private(staging / SECRET_MEMBER, tmp, 0o600)
        plan.staged.append((tmp, plan.secret))


def _copy_private(src: Path, dst: Path, mode: int) -> None:
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(src.read_bytes())
        fh.flush()
        os.fsync(fh.fileno())


def _rows(path: Path) -> Iterator[list[Any]]:
    with path.open("rb") as fh:
        for n, line in enumerate(fh, 1):
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise BackupError(f"{path.name}, line {n}: not a JSON row: {exc}") from None


def _load(engine: Engine, manifest: dict[str, Any], staging: Path, force: bool, progress: Progress) -> None:
    """Every table in one transaction: what was there is deleted, the archive's rows inserted in dependency order,
    PostgreSQL sequences moved past the ids, and the counts checked before the commit."""
    tables = {t["name"]: t for t in manifest["tables"]}
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock now: no writer between the check and the load
        try:
            target = sa.MetaData()
            target.reflect(conn)
            for name, entry in tables.items():
                have = target.tables.get(name)
                if have is None:
                    raise BackupError(f"table {name} of the archive is not in the database at revision "
                                      f"{manifest['alembic_revision']}")
                unknown = [c for c, _ in entry["columns"] if c not in have.c]
                if unknown:
                    raise BackupError(f"table {name}: columns {unknown} of the archive are not in the database")
            order = [t for t in target.sorted_tables if t.name != "alembic_version"]
            occupied = _occupied(conn, [t.name for t in order])
            if occupied and not force:
                raise RestoreRefused(f"the database received rows meanwhile ({sorted(occupied)[:5]}): nothing "
                                     f"restored")
            for t in reversed(order):
                conn.execute(t.delete())
            for t in order:
                entry = tables.get(t.name)
                if entry is None:
                    continue
                label, total = f"table {t.name}", int(entry["rows"])
                progress(label, 0, total)

                def advance(n: int, label: str = label, total: int = total) -> None:
                    progress(label, n, total)

                try:
                    load_rows(conn, t.name, [(c, k) for c, k in entry["columns"]],
                              _rows(staging / TABLES / f"{t.name}.jsonl"), advance)
                except (sa.exc.DBAPIError, ValueError, KeyError) as exc:
                    msg = getattr(exc, "orig", None) or exc
                    raise BackupError(f"table {t.name}: rows could not be loaded: {msg}") from None
            versions = [r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))]
            if versions != manifest["alembic_version"]:
                raise BackupError(f"the database's revision {versions} is not the archive's "
                                  f"{manifest['alembic_version']}")
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, order)
            counts = _row_counts(conn, list(tables))
            wrong = [f"{n}: {counts[n]} rows, the manifest says {e['rows']}" for n, e in tables.items()
                     if counts[n] != e["rows"]]
            if wrong:
                raise BackupError("loaded counts differ from the manifest: " + "; ".join(wrong))
            conn.commit()
        except BaseException:
            conn.rollback()
            raise


def _reset_sequences(conn: Connection, tables: list[sa.Table]) -> None:
    """Move each serial/identity sequence past the largest id loaded (explicit ids do not advance them)."""
    quote = conn.dialect.identifier_preparer.quote
    for t in tables:
        for col in t.primary_key.columns:
            if not isinstance(col.type, sa.Integer):
                continue
            seq = conn.scalar(sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": quote(t.name), "c": col.name})
            if seq is None:
                continue
            top = conn.scalar(sa.text(f"SELECT MAX({quote(col.name)}) FROM {quote(t.name)}"))
            conn.execute(sa.text("SELECT setval(:s, :v, :called)"),
                         {"s": seq, "v": top if top is not None else 1, "called": top is not None})


def _place_files(plan: _Plan, staging: Path, data_dir: Path, force: bool) -> Path | None:
    """Move the staged history, anchor and secret into place (renames); what they replace (``force``) is kept in
    ``<data_dir>/replaced-<UTC time>/``. Returns that folder, if anything was replaced."""
    replaced_dir = data_dir / f"replaced-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S%fZ')}"
    replaced = False

    def keep(path: Path, name: str) -> None:
        nonlocal replaced
        replaced_dir.mkdir(exist_ok=True)
        os.replace(path, replaced_dir / name)
        replaced = True

    if plan.history.exists():
        if _files_in(plan.history):
            keep(plan.history, "history")
        else:
            shutil.rmtree(plan.history)  # only empty folders: nothing to keep
    if (staging / HISTORY).exists():
        plan.history.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / HISTORY, plan.history)
    for tmp, target in plan.staged:
        if target.exists() and target.read_bytes() != tmp.read_bytes():
            keep(target, target.name)
        os.replace(tmp, target)
    if plan.anchor is not None and plan.anchor.exists() and plan.anchor not in [t for _, t in plan.staged]:
        keep(plan.anchor, plan.anchor.name)  # an archive without an anchor: an old one would contradict the log
    return replaced_dir if replaced else None


def _after(archive: Path, manifest: dict[str, Any], url: str, settings: Settings, revision: str,
           replaced: Path | None, plan: _Plan) -> RestoreResult:
    """Migrate to this code's head, then count and verify what is now in place."""
    upgrade_error = None
    head = db.head_revision(url)
    if revision != head:
        try:
            db.upgrade(url)
        except Exception as exc:  # noqa: BLE001 - reported; the data stays at the archive's revision
            upgrade_error = f"{type(exc).__name__}: {exc}"
    engine = db.make_engine(url)
    try:
        now = db.current_revision(engine)
        with engine.connect() as conn:
            counts = _row_counts(conn, [t["name"] for t in manifest["tables"]])
        # the anchor key is cached per secret setting and data folder; the secret file may just have changed
        audit.forget_anchor_key()
        n, problems = audit.verify(engine)
    finally:
        engine.dispose()
    files = history_files(plan.history)
    want_rows = sum(int(f["rows"]) for f in manifest["history"])
    return RestoreResult(
        archive=archive, manifest=manifest,
        tables=[Count(t["name"], t["rows"], counts[t["name"]]) for t in manifest["tables"]],
        history_files=Count("history files", len(manifest["history"]), len(files)),
        history_rows=Count("history rows", want_rows, sum(parquet_rows(p) for p in files)),
        audit_entries=n, audit_problems=[str(p) for p in problems], loaded_revision=revision, revision=now,
        upgrade_error=upgrade_error, replaced=replaced,
        restored_files=[str(t) for _tmp, t in plan.staged])

