"""Federation between two nodes on loopback: DNK on SQLite, FIN on PostgreSQL, HTTPS with mutual TLS (a CA made
here), and NATS JetStream. Issue 4 item 5."""
from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import func, select, update

from dkfi.core.db import get_engine, session_scope
from dkfi.core.labels import Classification, Label
from dkfi.watch.models import AlertRecord
from dkfi.watch.service import save_alerts
from dkfi.sharing import outbox
from dkfi.sharing.federation import Deliverer, TLSFiles, item_of, make_certs
from dkfi.sharing.federation_inbox import apply_items, create_inbox_app, inbox_server
from dkfi.sharing.models import FederationApplied, OutboxItem
from dkfi.sharing.outbox import Partner
from tests.conftest import login, need

REL_FIN = Label(Classification.RESTRICTED, ("DNK", "FIN"))
DNK_ONLY = Label(Classification.RESTRICTED, ())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alert(key: str, score: float = 0.5) -> dict:
    t0 = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
    return {"key": key, "kind": "anchor_drag", "mmsi": 219000001, "vessel_name": "SIMULATED", "asset": "Baltic Cable",
            "start": t0.isoformat(), "end": (t0 + timedelta(minutes=20)).isoformat(), "severity": "high",
            "score": score, "summary": f"test alert {key}", "factors": [{"name": "drag", "weight": 1.0}],
            "evidence": [{"kind": "anchor_drag", "track": [[t0.timestamp(), 55.5, 12.7], [t0.timestamp() + 60, 55.51, 12.71]]}]}


class Inbox:
    """The FIN inbox: uvicorn with mutual TLS in a thread; start and stop at will (a node going down)."""

    def __init__(self, url: str, node, certs: dict, port: int) -> None:
        self.url, self.node, self.certs, self.port = url, node, certs, port
        self.server = self.thread = None

    def start(self) -> None:
        app = create_inbox_app(self.url, self.node)
        self.server = inbox_server(app, "127.0.0.1", self.port, self.certs["FIN"], self.certs["FIN_key"],
                                   self.certs["ca"])
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "inbox did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(10)
            self.server = self.thread = None


class Nodes:
    def __init__(self, tmp_path, pg_url) -> None:
        self.certs = make_certs(tmp_path / "certs", ["DNK", "FIN"])
        self.dnk_url, self.fin_url = f"sqlite:///{tmp_path / 'dnk.sqlite'}", pg_url
        self.dnk, self.fin = get_engine(self.dnk_url), get_engine(self.fin_url)
        self.port = free_port()
        self.dnk_node = outbox.configure(self.dnk, "DNK", {"FIN": Partner("FIN", f"https://127.0.0.1:{self.port}")})
        self.fin_node = outbox.configure(self.fin, "FIN", {"DNK": Partner("DNK", f"https://127.0.0.1:{free_port()}")})
        self.inbox = Inbox(self.fin_url, self.fin_node, self.certs, self.port)
        self.tls = TLSFiles(self.certs["DNK"], self.certs["DNK_key"], self.certs["ca"])

    def deliver(self) -> dict:
        d = Deliverer(self.dnk, self.dnk_node, tls=self.tls, timeout=5)

        async def once():
            try:
                return await d.deliver_once()
            finally:
                await d.close()

        return asyncio.run(once())

    def save(self, alerts, label=REL_FIN) -> None:
        with session_scope(self.dnk) as s:
            save_alerts(s, alerts, "DNK", label)

    def fin_alerts(self) -> dict[str, AlertRecord]:
        with session_scope(self.fin) as s:
            return {r.key: r for r in s.scalars(select(AlertRecord))}

    def close(self) -> None:
        self.inbox.stop()
        outbox.unconfigure(self.dnk)
        outbox.unconfigure(self.fin)


@pytest.fixture
def nodes(tmp_path, pg_url):
    n = Nodes(tmp_path, pg_url)
    yield n
    n.close()


def _outbox(engine) -> list[OutboxItem]:
    with session_scope(engine) as s:
        return list(s.scalars(select(OutboxItem).order_by(OutboxItem.id)))


# ---- (a) releasable reaches FIN with its label; DNK-only never does ------------------------------

def test_releasable_alert_reaches_partner_dnk_only_never(nodes):
    nodes.inbox.start()
    nodes.save([alert("shared-1")], REL_FIN)
    nodes.save([alert("secret-1")], DNK_ONLY)
    rows = _outbox(nodes.dnk)
    assert [(r.partner, r.record_key, r.op) for r in rows] == [("FIN", "shared-1", "upsert")]  # same transaction
    assert rows[0].owner_nation == "DNK" and rows[0].releasable_to == ""  # the outbox is the node's own
    assert nodes.deliver() == {"FIN": 1}

    got = nodes.fin_alerts()
    assert set(got) == {"DNK:shared-1"}
    r = got["DNK:shared-1"]
    assert (r.owner_nation, r.classification, r.releasable_to) == ("DNK", "RESTRICTED", "DNK,FIN")
    assert r.summary == "test alert shared-1" and r.evidence[0]["track"]
    # the received record is not shared onward (FIN's only partner is its origin)
    assert _outbox(nodes.fin) == []

    # every route of FIN's main application shows the shared alert and nothing of the DNK-only one
    from fastapi.testclient import TestClient

    from dkfi.web.app import create_app

    with TestClient(create_app(nodes.fin_url)) as client:
        login(client, nodes.fin_url, "op-fi", "FIN", "SECRET", ("operator",))
        lst = client.get("/api/alerts").json()
        assert [a["key"] for a in lst] == ["DNK:shared-1"]
        assert lst[0]["label"]["owner_nation"] == "DNK"
        one = client.get(f"/api/alerts/{r.id}")
        assert one.status_code == 200 and one.json()["label"]["releasable_to"] == ["DNK", "FIN"]
        assert client.get(f"/api/alerts/{r.id + 1}").status_code == 404
        geo = client.get("/api/geo/alerts").json()
        assert [f["id"] for f in geo["features"]] == [r.id]
        body = str(lst) + str(geo) + client.get("/api/alerts?status=closed").text
        assert "secret-1" not in body
    with session_scope(nodes.fin) as s:  # not even as inbox state
        assert s.scalar(select(func.count()).select_from(FederationApplied)
                        .where(FederationApplied.record_key == "secret-1")) == 0


def test_dnk_only_record_refused_even_when_posted(nodes):
    """A DNK-only record pushed at the inbox anyway (a misconfigured or forged sender) is not stored."""
    nodes.inbox.start()
    nodes.save([alert("secret-2")], DNK_ONLY)
    with session_scope(nodes.dnk) as s:
        rec = s.scalar(select(AlertRecord).where(AlertRecord.key == "secret-2"))
        payload = outbox.payload_of(outbox.REGISTRY["alert"], rec, rec.key)
    ctx = nodes.tls.client_context()
    with httpx.Client(verify=ctx) as c:
        r = c.post(f"https://127.0.0.1:{nodes.port}/federation/inbox",
                   json={"sender": "DNK", "items": [{"seq": 1, "op": "upsert", "payload": payload}]})
    assert r.status_code == 200 and r.json()["refused"] == 1 and r.json()["applied"] == 0
    assert nodes.fin_alerts() == {}


# ---- (b) FIN down while 1,000 are written; it catches up, exactly once ---------------------------

def test_partner_down_catches_up_exactly_once(nodes, capsys):
    n = 1000
    t0 = time.perf_counter()
    nodes.save([alert(f"bulk-{i:04d}", score=i / n) for i in range(n)], REL_FIN)
    t_write = time.perf_counter() - t0
    assert len(_outbox(nodes.dnk)) == n

    res = nodes.deliver()  # FIN is down
    assert str(res["FIN"]).startswith("error:")
    rows = _outbox(nodes.dnk)
    assert all(r.delivered_at is None for r in rows)
    assert rows[0].attempts == 1 and rows[0].last_error

    nodes.inbox.start()
    t0 = time.perf_counter()
    assert nodes.deliver() == {"FIN": n}
    t_catch = time.perf_counter() - t0
    got = nodes.fin_alerts()
    assert len(got) == n and set(got) == {f"DNK:bulk-{i:04d}" for i in range(n)}
    assert all(r.owner_nation == "DNK" and r.releasable_to == "DNK,FIN" for r in got.values())

    # at-least-once: the same 1,000 changes delivered twice more leave exactly one copy each
    for _ in range(2):
        with session_scope(nodes.dnk) as s:
            s.execute(update(OutboxItem).values(delivered_at=None))
        assert nodes.deliver() == {"FIN": n}
    with session_scope(nodes.fin) as s:
        assert s.scalar(select(func.count()).select_from(AlertRecord)) == n
        assert s.scalar(select(func.count(func.distinct(AlertRecord.key)))) == n
    with capsys.disabled():
        print(f"\nfederation figures: wrote {n} releasable alerts (+outbox) on DNK/SQLite in {t_write:.2f} s; "
              f"FIN/PostgreSQL caught up over HTTPS mTLS in {t_catch:.2f} s ({n / t_catch:.0f} records/s)")


# ---- (c) narrowing the label withdraws the record on FIN -----------------------------------------

def test_narrowing_label_withdraws_and_widening_reshares(nodes):
    from dkfi.core.access import user_session
    from dkfi.core.identity import Principal
    from dkfi.sharing.service import change_label

    nodes.inbox.start()
    nodes.save([alert("w-1")], REL_FIN)
    nodes.deliver()
    assert set(nodes.fin_alerts()) == {"DNK:w-1"}

    op = Principal("op-dk", "DNK", Classification.SECRET, frozenset({"operator"}))
    with user_session(nodes.dnk, op) as s:
        rec = s.scalar(select(AlertRecord).where(AlertRecord.key == "w-1"))
        assert change_label(s, rec, DNK_ONLY)
    assert [r.op for r in _outbox(nodes.dnk)] == ["upsert", "withdraw"]
    assert nodes.deliver() == {"FIN": 1}
    assert nodes.fin_alerts() == {}
    with session_scope(nodes.fin) as s:
        st = s.scalar(select(FederationApplied))
        assert (st.origin, st.record_key, st.op) == ("DNK", "w-1", "withdraw")

    with user_session(nodes.dnk, op) as s:  # shared again: it comes back, with the new change's label
        rec = s.scalar(select(AlertRecord).where(AlertRecord.key == "w-1"))
        change_label(s, rec, Label(Classification.CONFIDENTIAL, ("DNK", "FIN")))
    nodes.deliver()
    got = nodes.fin_alerts()
    assert set(got) == {"DNK:w-1"} and got["DNK:w-1"].classification == "CONFIDENTIAL"

    # deleting the record at the origin withdraws it too
    with session_scope(nodes.dnk) as s:
        s.delete(s.scalar(select(AlertRecord).where(AlertRecord.key == "w-1")))
    nodes.deliver()
    assert nodes.fin_alerts() == {}


# ---- (d) ordering per record ---------------------------------------------------------------------

def test_out_of_order_updates_apply_newest_only(nodes):
    nodes.save([alert("o-1", score=0.1)])
    nodes.save([alert("o-1", score=0.2)])
    nodes.save([alert("o-1", score=0.3)])
    rows = _outbox(nodes.dnk)
    assert len(rows) == 3 and [r.payload["fields"]["score"] for r in rows] == [0.1, 0.2, 0.3]
    items = [item_of(r) for r in rows]
    assert apply_items(nodes.fin, nodes.fin_node, "DNK", [items[2]])["applied"] == 1
    assert apply_items(nodes.fin, nodes.fin_node, "DNK", [items[1]])["skipped"] == 1
    assert apply_items(nodes.fin, nodes.fin_node, "DNK", [items[0]])["skipped"] == 1
    assert nodes.fin_alerts()["DNK:o-1"].score == 0.3
    # a withdrawal overtaken by nothing newer stays; an older upsert arriving late cannot resurrect it
    with session_scope(nodes.dnk) as s:
        rec = s.scalar(select(AlertRecord).where(AlertRecord.key == "o-1"))
        rec.releasable_to = "DNK"
    w = item_of(_outbox(nodes.dnk)[-1])
    assert w["op"] == "withdraw"
    apply_items(nodes.fin, nodes.fin_node, "DNK", [w])
    assert apply_items(nodes.fin, nodes.fin_node, "DNK", items)["skipped"] == 3
    assert nodes.fin_alerts() == {}


def test_local_lifecycle_of_received_alert_is_kept(nodes):
    nodes.save([alert("l-1", score=0.1)])
    apply_items(nodes.fin, nodes.fin_node, "DNK", [item_of(r) for r in _outbox(nodes.dnk)])
    with session_scope(nodes.fin) as s:
        s.scalar(select(AlertRecord)).status = "acknowledged"
    assert _outbox(nodes.fin) == []  # FIN's work on a DNK alert is not sent anywhere
    nodes.save([alert("l-1", score=0.9)])
    apply_items(nodes.fin, nodes.fin_node, "DNK", [item_of(_outbox(nodes.dnk)[-1])])
    r = nodes.fin_alerts()["DNK:l-1"]
    assert (r.score, r.status) == (0.9, "acknowledged")


# ---- onward sharing only as the label allows -----------------------------------------------------

def test_received_records_shared_onward_only_as_label_allows(nodes):
    fin = outbox.configure(nodes.fin, "FIN", {"DNK": Partner("DNK", "https://127.0.0.1:1"),
                                              "NOR": Partner("NOR", "nats")})
    nodes.save([alert("f-1")], REL_FIN)
    nodes.save([alert("f-2")], Label(Classification.RESTRICTED, ("DNK", "FIN", "NOR")))
    res = apply_items(nodes.fin, fin, "DNK", [item_of(r) for r in _outbox(nodes.dnk)])
    assert res["applied"] == 2 and res["forwarded"] == 1
    fwd = _outbox(nodes.fin)
    assert [(r.partner, r.record_key, r.op) for r in fwd] == [("NOR", "f-2", "upsert")]
    assert fwd[0].payload["origin"] == "DNK" and fwd[0].payload["label"]["owner_nation"] == "DNK"
    # DNK stops releasing f-2 to NOR: FIN withdraws its forward
    with session_scope(nodes.dnk) as s:
        s.scalar(select(AlertRecord).where(AlertRecord.key == "f-2")).releasable_to = "DNK,FIN"
    apply_items(nodes.fin, fin, "DNK", [item_of(_outbox(nodes.dnk)[-1])])
    assert [(r.partner, r.op) for r in _outbox(nodes.fin)] == [("NOR", "upsert"), ("NOR", "withdraw")]
    # a record claiming to be FIN's own is refused
    from dkfi.sharing.federation_inbox import Refused

    bad = item_of(_outbox(nodes.dnk)[-1])
    bad["payload"] = dict(bad["payload"], origin="FIN", label=dict(bad["payload"]["label"], owner_nation="FIN"))
    with pytest.raises(Refused):
        apply_items(nodes.fin, fin, "DNK", [bad])


# ---- (e) only certified partner nodes may post ---------------------------------------------------

def test_inbox_refuses_clients_without_a_certificate_from_the_ca(nodes, tmp_path):
    nodes.inbox.start()
    nodes.save([alert("c-1")], REL_FIN)
    item = item_of(_outbox(nodes.dnk)[0])
    url = f"https://127.0.0.1:{nodes.port}/federation/inbox"
    body = {"sender": "DNK", "items": [item]}
    import ssl

    no_cert = ssl.create_default_context(cafile=str(nodes.certs["ca"]))
    with pytest.raises(httpx.TransportError):
        with httpx.Client(verify=no_cert, timeout=5) as c:
            c.post(url, json=body)
    other = make_certs(tmp_path / "rogue", ["DNK"])  # a DNK certificate from another CA
    rogue = ssl.create_default_context(cafile=str(nodes.certs["ca"]))
    rogue.load_cert_chain(str(other["DNK"]), str(other["DNK_key"]))
    with pytest.raises(httpx.TransportError):
        with httpx.Client(verify=rogue, timeout=5) as c:
            c.post(url, json=body)
    # a good certificate of another nation cannot post as DNK
    fin_ctx = TLSFiles(nodes.certs["FIN"], nodes.certs["FIN_key"], nodes.certs["ca"]).client_context()
    with httpx.Client(verify=fin_ctx, timeout=5) as c:
        assert c.post(url, json=body).status_code == 403
    assert nodes.fin_alerts() == {}
    with httpx.Client(verify=nodes.tls.client_context(), timeout=5) as c:  # the right one can
        assert c.post(url, json=body).json()["applied"] == 1
    assert set(nodes.fin_alerts()) == {"DNK:c-1"}


# ---- status: API and CLI -------------------------------------------------------------------------

def test_status_route_for_admins(nodes):
    from fastapi.testclient import TestClient

    from dkfi.web.app import create_app

    nodes.save([alert("s-1"), alert("s-2")], REL_FIN)
    nodes.deliver()  # FIN is down: the error is shown
    with TestClient(create_app(nodes.dnk_url)) as client:
        login(client, nodes.dnk_url, "op-dk", "DNK", "SECRET", ("operator",))
        assert client.get("/api/federation/status").status_code == 403
        client.headers.pop("Authorization")
        login(client, nodes.dnk_url, "admin-dk", "DNK", "SECRET", ("admin",))
        st = client.get("/api/federation/status").json()
    assert st["nation"] == "DNK"
    (fin,) = st["partners"]
    assert (fin["partner"], fin["pending"], fin["delivered"], fin["attempts"]) == ("FIN", 2, 0, 1)
    assert fin["last_error"]


def test_cli_certs_and_status(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from dkfi.cli.main import app

    runner = CliRunner()
    r = runner.invoke(app, ["federation", "certs", str(tmp_path / "c"), "--nation", "DNK", "--nation", "FIN"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "c" / "FIN.pem").exists() and (tmp_path / "c" / "ca.key").stat().st_mode & 0o077 == 0
    r = runner.invoke(app, ["federation", "status", "--json"])
    assert r.exit_code == 0, r.output
    assert '"partners": []' in r.output


# ---- (f) NATS JetStream -------------------------------------------------------------------------

def _nats_up() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 4222)) == 0


@pytest.mark.nats
def test_nats_jetstream_transport_catches_up_exactly_once(tmp_path, pg_url, capsys):
    from dkfi.sharing.federation_inbox import NatsInbox

    need("NATS not reachable at 127.0.0.1:4222", _nats_up())
    tag = uuid.uuid4().hex[:10]
    stream, prefix = f"FEDTEST_{tag}", f"fedtest{tag}"
    dnk_url = f"sqlite:///{tmp_path / 'dnk.sqlite'}"
    dnk, fin = get_engine(dnk_url), get_engine(pg_url)
    dnk_node = outbox.configure(dnk, "DNK", {"FIN": Partner("FIN", "nats")})
    fin_node = outbox.configure(fin, "FIN", {"DNK": Partner("DNK", "nats")})
    n = 1000
    try:
        with session_scope(dnk) as s:
            save_alerts(s, [alert(f"n-{i:04d}") for i in range(n)], "DNK", REL_FIN)
            save_alerts(s, [alert("n-secret")], "DNK", DNK_ONLY)

        def deliver():
            d = Deliverer(dnk, dnk_node, stream=stream, prefix=prefix)

            async def once():
                try:
                    return await d.deliver_once()
                finally:
                    await d.close()
            return asyncio.run(once())

        t0 = time.perf_counter()
        assert deliver() == {"FIN": n}  # FIN's consumer is not running: JetStream keeps them
        t_pub = time.perf_counter() - t0
        with session_scope(dnk) as s:  # sent again (a lost acknowledgement): deduplicated or skipped
            s.execute(update(OutboxItem).where(OutboxItem.id <= 10).values(delivered_at=None))
        assert deliver() == {"FIN": 10}

        t0 = time.perf_counter()
        asyncio.run(NatsInbox(fin, fin_node, stream=stream, prefix=prefix).run(asyncio.Event(), idle_exit=1.0))
        t_apply = time.perf_counter() - t0 - 1.0
        with session_scope(fin) as s:
            keys = list(s.scalars(select(AlertRecord.key)))
        assert len(keys) == n and set(keys) == {f"DNK:n-{i:04d}" for i in range(n)}
        # narrowed to DNK-only: withdrawn on FIN over NATS too
        with session_scope(dnk) as s:
            s.scalar(select(AlertRecord).where(AlertRecord.key == "n-0000")).releasable_to = "DNK"
        assert deliver() == {"FIN": 1}
        asyncio.run(NatsInbox(fin, fin_node, stream=stream, prefix=prefix).run(asyncio.Event(), idle_exit=1.0))
        with session_scope(fin) as s:
            assert s.scalar(select(func.count()).select_from(AlertRecord)) == n - 1
            assert s.scalar(select(AlertRecord).where(AlertRecord.key.like("%n-0000"))) is None
        with capsys.disabled():
            print(f"\nfederation figures (NATS JetStream): published {n} changes in {t_pub:.2f} s; "
                  f"FIN consumer caught up in ~{max(t_apply, 0.01):.2f} s")
    finally:
        outbox.unconfigure(dnk)
        outbox.unconfigure(fin)

        async def drop():
            import nats

            nc = await nats.connect("nats://127.0.0.1:4222")
            try:
                await nc.jetstream().delete_stream(stream)
            finally:
                await nc.close()
        asyncio.run(drop())


def test_received_alerts_join_the_live_alert_stream(nodes, monkeypatch):
    """An alert applied from a partner is published on the node's bus (open alert pages show it at once)."""
    import dkfi.core.bus as core_bus
    from dkfi.core.bus import InProcessBus
    from dkfi.watch.service import ALERTS_SUBJECT

    bus = InProcessBus()
    monkeypatch.setattr(core_bus, "_bus", bus)
    nodes.save([alert("live-1", score=0.7)])
    nodes.save([alert("live-2")], label=Label(Classification.RESTRICTED, ("DNK",)))  # never leaves DNK
    items = [item_of(r) for r in _outbox(nodes.dnk)]
    assert len(items) == 1

    async def run() -> list[dict]:
        got: list[dict] = []
        agen = bus.subscribe(ALERTS_SUBJECT)
        first = asyncio.ensure_future(agen.__anext__())
        await asyncio.sleep(0.05)  # subscribed
        assert bus.subscribers(ALERTS_SUBJECT) == 1
        await asyncio.to_thread(apply_items, nodes.fin, nodes.fin_node, "DNK", items)
        got.append(await asyncio.wait_for(first, 5))
        # the same item again is skipped: nothing new to show
        await asyncio.to_thread(apply_items, nodes.fin, nodes.fin_node, "DNK", items)
        with pytest.raises(asyncio.TimeoutError):
            got.append(await asyncio.wait_for(agen.__anext__(), 0.3))
        await agen.aclose()
        return got

    [msg] = asyncio.run(run())
    stored = nodes.fin_alerts()["DNK:live-1"]
    assert msg["key"] == "DNK:live-1" and msg["id"] == stored.id and msg["score"] == 0.7
    assert msg["label"]["owner_nation"] == "DNK" and "FIN" in msg["label"]["releasable_to"]
