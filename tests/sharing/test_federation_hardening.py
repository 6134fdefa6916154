"""Federation hardening (issue 10, point 13): who may send which record, integer ranges of the inbox, and who may
read the federation status.

The inbox runs here without TLS (``require_peer_cert=False``: the sender's certificate check is covered by
tests/sharing/test_federation.py); this node is FIN, its partners DNK and SWE.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import select

from dkfi.core.db import get_engine, session_scope
from dkfi.core.labels import Classification, Label
from dkfi.sharing import outbox
from dkfi.sharing.federation_inbox import Refused, apply_items, create_inbox_app
from dkfi.sharing.models import FederationApplied
from dkfi.sharing.outbox import Partner
from dkfi.watch.models import AlertRecord
from tests.conftest import login

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
MAX_SEQ = 2**63 - 1


def payload(key: str, origin: str, releasable_to: tuple[str, ...], classification: str = "RESTRICTED") -> dict:
    """What an origin node's outbox writes for one of its alerts (:func:`dkfi.sharing.outbox.payload_of`)."""
    fields = {"kind": "anchor_drag", "mmsi": 219000001, "vessel_name": None, "asset": None,
              "start": T0.isoformat(), "end": T0.isoformat(), "severity": "high", "score": 0.5,
              "summary": f"alert {key}", "factors": [], "evidence": [], "status": "new", "assigned_to": None,
              "assigned_nation": None, "outcome": None, "notes": None, "created": T0.isoformat(),
              "updated": T0.isoformat()}
    label = Label(Classification.parse(classification), releasable_to)
    return {"v": 1, "record_type": "alert", "origin": origin, "key": key,
            "label": {"classification": label.classification.name, "releasable_to": list(label.releasable_to),
                      "policy": "NATO", "categories": [], "owner_nation": origin, "created": T0.isoformat(),
                      "reviewed": None},
            "fields": fields}


def item(seq: int, op: str, p: dict) -> dict:
    return {"seq": seq, "op": op, "payload": p}


@pytest.fixture
def fin(tmp_path):
    """The FIN node (SQLite) with partners DNK and SWE, and its inbox app."""
    url = f"sqlite:///{tmp_path / 'fin.sqlite'}"
    engine = get_engine(url)
    node = outbox.configure(engine, "FIN", {"DNK": Partner("DNK", "https://127.0.0.1:1"),
                                            "SWE": Partner("SWE", "https://127.0.0.1:2")})
    with TestClient(create_inbox_app(url, node, require_peer_cert=False)) as c:
        yield engine, node, c
    outbox.unconfigure(engine)


def _alerts(engine) -> dict[str, AlertRecord]:
    with session_scope(engine) as s:
        return {r.key: r for r in s.scalars(select(AlertRecord))}


def _post(c, sender: str, items: list[dict]):
    return c.post("/federation/inbox", json={"sender": sender, "items": items})


# ---- provenance: whose records a partner may send ----------------------------------------------------------

def test_a_third_nations_record_is_refused_from_a_sender_it_was_not_released_to(fin):
    engine, node, c = fin
    r = _post(c, "DNK", [item(1, "upsert", payload("s-1", "SWE", ("SWE", "FIN")))])
    assert r.status_code == 422, r.text
    msg = r.json()["detail"]
    assert "SWE" in msg and "DNK" in msg and "s-1" in msg and "releasable" in msg
    assert _alerts(engine) == {}
    with session_scope(engine) as s:
        assert list(s.scalars(select(FederationApplied))) == []
    with pytest.raises(Refused, match="origin SWE"):                     # the NATS inbox ends in the same check
        apply_items(engine, node, "DNK", [item(1, "upsert", payload("s-1", "SWE", ("SWE", "FIN")))])


def test_a_third_nations_record_released_to_the_sender_and_to_us_is_passed_on(fin):
    engine, _node, c = fin
    r = _post(c, "DNK", [item(7, "upsert", payload("s-2", "SWE", ("DNK", "FIN", "SWE")))])
    assert r.status_code == 200 and r.json()["applied"] == 1, r.text
    got = _alerts(engine)
    assert set(got) == {"SWE:s-2"} and got["SWE:s-2"].owner_nation == "SWE"


def test_a_withdrawal_by_a_third_node_removes_only_the_copy_it_delivered(fin):
    engine, _node, c = fin
    # FIN holds s-3 from SWE itself: DNK cannot withdraw it
    assert _post(c, "SWE", [item(5, "upsert", payload("s-3", "SWE", ("DNK", "FIN", "SWE")))]).json()["applied"] == 1
    r = _post(c, "DNK", [item(6, "withdraw", payload("s-3", "SWE", ("DNK", "FIN", "SWE")))])
    assert r.status_code == 200 and r.json()["withdrawn"] == 0 and r.json()["skipped"] == 1, r.text
    assert set(_alerts(engine)) == {"SWE:s-3"}
    # a record FIN never had: DNK's withdrawal leaves no tombstone that would block SWE's own later changes
    r = _post(c, "DNK", [item(MAX_SEQ, "withdraw", payload("s-4", "SWE", ("DNK", "FIN", "SWE")))])
    assert r.status_code == 200 and r.json()["skipped"] == 1
    assert _post(c, "SWE", [item(9, "upsert", payload("s-4", "SWE", ("FIN", "SWE")))]).json()["applied"] == 1
    # a copy DNK delivered, DNK may withdraw (it is passing on SWE's withdrawal)
    assert _post(c, "DNK", [item(10, "upsert", payload("s-5", "SWE", ("DNK", "FIN", "SWE")))]).json()["applied"] == 1
    r = _post(c, "DNK", [item(11, "withdraw", payload("s-5", "SWE", ("SWE",)))])
    assert r.json()["withdrawn"] == 1
    assert "SWE:s-5" not in _alerts(engine)


def test_a_partner_may_still_send_its_own_records(fin):
    engine, _node, c = fin
    r = _post(c, "DNK", [item(1, "upsert", payload("d-1", "DNK", ("DNK", "FIN")))])
    assert r.status_code == 200 and r.json()["applied"] == 1
    r = _post(c, "DNK", [item(2, "withdraw", payload("d-1", "DNK", ("DNK",)))])
    assert r.json()["withdrawn"] == 1 and _alerts(engine) == {}


# ---- integer ranges ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seq", [10**30, 2**63, 0, -1, 1.5, "7", True, None])
def test_a_sequence_number_out_of_range_is_a_clear_422(fin, seq):
    engine, node, c = fin
    r = _post(c, "DNK", [item(seq, "upsert", payload("d-2", "DNK", ("DNK", "FIN")))])   # type: ignore[arg-type]
    assert r.status_code == 422, r.text
    assert "seq" in r.text
    assert _alerts(engine) == {}


def test_apply_items_refuses_an_out_of_range_sequence_whatever_the_transport(fin):
    engine, node, _c = fin
    with pytest.raises(Refused, match=r"seq .*1 to 9223372036854775807"):
        apply_items(engine, node, "DNK", [item(10**30, "upsert", payload("d-3", "DNK", ("DNK", "FIN")))])


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seq=st.one_of(st.integers(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False)))
def test_any_sequence_number_gets_an_answer_never_a_500(fin, seq):
    _engine, _node, c = fin
    r = _post(c, "DNK", [item(seq, "upsert", payload("d-4", "DNK", ("DNK", "FIN")))])   # type: ignore[arg-type]
    ok = isinstance(seq, int) and 1 <= seq <= MAX_SEQ
    assert r.status_code == (200 if ok else 422), r.text


def test_malformed_items_are_a_422_naming_the_field(fin):
    _engine, _node, c = fin
    p = payload("d-5", "DNK", ("DNK", "FIN"))
    for bad, field in ((dict(item(1, "upsert", p), op="merge"), "op"),
                       ({"op": "upsert", "payload": p}, "seq"),
                       (item(1, "upsert", "not a payload"), "payload")):  # type: ignore[arg-type]
        r = _post(c, "DNK", [bad])
        assert r.status_code == 422 and field in r.text, r.text
    assert c.post("/federation/inbox", json={"sender": "DNK", "items": "x"}).status_code == 422


# ---- who may read the federation status ----------------------------------------------------------------------

def test_federation_status_only_for_admins_of_the_nodes_own_nation(tmp_path):
    from dkfi.web.app import create_app

    url = f"sqlite:///{tmp_path / 'dnk.sqlite'}"
    engine = get_engine(url)
    outbox.configure(engine, "DNK", {"FIN": Partner("FIN", "https://fin.example:8443")})
    try:
        with TestClient(create_app(url)) as c:
            login(c, url, "fi-admin", "FIN", "SECRET", ("admin",))
            r = c.get("/api/federation/status")
            assert r.status_code == 403 and "DNK" in r.json()["detail"], r.text
            assert "fin.example" not in r.text
            c.headers.pop("Authorization")
            login(c, url, "dk-admin", "DNK", "SECRET", ("admin",))
            r = c.get("/api/federation/status")
            assert r.status_code == 200 and r.json()["partners"][0]["endpoint"] == "https://fin.example:8443"
        from dkfi.core.models import AuditEntry

        with session_scope(engine) as s:
            denied = s.scalars(select(AuditEntry).where(AuditEntry.actor == "fi-admin",
                                                        AuditEntry.decision == "deny")).all()
        assert any(e.object_type == "federation" for e in denied)
    finally:
        outbox.unconfigure(engine)


# ---- the JetStream inbox: a bad message costs only itself ----------------------------------------------------

def _nats_up() -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 4222)) == 0


@pytest.mark.nats
def test_the_nats_inbox_terminates_bad_messages_and_applies_the_good_ones(fin):
    """Before, a message that was not JSON stopped the consumer, and one refused batch terminated the good
    messages fetched with it."""
    import asyncio
    import json
    import uuid

    from dkfi.sharing.federation_inbox import NatsInbox, ensure_fed_stream, subject_for
    from tests.conftest import need

    need("NATS not reachable at 127.0.0.1:4222", _nats_up())
    engine, node, _c = fin
    tag = uuid.uuid4().hex[:10]
    stream, prefix = f"FEDHARD_{tag}", f"fedhard{tag}"

    async def publish_and_consume() -> int:
        import nats

        nc = await nats.connect("nats://127.0.0.1:4222")
        try:
            js = nc.jetstream()
            await ensure_fed_stream(js, stream, prefix)
            subject = subject_for(prefix, "FIN")
            bodies = [b"not json", json.dumps({"sender": "DNK"}).encode(),
                      json.dumps({"sender": "DNK", "items": [item(1, "upsert",
                                                                  payload("s-9", "SWE", ("SWE", "FIN")))]}).encode(),
                      json.dumps({"sender": "DNK", "items": [item(2, "upsert",
                                                                  payload("d-9", "DNK", ("DNK", "FIN")))]}).encode()]
            for b in bodies:
                await js.publish(subject, b, stream=stream)
            applied = await NatsInbox(engine, node, stream=stream, prefix=prefix).run(asyncio.Event(), idle_exit=1.0)
            info = await js.consumer_info(stream, "fed_FIN")
            assert info.num_pending == 0 and info.num_ack_pending == 0    # nothing left to redeliver
            return applied
        finally:
            try:
                await nc.jetstream().delete_stream(stream)
            finally:
                await nc.close()

    assert asyncio.run(publish_and_consume()) == 1
    assert set(_alerts(engine)) == {"DNK:d-9"}
