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
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import event, func, insert, inspect, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from dkfi.core.db import Base
from dkfi.core.labels import Classification, LabelledMixin
from dkfi.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64
REMOTE_KEY = "dkfi.remote"
READS_KEY = "dkfi.reads"
_HASHED = ("seq", "at", "actor", "actor_nation", "action", "object_type", "object_id", "object_classification",
           "decision", "remote", "detail", "owner_nation", "classification", "releasable_to", "label_policy",
           "prev_hash")


def _utc_text(dt: datetime) -> str:
    dt = dt.astimezone(timezone.utc) if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(fields: dict) -> str:
    body: dict[str, Any] = {k: fields.get(k) for k in _HASHED}
    body["at"] = _utc_text(body["at"])
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
    }
    h = entry_hash(fields)
    conn.execute(insert(AuditEntry).values(**fields, hash=h, label_categories="", label_created=now))
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=h))
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
    """Record every change, and every read above UNCLASSIFIED, of a user's session (idempotent; called once at
    start by :func:`dkfi.core.registry.start`, never as a side effect of importing this module)."""
    for target, name, fn, kw in ((Base, "load", _on_load, {"propagate": True}),
                                 (Session, "after_flush", _on_flush, {}),
                                 (Session, "before_commit", _on_commit, {})):
        if not event.contains(target, name, fn):
            event.listen(target, name, fn, **kw)


# ---- verification ------------------------------------------------------------------------------------

@dataclass
class Problem:
    seq: int | None
    entry_id: int | None
    kind: str  # edited | missing | reordered | head
    message: str

    def __str__(self) -> str:
        return self.message


def verify(engine: Engine, progress=None) -> tuple[int, list[Problem]]:
    """Check the whole chain. Returns (entries checked, problems); no problems means intact."""
    problems: list[Problem] = []
    cols = [getattr(AuditEntry, k) for k in _HASHED] + [AuditEntry.id, AuditEntry.hash]
    expected_seq, prev_hash, n = 1, GENESIS, 0
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
            if entry_hash(fields) != row["hash"]:
                problems.append(Problem(seq, eid, "edited",
                                        f"entry seq {seq} (id {eid}) was edited: its content does not match "
                                        f"its hash"))
            prev_hash = row["hash"]
            expected_seq = max(expected_seq, seq) + 1
            if progress is not None and n % 1000 == 0:
                progress(n, total)
        if head is not None:
            head_seq, head_hash = head
            if head_seq != expected_seq - 1 or (n and head_hash != prev_hash):
                problems.append(Problem(None, None, "head",
                                        f"the chain head says {head_seq} entries ending in {head_hash[:12]}..., "
                                        f"the log ends at seq {expected_seq - 1}: entries deleted at the end or "
                                        f"the head edited"))
    if progress is not None:
        progress(n, n)
    return n, problems
