"""Seed data for the demo and first use: INVENTED acquisition plans of both nations (data/*-invented.csv, see
data/SOURCES.md), each owned by its nation and released to the other, matched into opportunities."""
from __future__ import annotations

from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dkfi.acquisition import service
from dkfi.acquisition.models import PlanItem

FILES = {"DNK": "plan-dnk-invented.csv", "FIN": "plan-fin-invented.csv"}


def seed(session: Session) -> dict[str, int]:
    """Import both plans (idempotent) and store the opportunities the matching finds (as DNK's)."""
    counts = {"plan items": 0, "rejected rows": 0, "opportunities": 0}
    for nation, name in FILES.items():
        data = (resources.files("dkfi.acquisition") / "data" / name).read_bytes()
        report = service.import_plan(session, data, name, nation)
        counts["plan items"] += report["stored"]
        counts["rejected rows"] += len(report["rejected"])
    counts["opportunities"] = len(service.match(session, store_as="DNK")["matches"])
    return counts


def demo_options(settings: Any, options: dict[str, Any]) -> None:
    """``make demo``: seed the demo database once."""
    from dkfi.core.db import get_engine, session_scope

    with session_scope(get_engine(settings.effective_database_url)) as s:
        if not s.scalar(select(func.count(PlanItem.id))):
            seed(s)
