"""The joint case workflow through the API on two nodes (DNK and FIN, each its own database and outbox; the
partner's changes applied by the federation inbox): a case cannot be opened or contracted without both nations'
approvals, each approval comes from a user of that nation, either nation can withdraw; plus plan import and
matching over what a node may see."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dkfi.core.db import get_engine
from dkfi.sharing import outbox
from dkfi.sharing.federation import item_of
from dkfi.sharing.federation_inbox import apply_items
from dkfi.sharing.models import OutboxItem
from tests.conftest import login

HEAD = "id,description,capability_area,nsn,cpv,quantity,budget,currency,delivery_start,delivery_end\n"
DK_PLAN = HEAD + ('DK-1,"155 mm artillery ammunition, high explosive",land fires,1320-22-123-4567,35331000,'
                  '60000,2100000000,DKK,2026-06-01,2029-12-31\n'
                  'DK-2,"Night vision goggles, dual tube",soldier systems,5855-22-456-7890,35721000,5000,'
                  '300000000,DKK,2026-03-01,2027-12-31\n'
                  'DK-BAD,"bad nsn",land fires,12-34,35331000,1,1,DKK,2026-01-01,2026-02-01\n')
FI_PLAN = HEAD + ('FI-1,"Artillery shells 155mm HE",land fires,1320-32-765-4321,35331000,80000,380000000,EUR,'
                  '2026-09-01,2030-06-30\n')


class Node:
    def __init__(self, nation: str, url: str, partner: str) -> None:
        from dkfi.web.app import create_app

        self.nation, self.url, self.engine = nation, url, get_engine(url)
        self.node = outbox.configure(self.engine, nation, {partner: outbox.Partner(partner, "https://127.0.0.1:1")})
        self.client = TestClient(create_app(url))
        self.client.__enter__()

    def user(self, name: str, nation: str | None = None) -> TestClient:
        c = TestClient(self.client.app)
        login(c, self.url, name, nation or self.nation, "SECRET", roles=("planner",))
        return c

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        outbox.unconfigure(self.engine)


def deliver(src: Node, dst: Node) -> dict:
    from sqlalchemy.orm import Session

    with Session(src.engine) as s:
        rows = s.scalars(select(OutboxItem).where(OutboxItem.partner == dst.nation,
                                                  OutboxItem.delivered_at.is_(None)).order_by(OutboxItem.id)).all()
        items = [item_of(r) for r in rows]
        for r in rows:
            r.delivered_at = r.created
        s.commit()
    return apply_items(dst.engine, dst.node, src.nation, items)


@pytest.fixture
def nodes(tmp_path, pg_url):
    dnk = Node("DNK", f"sqlite:///{tmp_path / 'dnk.sqlite'}", "FIN")
    fin = Node("FIN", pg_url, "DNK")
    yield dnk, fin
    dnk.close()
    fin.close()


def test_case_needs_both_nations_approvals_over_two_nodes(nodes):
    dnk, fin = nodes
    anna, mikko = dnk.user("anna"), fin.user("mikko")
    r = anna.post("/api/acquisition/plans/import", content=DK_PLAN.encode(), headers={"content-type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 2 and r.json()["rejected"][0]["line"] == 4 and "nsn" in r.json()["rejected"][0]["reason"]
    assert mikko.post("/api/acquisition/plans/import", content=FI_PLAN.encode(),
                      headers={"content-type": "text/csv"}).json()["stored"] == 1
    deliver(dnk, fin)
    deliver(fin, dnk)

    # matching on either node sees both plans (each released them to the other)
    m = anna.get("/api/acquisition/match").json()
    assert m["matches"][0]["dnk"] == "DNK/DK-1" and m["matches"][0]["fin"] == "FIN/FI-1" and m["backend"]

    r = anna.post("/api/acquisition/cases", json={"title": "155 mm together", "items": ["DNK/DK-1", "FIN/FI-1"]})
    assert r.status_code == 201, r.text
    key = r.json()["key"]

    def act(client, action, **kw):
        return client.post(f"/api/acquisition/cases/{key}/actions", json={"action": action, **kw})

    assert act(anna, "assess", text="same calibre, aligned windows").status_code == 200
    assert act(anna, "approve").json()["approvals"].keys() == {"DNK"}
    r = act(anna, "open_case", lead_nation="DNK", vehicle="identical_national_contracts")
    assert r.status_code == 409 and "missing: FIN" in r.text
    # a Danish user approving again is still only Denmark's approval
    assert act(anna, "approve").json()["approvals"].keys() == {"DNK"}
    # the Finnish planner cannot move a Danish-owned case on
    deliver(dnk, fin)
    r = mikko.post(f"/api/acquisition/cases/{key}/actions", json={"action": "contract"})
    assert r.status_code == 409 and "only the case's owner DNK" in r.text

    # Finland approves on its own node; the approval travels to Denmark
    r = mikko.post(f"/api/acquisition/cases/{key}/actions", json={"action": "approve"})
    assert r.status_code == 200 and r.json()["approvals"].keys() == {"DNK", "FIN"}
    assert deliver(fin, dnk)["applied"] == 1
    r = act(anna, "open_case", lead_nation="DNK", vehicle="eu_instrument", eu_member_states=["DNK", "FIN"])
    assert r.status_code == 409 and "at least 3 EU member states" in r.text
    assert act(anna, "open_case", lead_nation="DNK", vehicle="identical_national_contracts").json()["stage"] == "case"
    r = act(anna, "contract")
    assert r.status_code == 200 and r.json()["stage"] == "contracted"
    assert [h["action"] for h in r.json()["history"]] == ["open", "assess", "approve", "approve", "open_case",
                                                          "contract"]
    # either nation may withdraw with a reason: Finland does, and Denmark's node sees the case withdrawn
    deliver(dnk, fin)
    assert mikko.post(f"/api/acquisition/cases/{key}/actions", json={"action": "withdraw"}).status_code == 409
    r = mikko.post(f"/api/acquisition/cases/{key}/actions", json={"action": "withdraw", "text": "budget cut"})
    assert r.status_code == 200 and r.json()["stage"] == "withdrawn"
    deliver(fin, dnk)
    got = anna.get(f"/api/acquisition/cases/{key}").json()
    assert got["stage"] == "withdrawn" and got["withdrawn"]["FIN"]["reason"] == "budget cut"


def test_savings_and_bad_input_over_the_api(tmp_path):
    from dkfi.web.app import create_app

    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    with TestClient(create_app(url)) as c:
        login(c, url, "viewer", "DNK", "RESTRICTED", roles=("viewer",))
        r = c.post("/api/acquisition/savings", json={"quantities": {"DNK": 32, "FIN": 32}, "first_unit_cost": 100,
                                                     "learning_rate": 0.85})
        assert r.status_code == 200, r.text
        d = r.json()
        assert set(d) == {"separate", "joint", "saving", "split", "curve"} and d["saving"] > 0
        assert round(d["curve"][3][1], 2) == 72.25 and round(d["curve"][63][1], 2) == 37.71
        for bad, word in (({"SWE": 3}, "SWE"), ({"DNK": -1}, "quantit"), ):
            r = c.post("/api/acquisition/savings", json={"quantities": bad, "first_unit_cost": 100,
                                                         "learning_rate": 0.85})
            assert r.status_code == 422 and word in r.text, r.text
        r = c.post("/api/acquisition/savings", json={"quantities": {"DNK": 1}, "first_unit_cost": 100,
                                                     "learning_rate": 1.2})
        assert r.status_code == 422 and "learning" in r.text
        assert c.post("/api/acquisition/cases", json={"title": "x", "items": ["a", "b"]}).status_code == 403
