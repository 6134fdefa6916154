"""Military acquisitions' tile on the home page (extension point ``web.home_tiles``): opportunities to buy together
and the joint cases by stage (the portfolio's own totals)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from dkfi.acquisition import service
from dkfi.acquisition.models import STAGES
from dkfi.core.identity import Principal
from dkfi.web.home import Chart, Figure, Series, Tile, none_visible

CLOSED = ("delivered", "withdrawn")


def tile(session: Session, p: Principal) -> Tile:
    t = service.portfolio(session)
    opps, cases = t["opportunities"], t["cases"]
    items = sum(n["items"] for n in t["plans"].values())
    stages = list(STAGES) + sorted(s for s in cases if s not in STAGES)
    in_progress = sum(n for s, n in cases.items() if s not in CLOSED)
    return Tile(
        title="Military acquisitions", href="/acquisition", order=40,
        figures=[Figure("open opportunities", opps.get("open", 0), href="/acquisition/opportunities",
                        note=f"{opps.get('confirmed', 0)} confirmed, {opps.get('dismissed', 0)} dismissed"),
                 Figure("joint cases in progress", in_progress, href="/acquisition/cases",
                        note=f"{cases.get('delivered', 0)} delivered, {cases.get('withdrawn', 0)} withdrawn"),
                 Figure("plan items", items, href="/acquisition",
                        note=", ".join(f"{n} {v['items']}" for n, v in sorted(t["plans"].items())))],
        charts=[Chart("Joint cases by stage", stages, [Series("cases", [cases.get(s, 0) for s in stages])])],
        empty=None if items or opps or any(cases.values()) else none_visible("plan items, opportunities or joint cases"))
