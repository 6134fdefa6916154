"""The home page: the state of the cooperation at a glance, one tile per domain that declares one.

The shell names no domain. A domain puts a tile here through the registry's extension point ``web.home_tiles``
(:data:`dkfi.core.registry.HOME_TILES`): a reference to ``f(session, principal) -> Tile`` that its service
computes from the records the session may see. The session is the caller's, so the access filter
(:mod:`dkfi.core.access`) applies to every query and reads above UNCLASSIFIED are audited; a tile's label is the
highest of every labelled record its function loaded, whatever the function says, so a tile cannot be under-marked.
``GET /api/home`` answers the tiles; the page ``/`` draws them (``static/home.js``, charts by Chart.js).
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import event
from sqlalchemy.orm import Session

from dkfi.core import registry
from dkfi.core.identity import Principal
from dkfi.core.labels import LabelledMixin
from dkfi.core.security import PrincipalDep, UserSession
from dkfi.web.pages import PagePrincipal, highest, render

log = logging.getLogger(__name__)
router = APIRouter()



def none_visible(what: str) -> str:
    """A tile's empty state. How many records are hidden is not said: a count of what a user may not see leaks."""
    return f"No {what} visible to you (records above your clearance or not released to your nation are not counted)."


@dataclass(frozen=True)
class Figure:
    """One number of a tile. ``value`` is None when nothing visible gives it (drawn as a dash, ``note`` says why)."""

    label: str
    value: float | None
    unit: str = ""                 # drawn after the number: "%", "EUR", ...
    note: str = ""                 # a short explanation ("at 90 % availability")
    href: str | None = None        # the page with the records behind the figure


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


@dataclass(frozen=True)
class Chart:
    """A bar chart: one bar (or stack, with ``stacked``) per category, one colour per series."""

    title: str
    categories: list[str]
    series: list[Series]
    stacked: bool = False
    unit: str = ""

    @property
    def empty(self) -> bool:
        return not any(v for s in self.series for v in s.values)


@dataclass(frozen=True)
class Item:
    """A line of a tile's short list (e.g. the next exercises)."""

    text: str
    note: str = ""
    href: str | None = None


@dataclass
class Tile:
    """What a domain shows on the home page. ``empty``: said when nothing is visible to the user (the figures and
    charts then count nothing); ``error``: set by the shell when the tile could not be computed."""

    title: str
    href: str
    figures: list[Figure] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    items_title: str = ""
    empty: str | None = None
    order: int = 100
    classification: str = "UNCLASSIFIED"
    domain: str = ""
    error: str | None = None


def _failed(name: str, exc: Exception) -> Tile:
    d = registry.get(name)
    href = next((n.href for n in d.nav), "/")
    return Tile(title=d.title[:1].upper() + d.title[1:], href=href, domain=name, order=1000,
                error=f"could not be computed ({type(exc).__name__}: {exc}); the node's log has the details")


def tiles(session: Session, p: Principal) -> list[Tile]:
    """Every registered domain's tile for ``p``, computed in ``session`` (the caller's), in their order.

    A tile that fails shows its error and leaves the others: the session rolls back (the tiles only read, and the
    reads stay recorded for the audit; a savepoint would hold SQLite's read snapshot across the tiles). The objects
    a tile loaded are let go before the next one, so the next tile's label counts its own reads."""
    out = []
    for name, fn in registry.home_tiles():
        seen: list[str] = []

        def loaded(_session: Session, obj: Any) -> None:
            if isinstance(obj, LabelledMixin):
                seen.append(obj.classification)

        event.listen(session, "loaded_as_persistent", loaded)
        try:
            tile = fn(session, p)
        except Exception as exc:  # one broken tile must not blank the whole page
            log.exception("home tile of domain %s", name)
            session.rollback()  # PostgreSQL refuses every later query of a transaction after an SQL error
            tile = _failed(name, exc)
        finally:
            event.remove(session, "loaded_as_persistent", loaded)
        session.expunge_all()
        tile.domain = name
        tile.classification = highest([tile.classification, *seen])
        out.append(tile)
    return sorted(out, key=lambda t: (t.order, t.domain))


def _dict(t: Tile) -> dict[str, Any]:
    d = asdict(t)
    for c, chart in zip(d["charts"], t.charts):
        c["empty"] = chart.empty
    return d


@router.get("/api/home", tags=["home"], summary="The home page's tiles: each domain's figures and charts")
def home_api(request: Request, session: UserSession, p: PrincipalDep) -> dict[str, Any]:
    """One tile per installed domain that declares one, computed from the records the caller may see;
    ``classification``: the highest label of the records behind any tile (the page's banner)."""
    ts = tiles(session, p)
    return {"as_of": datetime.now(timezone.utc).isoformat(timespec="seconds"), "user": p.as_dict(),
            "classification": highest([request.app.state.settings.banner, *(t.classification for t in ts)]),
            "tiles": [_dict(t) for t in ts]}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home_page(request: Request, p: Principal = PagePrincipal):
    # the figures come from /api/home, which raises the banner to the highest label behind them (home.js)
    return render(request, "home.html", "home")
