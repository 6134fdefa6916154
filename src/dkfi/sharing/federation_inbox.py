"""The receiving side of federation: apply a partner's changes idempotently and in order; the inbox server.

:func:`apply_items` is the one place a partner's records enter this node's database (both transports end
here). Per record (origin nation, record type, originator's key) the newest applied sequence number is kept in
``federation_applied``; an item whose sequence is not newer is a duplicate or came out of order and is skipped,
so at-least-once delivery ends with exactly one copy, and the newest version. A received record keeps the
originator's owner nation and label; it is stored under ``ORIGIN:key`` so it never collides with this node's own
records. An upsert whose label does not release the record to this node is applied as a withdrawal (this node
keeps no copy of what it may not hold), and records claiming this node's own nation as owner are refused.
A received record is forwarded onward only to partners whose nation is in its releasable-to (never back to its
origin or to the sender).

Provenance (who may send which record). A record's origin is its owner nation. A partner S may send this node a
change of a record of origin O only when:

1. O is not this node's nation (a node never receives its own records back);
2. O is S (S's own record), or the record's label releases it to S (S is in its releasable-to: O shared it with
   S, and S passes it on as the label allows, as this node's inbox does with what it receives). An upsert of
   another nation's record that its label does not release to the sender is refused, with the whole batch
   (HTTP 422, or the JetStream messages terminated): no legitimate node sends one;
3. a withdrawal of O's record by S != O removes only a copy S delivered (this node's state of that record names
   S as its last sender). Any other such withdrawal is skipped and counted, leaving no tombstone, so a third node
   can neither delete nor block what it did not give (O's own withdrawal reaches this node directly).

Every item is checked before anything is applied: sequence numbers are integers from 1 to 2^63-1, the label
parses, and each field of the record fits its column (type, integer range, text length, dates); a batch with a
malformed item is refused whole, naming the item and field (:class:`Refused`), and the refusal is an audit entry.

:func:`create_inbox_app` is the HTTPS inbox (``POST /federation/inbox``), served by :func:`inbox_server` with
mutual TLS: uvicorn requires a client certificate signed by the configured CA, and the sender's nation is the
certificate's common name (a body that claims another sender is refused). :class:`NatsInbox` consumes the
JetStream subject ``<prefix>.<NATION>.inbox`` with a durable consumer, for partners that federate over NATS.
"""
from __future__ import annotations

import asyncio
import json
import logging
import ssl
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Float, Integer, Numeric, SmallInteger, String, \
    select, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dkfi.core.labels import Classification, Label, parse_classification, parse_releasable
from dkfi.sharing import outbox
from dkfi.sharing.models import FederationApplied
from dkfi.sharing.outbox import UPSERT, WITHDRAW, Node
from dkfi.sharing.schemas import SEQ_MAX, FederationBatchIn

log = logging.getLogger(__name__)

PEER_STATE_KEY = "dkfi_peer_cert"


class Refused(ValueError):
    """A message that this node does not accept at all (wrong sender, malformed)."""


def _dt(v):
    if isinstance(v, str) and v:
        return datetime.fromisoformat(v)
    return v


def _set_label(rec, lab: dict) -> None:
    label = Label(Classification.parse(lab["classification"]), tuple(lab.get("releasable_to") or ()),
                  lab.get("policy") or "NATO", tuple(lab.get("categories") or ()))
    rec.set_label(label, outbox._nation(lab["owner_nation"]))
    rec.label_created = _dt(lab.get("created"))
    rec.label_reviewed = _dt(lab.get("reviewed"))


def _column_problem(col, value: Any) -> str | None:
    """Why ``value`` cannot be stored in ``col`` (None when it can): the column's type, as declared, read once."""
    if value is None:
        return None if col.nullable or col.primary_key else "may not be empty"
    t = col.type
    if isinstance(t, JSON):
        return None
    if isinstance(t, Boolean):
        return None if isinstance(value, bool) else f"expected true or false, got {type(value).__name__}"
    if isinstance(t, (Integer, BigInteger, SmallInteger)):
        if not isinstance(value, int) or isinstance(value, bool):
            return f"expected an integer, got {type(value).__name__}"
        bound = 2**15 if isinstance(t, SmallInteger) else 2**63 if isinstance(t, BigInteger) else 2**31
        return None if -bound <= value < bound else f"{value} is out of range ({-bound} to {bound - 1})"
    if isinstance(t, (Float, Numeric)):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value \
            and value not in (float("inf"), float("-inf"))
        return None if ok else f"expected a finite number, got {value!r:.40}"
    if isinstance(t, (DateTime, Date)):
        if not isinstance(value, str):
            return f"expected an ISO 8601 date or time, got {type(value).__name__}"
        try:
            (datetime if isinstance(t, DateTime) else date).fromisoformat(value)
        except ValueError:
            return f"{value[:40]!r} is not an ISO 8601 date or time"
        return None
    if isinstance(t, String):
        if not isinstance(value, str):
            return f"expected text, got {type(value).__name__}"
        if t.length is not None and len(value) > t.length:
            return f"text of {len(value)} characters is longer than {t.length}"
    return None


def _check_label(lab: Any) -> str | None:
    if not isinstance(lab, dict):
        return "label: expected an object"
    try:
        parse_classification(lab["classification"])
        parse_releasable(",".join(lab.get("releasable_to") or ()))
        Label(categories=tuple(lab.get("categories") or ()))
        for when in ("created", "reviewed"):
            if lab.get(when) is not None:
                datetime.fromisoformat(lab[when])
    except KeyError as exc:
        return f"label: {exc.args[0]} missing"
    except (TypeError, ValueError) as exc:
        return f"label: {exc}"
    return None


def _check_item(it: Any, node: Node, sender: str, index: int = 0) -> tuple[str, str, str, int, str, dict]:
    """An item of a partner's batch, checked (see the module doc); :class:`Refused` names the item and reason."""
    where = f"item {index}"
    try:
        op, seq, payload = it["op"], it["seq"], it["payload"]
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise ValueError(f"seq: expected an integer, got {type(seq).__name__}")
        if not 1 <= seq <= SEQ_MAX:
            raise ValueError(f"seq {seq} is out of range (1 to {SEQ_MAX})")
        rtype, origin, key = payload["record_type"], outbox._nation(payload["origin"]), str(payload["key"])
        owner = outbox._nation(payload["label"]["owner_nation"])
    except (KeyError, TypeError, ValueError) as exc:
        raise Refused(f"malformed {where}: {exc.args[0] if isinstance(exc, KeyError) else exc}"
                      + (" missing" if isinstance(exc, KeyError) else "")) from None
    if op not in (UPSERT, WITHDRAW):
        raise Refused(f"{where}: unknown op {op!r} (upsert or withdraw)")
    if rtype not in outbox.REGISTRY:
        raise Refused(f"{where}: record type {rtype!r} is not federated here")
    what = f"{where} ({rtype} {key[:80]})"
    if owner != origin:
        raise Refused(f"{what}: origin {origin} is not the owner {owner}")
    if origin == node.nation:
        raise Refused(f"{what}: a record of this node's own nation {origin} cannot be received")
    lab = payload["label"]
    problem = _check_label(lab)
    if problem is not None:
        raise Refused(f"{what}: {problem}")
    rel = set(parse_releasable(",".join(lab.get("releasable_to") or ())))
    if op == UPSERT and origin != sender and sender not in rel:
        raise Refused(f"{what}: origin {origin}, sent by {sender}: a partner passes on another nation's record only "
                      f"when its label releases it to that partner (releasable_to: {', '.join(sorted(rel)) or 'none'})")
    spec = outbox.REGISTRY[rtype]
    problem = _column_problem(getattr(spec.model, spec.key_attr).property.columns[0], spec.local_key(origin, key))
    if problem is not None:
        raise Refused(f"{what}: key: {problem}")
    if op == UPSERT:
        fields = payload.get("fields") or {}
        if not isinstance(fields, dict):
            raise Refused(f"{what}: fields: expected an object")
        cols = {c.key: c for c in spec.table.columns}
        for name, value in fields.items():
            col = cols.get(name)
            problem = _column_problem(col, value) if col is not None else None
            if problem is not None:
                raise Refused(f"{what}: field {name}: {problem}")
    return op, rtype, origin, seq, key, payload


def _refusal_audited(engine: Engine, node: Node, sender: str, exc: Refused) -> None:
    """Keep a refused batch in the audit log (who sent what that was not accepted)."""
    from dkfi.core import audit

    try:
        with engine.begin() as conn:
            audit.append(conn, actor=f"node {sender}", actor_nation=sender, action="receive",
                         object_type="federation", object_id=sender, decision="deny",
                         detail={"reason": str(exc)[:1000]}, owner_nation=node.nation)
    except Exception as err:  # noqa: BLE001 - the refusal stands whether or not it could be logged
        log.warning("federation refusal from %s not audited: %s", sender, err)


def apply_items(engine: Engine, node: Node, sender: str, items: list[dict]) -> dict:
    """Apply a partner's batch in one transaction; returns counts (``applied``, ``skipped``, ``withdrawn``,
    ``refused`` — upserts that do not release the record to this node, applied as withdrawals)."""
    sender = outbox._nation(sender)
    try:
        checked = sorted((_check_item(it, node, sender, i) for i, it in enumerate(items)), key=lambda t: t[3])
    except Refused as exc:
        _refusal_audited(engine, node, sender, exc)
        raise
    counts = {"applied": 0, "skipped": 0, "withdrawn": 0, "refused": 0, "forwarded": 0}
    if not checked:
        return counts
    now = datetime.now(timezone.utc)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        idents = {(origin, rtype, key) for _op, rtype, origin, _seq, key, _p in checked}
        states: dict[tuple, FederationApplied] = {}
        ident_list = sorted(idents)
        for i in range(0, len(ident_list), 500):
            chunk = ident_list[i:i + 500]
            q = select(FederationApplied).where(tuple_(FederationApplied.origin, FederationApplied.record_type,
                                                       FederationApplied.record_key).in_(chunk))
            if engine.dialect.name == "postgresql":
                q = q.with_for_update()
            for applied in s.scalars(q):
                states[(applied.origin, applied.record_type, applied.record_key)] = applied
        records: dict[tuple, Any] = {}
        by_type: dict[str, set[str]] = {}
        for origin, rtype, key in idents:
            by_type.setdefault(rtype, set()).add(outbox.REGISTRY[rtype].local_key(origin, key))
        for rtype, keys in by_type.items():
            spec = outbox.REGISTRY[rtype]
            col = getattr(spec.model, spec.key_attr)
            keys_l = sorted(keys)
            found: Any  # an instance of whichever model the record type registered
            for i in range(0, len(keys_l), 500):
                for found in s.scalars(select(spec.model).where(col.in_(keys_l[i:i + 500]))):
                    records[(rtype, getattr(found, spec.key_attr))] = found
        forwards: list[dict] = []
        received: dict[tuple, Any] = {}  # upserted records whose type has a live subject, newest per record
        for op, rtype, origin, seq, key, payload in checked:
            ident = (origin, rtype, key)
            st = states.get(ident)
            if st is not None and seq <= st.seq:
                counts["skipped"] += 1
                continue
            spec = outbox.REGISTRY[rtype]
            lkey = spec.local_key(origin, key)
            rec = records.get((rtype, lkey))
            rel_before = set(parse_releasable(rec.releasable_to)) if rec is not None else set()
            lab = payload["label"]
            rel_now = set(parse_releasable(",".join(lab.get("releasable_to") or ())))
            if op == UPSERT and node.nation not in rel_now:
                counts["refused"] += 1
                log.warning("%s %s from %s is not releasable to %s: applied as a withdrawal", rtype, key, sender,
                            node.nation)
                op = WITHDRAW
            if op == WITHDRAW and origin != sender and (st is None or st.sender != sender):
                counts["skipped"] += 1  # a third node withdraws only what it delivered (module doc, rule 3)
                log.warning("%s %s of %s: withdrawal from %s, which did not deliver this node's copy: skipped",
                            rtype, key, origin, sender)
                continue
            if op == UPSERT:
                new = rec is None
                if new:
                    rec = spec.model()
                    setattr(rec, spec.key_attr, lkey)
                    s.add(rec)
                    records[(rtype, lkey)] = rec
                spec.load(rec, payload.get("fields") or {}, new=new)
                _set_label(rec, lab)
                counts["applied"] += 1
                if spec.live is not None:
                    received[(rtype, lkey)] = rec
            else:
                received.pop((rtype, lkey), None)
                if rec is not None:
                    s.delete(rec)
                    s.flush()  # before a later upsert of the same key in this batch inserts it again
                    records.pop((rtype, lkey), None)
                rel_now = set()
                counts["withdrawn"] += 1
            if st is None:
                st = FederationApplied(origin=origin, record_type=rtype, record_key=key[:200])
                s.add(st)
                states[ident] = st
            st.sender, st.seq, st.op, st.applied_at = sender, seq, op, now
            st.set_label(Label(Classification.parse(lab["classification"])), node.nation)
            st.label_created = now
            # onward: only to partners the label releases it to, never back to where it came from
            for partner in sorted(node.partners):
                if partner in (origin, sender):
                    continue
                fwd = dict(payload, origin_seq=seq)
                if op == UPSERT and partner in rel_now:
                    forwards.append(outbox.outbox_row(node, partner, rtype, key, UPSERT, fwd,
                                                      lab["classification"], now))
                elif partner in rel_before:
                    forwards.append(outbox.outbox_row(node, partner, rtype, key, WITHDRAW, fwd,
                                                      lab["classification"], now))
        outbox.write_rows(s.connection(), forwards)
        counts["forwarded"] = len(forwards)
    _publish_received(received)
    return counts


def _publish_received(received: dict[tuple, Any]) -> None:
    """Received records go out on the process's bus once committed (open alert pages show them at once;
    the live stream filters each message by its label per user). A bus failure never undoes the apply."""
    if not received:
        return
    from dkfi.core.bus import get_bus

    try:
        bus = get_bus()
        for (rtype, _key), rec in received.items():
            live = outbox.REGISTRY[rtype].live
            if live is None:  # not collected: only types with a live subject are
                continue
            subject, message = live
            bus.publish(subject, message(rec))
    except Exception as exc:  # noqa: BLE001 - logged; the records are stored and show on reload
        log.warning("received records stored but not published live: %s", exc)


def applied_summary(session: Session) -> list[dict]:
    from sqlalchemy import func

    rows = session.execute(select(FederationApplied.origin, FederationApplied.op, func.count(FederationApplied.id),
                                  func.max(FederationApplied.applied_at), func.max(FederationApplied.seq))
                           .group_by(FederationApplied.origin, FederationApplied.op)).all()
    out: dict[str, dict] = {}
    for origin, op, n, last, seq in rows:
        d = out.setdefault(origin, {"origin": origin, "records": 0, "withdrawn": 0, "last_applied": None,
                                    "last_seq": 0})
        d["records" if op == UPSERT else "withdrawn"] += int(n)
        last_s = last.isoformat() if last is not None else None
        d["last_applied"] = max(filter(None, [d["last_applied"], last_s]), default=None)
        d["last_seq"] = max(d["last_seq"], int(seq or 0))
    return sorted(out.values(), key=lambda d: d["origin"])


# ---- HTTPS inbox ---------------------------------------------------------------------------------

def peer_nation(cert: dict | None) -> str | None:
    """The nation a node certificate names (its subject common name)."""
    if not cert:
        return None
    for rdn in cert.get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                try:
                    return outbox._nation(v)
                except ValueError:
                    return None
    return None


def create_inbox_app(database_url: str | None = None, node: Node | None = None, *,
                     require_peer_cert: bool = True):
    """The inbox of one node: a small FastAPI app of its own, served only behind mutual TLS."""
    from dkfi.core.db import get_engine

    engine = get_engine(database_url)
    node = node or outbox.node_of(engine)
    app = FastAPI(title=f"dkfi federation inbox ({node.nation})", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.engine, app.state.node = engine, node

    @app.get("/federation/health")
    def health() -> dict:
        return {"nation": node.nation, "status": "ok"}

    @app.post("/federation/inbox")
    def inbox(request: Request, body: FederationBatchIn) -> dict:
        cert = request.scope.get("state", {}).get(PEER_STATE_KEY)
        certified = peer_nation(cert)
        if require_peer_cert and certified is None:
            raise HTTPException(403, "no node certificate naming a nation")
        try:
            sender = outbox._nation(body.sender)
        except ValueError:
            raise HTTPException(422, "sender is not a nation code") from None
        if certified is not None and certified != sender:
            raise HTTPException(403, f"certificate of {certified} may not post as {sender}")
        if node.partners and sender not in node.partners:
            raise HTTPException(403, f"{sender} is not a partner of {node.nation}")
        try:
            return apply_items(engine, node, sender, [it.model_dump() for it in body.items])
        except Refused as exc:
            raise HTTPException(422, str(exc)) from None

    return app


def _peer_protocol():
    """uvicorn's h11 protocol, handing the client certificate of each connection to the app (scope state)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class PeerCertH11Protocol(H11Protocol):
        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self.app_state = dict(self.app_state)
            self.app_state[PEER_STATE_KEY] = transport.get_extra_info("peercert")

    return PeerCertH11Protocol


def inbox_server(app, host: str, port: int, cert: Path, key: Path, ca: Path, log_level: str = "warning"):
    """A uvicorn server for the inbox app: TLS with this node's certificate, client certificates required."""
    import uvicorn

    for what, p in (("certificate", cert), ("key", key), ("CA", ca)):
        if p is None or not Path(p).exists():
            raise FileNotFoundError(f"federation inbox needs the node's {what}: {p} not found")
    config = uvicorn.Config(app, host=host, port=port, ssl_certfile=str(cert), ssl_keyfile=str(key),
                            ssl_ca_certs=str(ca), ssl_cert_reqs=ssl.CERT_REQUIRED, http=_peer_protocol(),
                            log_level=log_level, lifespan="off", access_log=False)
    return uvicorn.Server(config)


# ---- NATS JetStream inbox ------------------------------------------------------------------------

def subject_for(prefix: str, nation: str) -> str:
    return f"{prefix}.{nation}.inbox"


async def ensure_fed_stream(js, stream: str, prefix: str) -> None:
    from nats.js.api import StreamConfig
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(stream)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=stream, subjects=[f"{prefix}.>"], duplicate_window=600.0,
                                         max_age=7 * 24 * 3600.0))


class NatsInbox:
    """Consume this node's federation subject with a durable pull consumer; ack after the commit."""

    def __init__(self, engine: Engine, node: Node, url: str = "nats://127.0.0.1:4222", stream: str = "DKFI_FED",
                 prefix: str = "fed", batch: int = 500) -> None:
        self.engine, self.node, self.url, self.stream, self.prefix, self.batch = engine, node, url, stream, prefix, batch
        self.applied = 0

    async def run(self, stop: asyncio.Event, idle_exit: float | None = None) -> int:
        """Apply messages until ``stop`` (or, with ``idle_exit``, until nothing came for that many seconds)."""
        import nats
        from nats.errors import TimeoutError as NatsTimeout

        nc = await nats.connect(self.url, connect_timeout=5, max_reconnect_attempts=-1, reconnect_time_wait=1)
        try:
            js = nc.jetstream()
            await ensure_fed_stream(js, self.stream, self.prefix)
            sub = await js.pull_subscribe(subject_for(self.prefix, self.node.nation),
                                          durable=f"fed_{self.node.nation}", stream=self.stream)
            idle = 0.0
            while not stop.is_set():
                try:
                    msgs = await sub.fetch(self.batch, timeout=0.5)
                except (NatsTimeout, asyncio.TimeoutError, TimeoutError):
                    idle += 0.5
                    if idle_exit is not None and idle >= idle_exit:
                        break
                    continue
                idle = 0.0
                log.debug("federation: fetched %d messages", len(msgs))
                await self._handle(msgs)
        finally:
            # not drain(): it waits out the pull subscription's pending request (30 s); the acks are flushed
            try:
                await nc.flush(timeout=5)
            except Exception as exc:
                log.warning("federation: flushing acks to NATS failed: %s", exc)
            await nc.close()
        return self.applied

    def _read(self, msg) -> tuple[str, list] | None:
        """A message's sender and items, or None when it is not a federation message from a partner."""
        try:
            body = json.loads(msg.data)
            sender, items = outbox._nation(str(body["sender"])), body["items"]
        except (ValueError, KeyError, TypeError) as exc:
            log.error("federation message on %s is not a batch (terminated): %s", msg.subject, exc)
            return None
        if not isinstance(items, list):
            log.error("federation message from %s: items is not a list (terminated)", sender)
            return None
        if self.node.partners and sender not in self.node.partners:
            log.warning("federation message from %s (not a partner) dropped", sender)
            return None
        return sender, items

    async def _handle(self, msgs: list) -> None:
        """Apply one fetch, per sender: a batch refused as a whole is retried message by message, so only the
        refused messages are terminated; a database failure leaves them to JetStream's redelivery."""
        by_sender: dict[str, list[tuple[Any, list]]] = {}
        for m in msgs:
            read = self._read(m)
            if read is None:
                await m.term()
                continue
            by_sender.setdefault(read[0], []).append((m, read[1]))
        for sender, group in by_sender.items():
            try:
                await self._apply(sender, group)
            except Refused:
                for m, items in group:
                    try:
                        await self._apply(sender, [(m, items)])
                    except Refused as exc:
                        log.error("federation message from %s refused (terminated): %s", sender, exc)
                        await m.term()
                    except Exception as exc:  # the database is away: let JetStream redeliver
                        log.warning("federation apply failed (will be redelivered): %s", exc)
                        await m.nak(delay=1.0)
            except Exception as exc:  # the database is away: let JetStream redeliver
                log.warning("federation apply failed (will be redelivered): %s", exc)
                for m, _items in group:
                    await m.nak(delay=1.0)

    async def _apply(self, sender: str, group: list[tuple[Any, list]]) -> None:
        items = [it for _m, its in group for it in its]
        counts = await asyncio.to_thread(apply_items, self.engine, self.node, sender, items)
        log.debug("federation: applied %s", counts)
        self.applied += counts["applied"]
        for m, _items in group:
            await m.ack()
