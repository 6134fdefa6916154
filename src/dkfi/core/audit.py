"""The append-only, hash-chained audit log: every change, and every read of data above UNCLASSIFIED.

Each entry holds who (actor, nation), what (action, object type and ids, the object's classification),
when, from where (the client address), the decision (allow/deny) and details, and the hash
``sha256(prev_hash + canonical JSON of the entry)``. The chain head (``audit_head``: last sequence number and
hash) is updated first in the writer's transaction, which serialises writers on SQLite and PostgreSQL alike.
:func:`verify` recomputes the chain and names every entry that was edited, deleted or reordered.

What is recorded automatically, for sessions that carry a principal (:mod:`dkfi.core.access`):
- changes: every insert, update and delete of a labelled record, in the same transaction as the change;
- reads: every labelled record above UNCLASSIFIED loaded by a user's session, one entry per record type and
  transaction (the ids in the entry).
Denials are recorded by the code that denies (:func:`record`). The node's own machinery (ingest of open AIS,
the watch) works in sessions without a principal and is accounted for in its own tables (ingest runs, alert
changes), not entry by entry.

Entries are labelled: owned by this node's nation, releasable to no one else, at the classification of what they
describe (at least RESTRICTED); routes show them to admins of the owning nation only.

The anchor: the table cannot witness its own tail (delete the newest entries and set the head row to match, and
the chain agrees with itself). So every committed head is also appended, as one line ``seq hash time mac``, to a
file outside the database (:func:`anchor_path`; ``mac`` is an HMAC of the line under a key derived from the node
secret), and :func:`verify` checks the table against it: every anchored seq must be in the table with that hash,
and the table must reach the newest anchored seq. Lines are written after the commit (connection events below:
entries of a transaction that rolls back, of a savepoint rolled back, or whose commit fails are never anchored),
with one ``write(2)`` in append mode per committing transaction, so writers in several processes interleave whole
lines and a crash leaves the anchor at most behind the table, never ahead. ``fsync`` follows
``DKFI_AUDIT_ANCHOR_FSYNC``: off by default (a power loss may lose the newest lines, which only narrows what the
anchor proves), on for a disk flush per audited commit.

Hash scheme: version 2 (:data:`HASH_VERSION`) also hashes ``label_categories`` and ``label_created``. Entries of
version 1 (written before) verify the old way only before the first version 2 entry, so a log cannot be
downgraded entry by entry.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, inspect, select, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from dkfi.core.db import Base
from dkfi.core.labels import Classification, LabelledMixin
from dkfi.core.models import AuditEntry, AuditHead

log = logging.getLogger(__name__)

GENESIS = "0" * 64
REMOTE_KEY = "dkfi.remote"
READS_KEY = "dkfi.reads"
HASH_VERSION = 2
_HASHED_V1 = ("seq", "at", "actor", "actor_nation", "action", "object_type", "object_id", "object_classification",
              "decision", "remote", "detail", "owner_nation", "classification", "releasable_to", "label_policy",
              "prev_hash")
_HASHED = _HASHED_V1 + ("label_categories", "label_created")


def _utc_text(dt: datetime) -> str:
    dt = dt.astimezone(timezone.utc) if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(fields: dict, version: int = HASH_VERSION) -> str:
    """``sha256(prev_hash + canonical JSON of the hashed fields)``; ``version`` 1 is the scheme before the label
    columns were hashed (kept to verify old logs)."""
    body: dict[str, Any] = {k: fields.get(k) for k in (_HASHED if version >= 2 else _HASHED_V1)}
    body["at"] = _utc_text(body["at"])
    if version >= 2:
        body["label_categories"] = body["label_categories"] or ""
        body["label_created"] = body["label_created"] and _utc_text(body["label_created"])
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256((fields["prev_hash"] + text).encode()).hexdigest()


def _nation_of_node() -> str:
    from dkfi.core.config import get_settings

    return get_settings().nation


def append(conn: Connection, *, actor: str, actor_nation: str, action: str, object_type: str,
           object_id: str, object_classification: str = "UNCLASSIFIED", decision: str = "allow",
           remote: str | None = None, detail: dict | None = None, owner_nation: str | None = None) -> int:
    """Append one entry in ``conn``'s transaction; returns its sequence number."""
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    row = conn.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one_or_none()
    if row is None:  # a database created before the head row existed
        conn.execute(insert(AuditHead).values(id=1, seq=1, hash=GENESIS))
        seq, prev = 1, GENESIS
    else:
        seq, prev = row
    owner = owner_nation or _nation_of_node()
    level = max(Classification.parse(object_classification), Classification.RESTRICTED)
    now = datetime.now(timezone.utc)
    fields = {
        "seq": int(seq), "at": now, "actor": actor[:128], "actor_nation": actor_nation,
        "action": action[:32], "object_type": object_type[:64], "object_id": object_id[:2000],
        "object_classification": Classification.parse(object_classification).name, "decision": decision,
        "remote": (remote or None) and remote[:128], "detail": detail or {}, "owner_nation": owner,
        "classification": level.name, "releasable_to": owner, "label_policy": "NATO", "prev_hash": prev,
        "label_categories": "", "label_created": now,
    }
    h = entry_hash(fields)
    conn.execute(insert(AuditEntry).values(**fields, hash=h))
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=h))
    _pending(conn, int(seq), h)
    return int(seq)


def record(session: Session, action: str, object_type: str, object_id, *, classification: str = "UNCLASSIFIED",
           decision: str = "allow", detail: dict | None = None, principal=None) -> int:
    """Append an entry for the session's principal (or ``principal``) in the session's transaction."""
    from dkfi.core.access import principal_of_session

    p = principal or principal_of_session(session)
    name, nation = (p.name, p.nation) if p is not None else ("system", _nation_of_node())
    return append(session.connection(), actor=name, actor_nation=nation, action=action, object_type=object_type,
                  object_id=str(object_id), object_classification=classification, decision=decision,
                  remote=session.info.get(REMOTE_KEY), detail=detail)


# ---- the anchor: the chain's head outside the database -------------------------------------------------

ANCHOR_SUFFIX = ".audit-anchor"
_PENDING = "dkfi.audit.pending"        # (_Anchor, seq, hash) appended in the open transaction of a connection
_SAVEPOINTS = "dkfi.audit.savepoints"  # len(pending) when each open savepoint began, innermost last
_COMMITTING = "dkfi.audit.committing"  # pending of a transaction whose COMMIT was sent (anchored once it returned)
_LINE = re.compile(r"(?P<seq>[1-9][0-9]{0,18}) (?P<hash>[0-9a-f]{64}) (?P<at>\S+) (?P<mac>[0-9a-f]{64})")


def anchor_path(url) -> Path | None:
    """Where the anchor of the database at ``url`` is kept: ``DKFI_AUDIT_ANCHOR``, else beside a SQLite file
    (``<file>.audit-anchor``), else in the data folder, named for backend, host, port and database (never the
    password). ``None`` for an in-memory database (nothing outlives the process there)."""
    from dkfi.core.config import get_settings

    settings = get_settings()
    if settings.audit_anchor:
        return Path(settings.audit_anchor)
    u = make_url(url) if isinstance(url, str) else url
    backend = u.get_backend_name()
    if backend == "sqlite":
        db = u.database or ""
        if not db or db == ":memory:" or "mode=memory" in db:
            return None
        p = Path(db)
        return p.with_name(p.name + ANCHOR_SUFFIX)
    name = "-".join(str(part) for part in (backend, u.host, u.port, u.database) if part)
    return Path(settings.data_dir) / (re.sub(r"[^A-Za-z0-9._-]", "_", name) + ANCHOR_SUFFIX)


_keys: dict[tuple[str | None, str], bytes] = {}


def anchor_key() -> bytes:
    """The MAC key of anchor lines: derived from the node secret (the key of its tokens), never the secret itself;
    read once per process and secret (a changed secret needs a new anchor file: ``dkfi audit checkpoint``)."""
    from dkfi.core.config import get_settings
    from dkfi.core.identity import node_secret

    settings = get_settings()
    ident = (settings.secret_key, str(settings.data_dir))
    key = _keys.get(ident)
    if key is None:
        key = _keys[ident] = anchor_key_for(node_secret(settings))
    return key


def anchor_key_for(secret: str) -> bytes:
    """The anchor's MAC key under node secret ``secret`` (a restore checks an archive's anchor with it)."""
    return hmac.new(secret.encode(), b"dkfi audit anchor v1", hashlib.sha256).digest()


def forget_anchor_key() -> None:
    """Drop the keys read so far (after the node secret was replaced, e.g. by ``dkfi restore``)."""
    _keys.clear()


def format_checkpoint(seq: int, h: str, at: str, key: bytes) -> str:
    """One anchor line (without the newline): ``seq hash time mac``."""
    body = f"{seq} {h} {at}"
    return f"{body} {hmac.new(key, body.encode(), hashlib.sha256).hexdigest()}"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    line: int


def parse_checkpoint(text: str, key: bytes, line: int) -> Checkpoint:
    """An anchor line, checked (ValueError naming the line number and what is wrong)."""
    m = _LINE.fullmatch(text)
    if m is None:
        raise ValueError(f"anchor line {line} is not 'seq hash time mac': {text[:120]!r}")
    body = text[:m.start("mac") - 1]
    if not hmac.compare_digest(hmac.new(key, body.encode(), hashlib.sha256).hexdigest(), m["mac"]):
        raise ValueError(f"anchor line {line} (seq {m['seq']}): its MAC does not match the node key (the line was "
                         f"forged or edited, or the node secret changed since it was written)")
    return Checkpoint(int(m["seq"]), m["hash"], m["at"], line)


@dataclass(frozen=True)
class _Anchor:
    """Where and how a connection's entries are anchored, fixed when they are appended (so a line written after
    the commit uses the settings of the transaction that wrote the entries)."""

    path: str
    key: bytes
    fsync: bool

    @classmethod
    def of(cls, url) -> "_Anchor | None":
        from dkfi.core.config import get_settings

        path = anchor_path(url)
        return None if path is None else cls(str(path), anchor_key(), get_settings().audit_anchor_fsync)


def write_checkpoint(anchor: _Anchor, seq: int, h: str) -> None:
    """Append one checkpoint to the anchor file (created 0640 with its folder): one ``write`` in append mode,
    fsynced when ``DKFI_AUDIT_ANCHOR_FSYNC`` is set."""
    line = format_checkpoint(seq, h, _utc_text(datetime.now(timezone.utc)), anchor.key) + "\n"
    path = Path(anchor.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
        if anchor.fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _pending(conn: Connection, seq: int, h: str) -> None:
    anchor = _Anchor.of(conn.engine.url)
    if anchor is not None:
        conn.info.setdefault(_PENDING, []).append((anchor, seq, h))


def _anchor_committed(info: dict) -> None:
    """Write the newest checkpoint of a committed transaction to each anchor it touched. A failure is logged,
    not raised: the transaction is committed, and an anchor behind the table only proves less."""
    done = info.pop(_COMMITTING, None)
    if not done:
        return
    newest: dict[_Anchor, tuple[int, str]] = {}
    for anchor, seq, h in done:
        if anchor not in newest or seq > newest[anchor][0]:
            newest[anchor] = (seq, h)
    for anchor, (seq, h) in newest.items():
        try:
            write_checkpoint(anchor, seq, h)
        except Exception as exc:  # noqa: BLE001 - the commit stands; verify shows the anchor behind
            log.error("audit anchor %s: checkpoint seq %d not written: %s", anchor.path, seq, exc)


def _info(conn: Connection) -> dict | None:
    try:
        return conn.info
    except Exception:  # noqa: BLE001 - an invalidated connection: nothing of it is committed
        return None


def _on_conn_begin(conn: Connection) -> None:
    info = _info(conn)
    if info is not None:
        _anchor_committed(info)  # the transaction before on this connection committed


def _on_conn_commit(conn: Connection) -> None:
    info = _info(conn)
    if info is not None and info.get(_PENDING):
        info.setdefault(_COMMITTING, []).extend(info.pop(_PENDING))
    if info is not None:
        info.pop(_SAVEPOINTS, None)


def _on_conn_rollback(conn: Connection) -> None:
    info = _info(conn)
    if info is not None:
        info.pop(_PENDING, None)
        info.pop(_SAVEPOINTS, None)


def _on_savepoint(conn: Connection, _name: str | None) -> None:
    info = _info(conn)
    if info is not None:
        info.setdefault(_SAVEPOINTS, []).append(len(info.get(_PENDING, ())))


def _end_savepoint(conn: Connection, rolled_back: bool) -> None:
    """Savepoints nest (SQLAlchemy's nested transactions end innermost first; the event of their start does not
    know the name yet): the innermost one ends."""
    info = _info(conn)
    marks = info.get(_SAVEPOINTS) if info is not None else None
    if info is None or not marks:
        return
    start = marks.pop()
    if rolled_back and _PENDING in info:
        del info[_PENDING][start:]


def _on_rollback_savepoint(conn: Connection, _name: str, _context) -> None:
    _end_savepoint(conn, True)


def _on_release_savepoint(conn: Connection, _name: str, _context) -> None:
    _end_savepoint(conn, False)


def _on_error(ctx) -> None:
    """A failed COMMIT (or anything else failing on the connection): what was committing is not anchored."""
    if ctx.connection is not None:
        info = _info(ctx.connection)
        if info is not None:
            info.pop(_COMMITTING, None)


def _on_checkin(_dbapi_conn, record) -> None:
    """The connection is back in the pool: its last transaction's commit has returned (or it never committed)."""
    if record is None:
        return
    info = record.info
    info.pop(_PENDING, None)
    info.pop(_SAVEPOINTS, None)
    _anchor_committed(info)


def checkpoint(engine: Engine) -> tuple[int, str] | None:
    """Append the table's present head to the anchor (``dkfi audit checkpoint``): to start an anchor for a log
    written before anchoring, or a new anchor file after the node secret changed. Returns (seq, hash), or None
    when the log is empty or the database has no anchor. The caller checks the chain first."""
    anchor = _Anchor.of(engine.url)
    with engine.connect() as conn:
        row = conn.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    if anchor is None or row is None:
        return None
    write_checkpoint(anchor, int(row[0]), row[1])
    return int(row[0]), row[1]


# ---- automatic entries for principal sessions -----------------------------------------------------------

def _type_name(obj) -> str:
    return obj.__table__.name


def _ident(obj) -> str:
    ident = inspect(obj).identity
    return ",".join(str(i) for i in ident) if ident else "?"


def _on_load(obj, _context) -> None:
    if not isinstance(obj, LabelledMixin) or isinstance(obj, AuditEntry):
        return
    if obj.classification == "UNCLASSIFIED":
        return
    session = inspect(obj).session
    if session is None or session.info.get("dkfi.principal") is None or session.info["dkfi.principal"].system:
        return
    session.info.setdefault(READS_KEY, {}).setdefault(_type_name(obj), {})[_ident(obj)] = obj.classification


def _on_flush(session: Session, _ctx) -> None:
    p = session.info.get("dkfi.principal")
    if p is None or p.system:
        return
    for kind, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            if not isinstance(obj, LabelledMixin) or isinstance(obj, AuditEntry):
                continue
            detail = {}
            if kind == "update":
                st = inspect(obj)
                changed = sorted(a.key for a in st.attrs if a.history.has_changes())
                if not changed:
                    continue
                detail["fields"] = changed
            record(session, kind, _type_name(obj), _ident(obj), classification=obj.classification,
                   detail=detail)


def _on_commit(session: Session) -> None:
    reads = session.info.pop(READS_KEY, None)
    if not reads:
        return
    for type_name, ids in sorted(reads.items()):
        top = max((Classification.parse(c) for c in ids.values()), default=Classification.UNCLASSIFIED)
        keys = sorted(ids)
        record(session, "read", type_name, ",".join(keys)[:2000], classification=top.name,
               detail={"count": len(keys), "ids": keys[:5000]})


def install() -> None:
    """Record every change, and every read above UNCLASSIFIED, of a user's session, and anchor every committed
    head (idempotent; called once at start by :func:`dkfi.core.registry.start`, never as a side effect of
    importing this module)."""
    hooks: tuple[tuple[Any, str, Any, dict], ...] = (
        (Base, "load", _on_load, {"propagate": True}),
        (Session, "after_flush", _on_flush, {}),
        (Session, "before_commit", _on_commit, {}),
        (Engine, "begin", _on_conn_begin, {}),
        (Engine, "commit", _on_conn_commit, {}),
        (Engine, "rollback", _on_conn_rollback, {}),
        (Engine, "savepoint", _on_savepoint, {}),
        (Engine, "rollback_savepoint", _on_rollback_savepoint, {}),
        (Engine, "release_savepoint", _on_release_savepoint, {}),
        (Engine, "handle_error", _on_error, {}),
        (Pool, "checkin", _on_checkin, {}))
    for target, name, fn, kw in hooks:
        if not event.contains(target, name, fn):
            event.listen(target, name, fn, **kw)


# ---- verification ------------------------------------------------------------------------------------

@dataclass
class Problem:
    seq: int | None
    entry_id: int | None
    kind: str  # edited | missing | reordered | head | anchor | unanchored
    message: str

    def __str__(self) -> str:
        return self.message


def read_anchor(path: Path, key: bytes) -> tuple[dict[int, Checkpoint], list[Problem]]:
    """The checkpoints of an anchor file by seq, and the lines that are not valid checkpoints."""
    checkpoints: dict[int, Checkpoint] = {}
    problems: list[Problem] = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for n, text in enumerate(fh, 1):
            text = text.rstrip("\n")
            if not text.strip():
                continue
            try:
                cp = parse_checkpoint(text, key, n)
            except ValueError as exc:
                problems.append(Problem(None, None, "anchor", f"{path}: {exc}"))
                continue
            seen = checkpoints.get(cp.seq)
            if seen is not None and seen.hash != cp.hash:
                problems.append(Problem(cp.seq, None, "anchor",
                                        f"{path}: lines {seen.line} and {n} anchor seq {cp.seq} with different "
                                        f"hashes ({seen.hash[:12]}... and {cp.hash[:12]}...): the database was "
                                        f"restored or replaced under this anchor"))
            checkpoints.setdefault(cp.seq, cp)
    return checkpoints, problems


def verify(engine: Engine, progress=None) -> tuple[int, list[Problem]]:
    """Check the whole chain, its head row and the anchor. Returns (entries checked, problems); no problems
    means intact."""
    problems: list[Problem] = []
    path = anchor_path(engine.url)
    anchored: dict[int, Checkpoint] = {}
    if path is not None and path.exists():
        anchored, bad = read_anchor(path, anchor_key())
        problems.extend(bad)
    cols = [getattr(AuditEntry, k) for k in _HASHED] + [AuditEntry.id, AuditEntry.hash]
    expected_seq, prev_hash, n, v2_seen = 1, GENESIS, 0, False
    with engine.connect() as conn:
        head = conn.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one_or_none()
        total = conn.scalar(select(func.count()).select_from(AuditEntry)) or 0
        if progress is not None:
            progress(0, total)
        for row in conn.execute(select(*cols).order_by(AuditEntry.seq, AuditEntry.id)).mappings():
            n += 1
            seq, eid = row["seq"], row["id"]
            if seq > expected_seq:
                problems.append(Problem(seq, eid, "missing",
                                        f"entries {expected_seq}..{seq - 1} are missing (deleted) before entry "
                                        f"seq {seq} (id {eid})"))
            elif seq < expected_seq:
                problems.append(Problem(seq, eid, "reordered",
                                        f"entry seq {seq} (id {eid}) is out of order (expected {expected_seq})"))
            fields = dict(row)
            if fields["prev_hash"] != prev_hash:
                problems.append(Problem(seq, eid, "reordered" if seq <= expected_seq else "missing",
                                        f"entry seq {seq} (id {eid}) does not follow the entry before it "
                                        f"(prev_hash differs: deleted, inserted or reordered entries)"))
            if entry_hash(fields) == row["hash"]:
                v2_seen = True
            elif v2_seen or entry_hash(fields, version=1) != row["hash"]:
                problems.append(Problem(seq, eid, "edited",
                                        f"entry seq {seq} (id {eid}) was edited: its content does not match "
                                        f"its hash"))
            cp = anchored.get(seq)
            if cp is not None and cp.hash != row["hash"]:
                problems.append(Problem(seq, eid, "anchor",
                                        f"entry seq {seq} (id {eid}) does not match the anchor: its hash is "
                                        f"{row['hash'][:12]}..., the anchor recorded {cp.hash[:12]}... at {cp.at} "
                                        f"(line {cp.line}): the chain was rewritten up to here"))
            prev_hash = row["hash"]
            expected_seq = max(expected_seq, seq) + 1
            if progress is not None and n % 1000 == 0:
                progress(n, total)
    last = expected_seq - 1
    if head is None:
        if n:
            problems.append(Problem(None, None, "head", f"the chain head row is missing; the log ends at seq {last} "
                                                        f"({prev_hash[:12]}...): the head was deleted"))
    else:
        head_seq, head_hash = head
        if head_seq != last or (n and head_hash != prev_hash):
            problems.append(Problem(None, None, "head",
                                    f"the chain head says {head_seq} entries ending in {head_hash[:12]}..., "
                                    f"the log ends at seq {last}: entries deleted at the end or "
                                    f"the head edited"))
    if path is not None:
        problems.extend(_tail_problems(path, anchored, n, last, prev_hash))
    if progress is not None:
        progress(n, n)
    return n, problems


def _tail_problems(path: Path, anchored: dict[int, Checkpoint], n: int, last: int, last_hash: str) -> list[Problem]:
    """What the anchor says about the end of the log: it must reach the newest anchored seq."""
    if not anchored:
        if n and not path.exists():
            return [Problem(None, None, "unanchored",
                            f"no anchor at {path}, but the log has {n} entries: the anchor was deleted or moved, "
                            f"or this log was written before anchoring (check it, then `dkfi audit checkpoint` "
                            f"starts an anchor)")]
        if n:
            return [Problem(None, None, "unanchored", f"the anchor {path} holds no checkpoint, but the log has "
                                                      f"{n} entries: the anchor was emptied")]
        return []
    top = anchored[max(anchored)]
    if top.seq <= last:
        return []
    if n == 0:
        return [Problem(None, None, "missing",
                        f"the log is empty, but the anchor {path} recorded seq {top.seq} ({top.hash[:12]}...) at "
                        f"{top.at} (line {top.line}): the whole log was deleted")]
    return [Problem(None, None, "missing",
                    f"the log ends at seq {last} ({last_hash[:12]}...), but the anchor {path} recorded seq {top.seq} "
                    f"({top.hash[:12]}...) at {top.at} (line {top.line}): entries {last + 1}..{top.seq} were "
                    f"deleted from the end")]
