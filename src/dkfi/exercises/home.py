"""Exercises and training's tile on the home page (extension point ``web.home_tiles``): the next exercises and
the open interoperability gaps (objectives overdue or never trained, from the interoperability matrix)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from dkfi.core.identity import Principal
from dkfi.exercises import service
from dkfi.web.home import Chart, Figure, Item, Series, Tile, none_visible

AHEAD_DAYS = 365
NEXT_SHOWN = 4
STATUSES = (("overdue", "overdue"), ("never", "never trained"), ("due_soon", "due within 60 days"), ("ok", "ok"))


def _span(start: date, end: date) -> str:
    if start == end:
        return start.strftime("%d %b %Y")
    if start.year == end.year:
        return f"{start.strftime('%d %b')} – {end.strftime('%d %b %Y')}"
    return f"{start.strftime('%d %b %Y')} – {end.strftime('%d %b %Y')}"


def _months(today: date, n: int = 12) -> list[tuple[int, int]]:
    return [((today.month - 1 + i) // 12 + today.year, (today.month - 1 + i) % 12 + 1) for i in range(n)]


def tile(session: Session, p: Principal, today: date | None = None) -> Tile:
    today = today or date.today()
    horizon = today + timedelta(days=AHEAD_DAYS)
    coming = [e for e in service.list_exercises(session, start=today) if e.start < horizon]
    m = service.matrix(session, today)
    status = {k: sum(1 for r in m["objectives"] if r["status"] == k) for k, _ in STATUSES}
    gaps = status["overdue"] + status["never"]
    months = _months(today)
    per_month = [sum(1 for e in coming if (e.start.year, e.start.month) == ym) for ym in months]
    running = sum(1 for e in coming if e.start < today)  # under way today: started before, ends today or later
    empty = not coming and not m["objectives"]
    return Tile(
        title="Exercises and training", href="/exercises", order=20,
        figures=[Figure("exercises under way or in the next 12 months", len(coming), href="/exercises",
                        note=f"{running} under way" if running else ""),
                 Figure("open interoperability gaps", gaps, href="/exercises/matrix",
                        note=f"{status['overdue']} overdue, {status['never']} never trained"),
                 Figure("pairs due within 60 days", status["due_soon"], href="/exercises/matrix")],
        charts=[Chart("Interoperability objectives by status", [label for _, label in STATUSES],
                      [Series("objectives", [status[k] for k, _ in STATUSES])]),
                Chart("Exercises starting per month", [date(y, mo, 1).strftime("%b %Y") for y, mo in months],
                      [Series("exercises", per_month)])],
        items_title="Next exercises",
        items=[Item(e.name, f"{_span(e.start, e.end)} · {e.framework}" + (f" · {e.location}" if e.location else ""),
                    f"/exercises?year={e.start.year}&month={e.start.month}") for e in coming[:NEXT_SHOWN]],
        empty=none_visible("exercises ahead or interoperability objectives") if empty else None)
