"""The toy domain's one labelled table."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dkfi.core.db import Base
from dkfi.core.labels import LabelledMixin


class ToyNote(LabelledMixin, Base):
    """A note with a unique key (so it can travel between nodes)."""

    __tablename__ = "toy_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(String(200))
    written: Mapped[datetime] = mapped_column(DateTime(timezone=True))
