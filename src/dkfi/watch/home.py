"""The watch's tile on the home page (extension point ``web.home_tiles``): open alerts by severity and nation."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from dkfi.core.identity import Principal
from dkfi.watch.models import AlertRecord
from dkfi.web.home import Chart, Figure, Series, Tile, none_visible

SEVERITIES = ("critical", "high", "medium", "low")
OPEN = ("new", "acknowledged", "assigned")


def open_alerts(session: Session) -> list[AlertRecord]:
    """Every open alert the session may see (without their evidence, which the counts do not need)."""
    q = (select(AlertRecord).where(AlertRecord.status.in_(OPEN))
         .options(defer(AlertRecord.evidence), defer(AlertRecord.factors)))
    return list(session.scalars(q))


def counts(alerts: list[AlertRecord]) -> dict[str, dict[str, int]]:
    """{severity: {owner nation: n}} over every severity."""
    out: dict[str, dict[str, int]] = {s: {} for s in SEVERITIES}
    for a in alerts:
        row = out.setdefault(a.severity, {})
        row[a.owner_nation] = row.get(a.owner_nation, 0) + 1
    return out


def tile(session: Session, p: Principal) -> Tile:
    alerts = open_alerts(session)
    by = counts(alerts)
    severities = [s for s in by if s in SEVERITIES] + sorted(s for s in by if s not in SEVERITIES)
    nations = sorted({n for row in by.values() for n in row}, key=lambda n: (n != p.nation, n))
    total = sum(sum(row.values()) for row in by.values())
    urgent = sum(by[s].get(n, 0) for s in ("critical", "high") for n in by[s])
    new = sum(1 for a in alerts if a.status == "new")
    return Tile(
        title="Maritime watch", href="/alerts", order=10,
        figures=[Figure("open alerts", total, href="/alerts"),
                 Figure("critical or high", urgent, href="/alerts"),
                 Figure("new, not yet acknowledged", new, href="/alerts")],
        charts=[Chart("Open alerts by severity and owner nation", severities,
                      [Series(n, [by[s].get(n, 0) for s in severities]) for n in nations], stacked=True)],
        empty=None if total else none_visible("open alerts"))
