"""Tables of military acquisitions. Plans are the most sensitive records here: every table is labelled and
federated, and records refer to each other by natural key (a partner's record is stored as ``<origin>:<key>``)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dkfi.core.db import Base
from dkfi.core.labels import LabelledMixin

STAGES = ("opportunity", "assessment", "case", "contracted", "delivered", "withdrawn")
VEHICLES = ("identical_national_contracts", "one_buys_for_both", "nspa_support_partnership", "eu_instrument")


class PlanItem(LabelledMixin, Base):
    """One item of a nation's acquisition plan."""

    __tablename__ = "acq_plan_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True, index=True)   # <nation>/<item id>
    item_id: Mapped[str] = mapped_column(String(120))
    nation: Mapped[str] = mapped_column(String(3), index=True)
    description: Mapped[str] = mapped_column(Text)
    capability_area: Mapped[str] = mapped_column(String(120))
    nsn: Mapped[str | None] = mapped_column(String(20))
    cpv: Mapped[str | None] = mapped_column(String(12))
    quantity: Mapped[int] = mapped_column(Integer)
    budget: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3))
    delivery_start: Mapped[date] = mapped_column(Date)
    delivery_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32), default="planned")
    requirements: Mapped[str | None] = mapped_column(Text)
    variant: Mapped[str | None] = mapped_column(String(200))
    extra: Mapped[dict] = mapped_column(JSON, default=dict)


class Opportunity(LabelledMixin, Base):
    """A Danish and a Finnish plan item that could be bought together, with the score and its factors."""

    __tablename__ = "acq_opportunity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(330), unique=True, index=True)   # <dnk item key>|<fin item key>
    dnk_item: Mapped[str] = mapped_column(String(160))
    fin_item: Mapped[str] = mapped_column(String(160))
    score: Mapped[float] = mapped_column(Float)
    factors: Mapped[list] = mapped_column(JSON, default=list)
    backend: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | confirmed | dismissed
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JointCase(LabelledMixin, Base):
    """A joint acquisition case: opportunity -> assessment -> (both nations approve) -> case -> contracted ->
    delivered, or withdrawn by either nation with a reason."""

    __tablename__ = "acq_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(200))
    opportunity: Mapped[str | None] = mapped_column(String(330))
    items: Mapped[list] = mapped_column(JSON, default=list)                  # plan item keys
    stage: Mapped[str] = mapped_column(String(16), default="opportunity", index=True)
    lead_nation: Mapped[str | None] = mapped_column(String(3))
    vehicle: Mapped[str | None] = mapped_column(String(40))
    eu_member_states: Mapped[list] = mapped_column(JSON, default=list)       # for an EU instrument
    assessment: Mapped[str | None] = mapped_column(Text)
    history: Mapped[list] = mapped_column(JSON, default=list)                # [{at, actor, nation, action, from, to}]
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CaseDecision(LabelledMixin, Base):
    """One nation's decision on a case (approve or withdraw), owned by that nation and made by one of its users;
    it travels to the partner node, where the case's owner can then move the case on."""

    __tablename__ = "acq_case_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(140), unique=True, index=True)   # <case key>/<nation>
    case: Mapped[str] = mapped_column(String(120), index=True)
    nation: Mapped[str] = mapped_column(String(3))
    decision: Mapped[str] = mapped_column(String(16))                         # approve | withdraw
    by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
