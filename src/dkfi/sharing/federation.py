"""Delivery of the outbox to partner nodes (HTTPS with mutual TLS, or NATS JetStream), status, certificates.

:class:`Deliverer` reads a partner's undelivered outbox rows in id order, sends them in batches and marks them
delivered only when the partner confirmed (a 2xx answer from its inbox after its commit, or JetStream's
publish acknowledgement); otherwise it counts the attempt, keeps the error and tries again with back-off. The
rows stay in the outbox until then, so a partner that is down catches up when it returns, in order, and a batch
that was applied but whose answer was lost is sent again and skipped by the partner's idempotent apply.

:func:`run_with_federation` is what ``dkfi serve`` runs: the web app, and when partners are configured the
deliverer and the inbox server (mutual TLS) beside it in the same event loop.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import json
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dkfi.sharing import outbox
from dkfi.sharing.federation_inbox import ensure_fed_stream, subject_for
from dkfi.sharing.models import OutboxItem
from dkfi.sharing.outbox import Node

if TYPE_CHECKING:  # imported where used: a node without partners of that transport never loads them
    import httpx
    from nats.aio.client import Client as NatsClient
    from nats.js import JetStreamContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TLSFiles:
    cert: Path
    key: Path
    ca: Path

    @classmethod
    def from_settings(cls, settings) -> "TLSFiles | None":
        if settings.tls_cert and settings.tls_key and settings.tls_ca:
            return cls(Path(settings.tls_cert), Path(settings.tls_key), Path(settings.tls_ca))
        return None

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.ca))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(self.cert), str(self.key))
        return ctx


def item_of(row: OutboxItem) -> dict:
    """What travels: the originator's sequence (this row's id, or the origin's for a forwarded record)."""
    seq = row.payload.get("origin_seq") or row.id
    return {"seq": int(seq), "op": row.op, "payload": row.payload}


class DeliveryError(Exception):
    pass


class Deliverer:
    """Sends one node's outbox to its partners."""

    def __init__(self, engine: Engine, node: Node | None = None, *, tls: TLSFiles | None = None,
                 nats_url: str = "nats://127.0.0.1:4222", stream: str = "DKFI_FED", prefix: str = "fed",
                 batch: int = 500, timeout: float = 10.0, poll: float = 0.5, max_backoff: float = 30.0) -> None:
        self.engine = engine
        self.node = node or outbox.node_of(engine)
        self.tls, self.nats_url, self.stream, self.prefix = tls, nats_url, stream, prefix
        self.batch, self.timeout, self.poll, self.max_backoff = batch, timeout, poll, max_backoff
        self._http: httpx.AsyncClient | None = None
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self.delivered = 0
        self.failures = 0

    # ---- database (synchronous; called in a thread) ------------------------------------------
    def pending(self, partner: str, limit: int) -> list[OutboxItem]:
        with Session(self.engine, expire_on_commit=False) as s:
            return list(s.scalars(select(OutboxItem).where(OutboxItem.partner == partner,
                                                           OutboxItem.delivered_at.is_(None))
                                  .order_by(OutboxItem.id).limit(limit)))

    def mark_delivered(self, ids: list[int]) -> None:
        now = _dt.datetime.now(_dt.timezone.utc)
        with Session(self.engine) as s, s.begin():
            for i in range(0, len(ids), 500):
                s.execute(update(OutboxItem).where(OutboxItem.id.in_(ids[i:i + 500]))
                          .values(delivered_at=now, attempts=OutboxItem.attempts + 1, last_error=None))

    def mark_failed(self, ids: list[int], error: str) -> None:
        with Session(self.engine) as s, s.begin():
            s.execute(update(OutboxItem).where(OutboxItem.id.in_(ids))
                      .values(attempts=OutboxItem.attempts + 1, last_error=error[:1000]))

    # ---- transports --------------------------------------------------------------------------
    async def _send_https(self, partner: outbox.Partner, rows: list[OutboxItem]) -> None:
        import httpx

        if self.tls is None:
            raise DeliveryError("no TLS files configured (DKFI_TLS_CERT, DKFI_TLS_KEY, DKFI_TLS_CA)")
        if self._http is None:
            self._http = httpx.AsyncClient(verify=self.tls.client_context(), timeout=self.timeout)
        body = {"sender": self.node.nation, "items": [item_of(r) for r in rows]}
        try:
            r = await self._http.post(f"{partner.endpoint}/federation/inbox", json=body)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        if not 200 <= r.status_code < 300:
            raise DeliveryError(f"HTTP {r.status_code}: {r.text[:300]}")

    async def _send_nats(self, partner: outbox.Partner, rows: list[OutboxItem]) -> None:
        import nats

        try:
            if self._nc is None or self._nc.is_closed or self._js is None:
                self._nc = await nats.connect(self.nats_url, connect_timeout=5, max_reconnect_attempts=2)
                self._js = self._nc.jetstream()
                await ensure_fed_stream(self._js, self.stream, self.prefix)
            subject = subject_for(self.prefix, partner.nation)
            for r in rows:  # one message per change: JetStream's message id deduplicates resends
                data = json.dumps({"sender": self.node.nation, "items": [item_of(r)]},
                                  separators=(",", ":")).encode()
                await self._js.publish(subject, data, stream=self.stream,
                                       headers={"Nats-Msg-Id": f"{self.node.nation}-{r.id}"})
        except Exception as exc:
            raise DeliveryError(f"NATS: {type(exc).__name__}: {exc}") from None

    async def send(self, partner: outbox.Partner, rows: list[OutboxItem]) -> None:
        if partner.transport == "nats":
            await self._send_nats(partner, rows)
        else:
            await self._send_https(partner, rows)

    # ---- delivery ----------------------------------------------------------------------------
    async def deliver_partner(self, nation: str) -> int:
        """Send everything pending for one partner, batch by batch in order; raises DeliveryError on failure."""
        partner = self.node.partners[nation]
        total = 0
        while True:
            rows = await asyncio.to_thread(self.pending, nation, self.batch)
            if not rows:
                return total
            ids = [r.id for r in rows]
            try:
                await self.send(partner, rows)
            except DeliveryError as exc:
                self.failures += 1
                await asyncio.to_thread(self.mark_failed, ids, str(exc))
                raise
            await asyncio.to_thread(self.mark_delivered, ids)
            total += len(rows)
            self.delivered += len(rows)

    async def deliver_once(self) -> dict[str, int | str]:
        """One pass over every partner: delivered counts, or the error that stopped a partner."""
        out: dict[str, int | str] = {}
        for nation in sorted(self.node.partners):
            try:
                out[nation] = await self.deliver_partner(nation)
            except DeliveryError as exc:
                out[nation] = f"error: {exc}"
        return out

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop``: each partner in its own loop, polling, backing off while it is away."""
        await asyncio.gather(*(self._run_partner(n, stop) for n in sorted(self.node.partners)))
        await self.close()

    async def _run_partner(self, nation: str, stop: asyncio.Event) -> None:
        backoff = 0.0
        while not stop.is_set():
            try:
                await self.deliver_partner(nation)
                backoff = 0.0
                wait = self.poll
            except DeliveryError as exc:
                backoff = min(self.max_backoff, max(self.poll, backoff * 2 or self.poll))
                log.warning("federation: delivery to %s failed (retry in %.1f s): %s", nation, backoff, exc)
                wait = backoff
            except Exception:  # the own database is away: keep trying
                log.exception("federation: delivery to %s", nation)
                wait = self.max_backoff
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait)
            except asyncio.TimeoutError:
                pass

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.drain()
        self._nc = self._js = None


# ---- status --------------------------------------------------------------------------------------

def _iso(v) -> str | None:
    if v is None:
        return None
    return (v if v.tzinfo else v.replace(tzinfo=_dt.timezone.utc)).isoformat()


def status(session: Session, node: Node) -> dict:
    """Per partner: pending and delivered rows, last delivery, last error; and what was applied from partners.

    The partners and their endpoints are this node's configuration, not labelled rows: in a user's session only
    admins of this node's own nation may read them (:class:`~dkfi.core.access.AccessDenied` otherwise, recorded
    in the audit log; the caller commits it). The rows are read in the caller's session, so its label filter
    applies as well. The node's own sessions (the CLI) read everything."""
    from dkfi.core import audit
    from dkfi.core.access import AccessDenied, check, principal_of_session
    from dkfi.sharing.federation_inbox import applied_summary

    p = principal_of_session(session)
    if p is not None and not p.system:
        check(p, "admin")
        if p.nation != node.nation:
            audit.record(session, "read", "federation", "status", decision="deny",
                         detail={"reason": f"not an admin of the node's nation {node.nation}"})
            raise AccessDenied(f"{p.name} ({p.nation}): the federation status of the {node.nation} node is for "
                               f"admins of {node.nation} only")

    rows = session.execute(
        select(OutboxItem.partner, OutboxItem.delivered_at.is_(None), func.count(OutboxItem.id),
               func.max(OutboxItem.delivered_at), func.min(OutboxItem.created))
        .group_by(OutboxItem.partner, OutboxItem.delivered_at.is_(None))).all()
    parts: dict[str, dict] = {n: {"partner": n, "endpoint": p.endpoint, "transport": p.transport, "pending": 0,
                                  "delivered": 0, "last_delivery": None, "oldest_pending": None,
                                  "last_error": None, "attempts": 0}
                              for n, p in node.partners.items()}
    for partner, is_pending, n, last, oldest in rows:
        d = parts.setdefault(partner, {"partner": partner, "endpoint": None, "transport": None, "pending": 0,
                                       "delivered": 0, "last_delivery": None, "oldest_pending": None,
                                       "last_error": None, "attempts": 0})
        if is_pending:
            d["pending"] += int(n)
            d["oldest_pending"] = _iso(oldest)
        else:
            d["delivered"] += int(n)
            d["last_delivery"] = _iso(last)
    for partner, d in parts.items():
        if d["pending"]:
            err = session.execute(select(OutboxItem.last_error, OutboxItem.attempts)
                                  .where(OutboxItem.partner == partner, OutboxItem.delivered_at.is_(None))
                                  .order_by(OutboxItem.id).limit(1)).first()
            if err is not None:
                d["last_error"], d["attempts"] = err[0], int(err[1] or 0)
    return {"nation": node.nation, "partners": sorted(parts.values(), key=lambda d: d["partner"]),
            "received": applied_summary(session)}


# ---- certificates --------------------------------------------------------------------------------

def make_certs(folder: Path, nations: list[str], hosts: list[str] | None = None, days: int = 825) -> dict:
    """A CA and one certificate per nation (common name = the nation; server and client use), as PEM files:
    ``ca.pem``, ``ca.key``, ``<NATION>.pem``, ``<NATION>.key``. Returns the paths."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    hosts = hosts or ["127.0.0.1", "localhost"]
    now = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(minutes=5)

    def write_key(key, path: Path) -> None:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        path.chmod(0o600)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dkfi"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "dkfi federation CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now)
          .not_valid_after(now + _dt.timedelta(days=days))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    out = {"ca": folder / "ca.pem", "ca_key": folder / "ca.key"}
    out["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    write_key(ca_key, out["ca_key"])
    sans: list = []
    for h in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            sans.append(x509.DNSName(h))
    for nation in nations:
        nation = outbox._nation(nation)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dkfi"),
                                         x509.NameAttribute(NameOID.COMMON_NAME, nation)]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + _dt.timedelta(days=days))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                      ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        out[nation] = folder / f"{nation}.pem"
        out[f"{nation}_key"] = folder / f"{nation}.key"
        out[nation].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        write_key(key, out[f"{nation}_key"])
    return out


# ---- serve ---------------------------------------------------------------------------------------

def federation_parts(settings, engine: Engine):
    """The deliverer and the inbox server (uvicorn, mutual TLS) this node's settings ask for, or None each."""
    from dkfi.sharing.federation_inbox import create_inbox_app, inbox_server

    node = outbox.node_of(engine)
    tls = TLSFiles.from_settings(settings)
    deliverer = inbox = None
    if node.partners:
        deliverer = Deliverer(engine, node, tls=tls, nats_url=settings.nats_url, stream=settings.federation_stream)
    if tls is not None and any(p.transport == "https" for p in node.partners.values()):
        inbox = inbox_server(create_inbox_app(engine.url.render_as_string(hide_password=False), node),
                             settings.federation_host, settings.federation_port, tls.cert, tls.key, tls.ca)
    return deliverer, inbox


def run_with_federation(app, host: str, port: int, **server: Any) -> None:
    """Serve ``app``; with partners configured, also deliver the outbox and serve the inbox (mutual TLS).
    ``server``: further uvicorn settings of the web server (proxy headers: ``dkfi.cli.serve.server_options``);
    its logging is the node's (``dkfi.core.logs``: JSON lines or text on stdout) unless ``server`` says otherwise."""
    import uvicorn

    from dkfi.core.config import get_settings
    from dkfi.core.logs import uvicorn_options

    settings = get_settings()
    server = {**uvicorn_options(settings), **server}
    if not outbox.parse_partners(settings.partners, settings.federation_transport):
        uvicorn.run(app, host=host, port=port, **server)
        return
    engine = app.state.engine
    deliverer, inbox = federation_parts(settings, engine)
    node = outbox.node_of(engine)

    async def main() -> None:
        from dkfi.sharing.federation_inbox import NatsInbox

        web = uvicorn.Server(uvicorn.Config(app, host=host, port=port, **server))
        stop = asyncio.Event()
        tasks = [asyncio.create_task(deliverer.run(stop))]
        if inbox is not None:
            tasks.append(asyncio.create_task(inbox.serve()))
        if any(p.transport == "nats" for p in node.partners.values()):
            tasks.append(asyncio.create_task(NatsInbox(engine, node, settings.nats_url,
                                                       settings.federation_stream).run(stop)))
        try:
            await web.serve()
        finally:
            stop.set()
            if inbox is not None:
                inbox.should_exit = True
            await asyncio.wait(tasks, timeout=10)

    asyncio.run(main())
