"""Confidentiality labels (after NATO STANAG 4774) carried by every stored record.

This module holds the label value type and the columns every table mixes in. The full label
algebra, STANAG 4774 XML and access control come with the sharing work; the columns are here
from the first table on so no record is ever stored without a label and an owner nation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column


class Classification(IntEnum):
    """Ordered classification levels (NATO names; national equivalents map onto these)."""

    UNCLASSIFIED = 0
    RESTRICTED = 1
    CONFIDENTIAL = 2
    SECRET = 3

    @classmethod
    def parse(cls, text: str) -> "Classification":
        try:
            return cls[text.strip().upper().replace(" ", "_")]
        except KeyError:
            raise ValueError(
                f"unknown classification {text!r}; expected one of {', '.join(c.name for c in cls)}"
            ) from None


def _norm_nations(codes) -> tuple[str, ...]:
    out = set()
    for c in codes:
        c = c.strip().upper()
        if not c:
            continue
        if len(c) != 3 or not c.isalpha():
            raise ValueError(f"nation code {c!r} is not ISO 3166 alpha-3 (e.g. DNK, FIN)")
        out.add(c)
    return tuple(sorted(out))


@dataclass(frozen=True, slots=True)
class Label:
    """A confidentiality label: policy, classification, releasable-to nations, categories."""

    classification: Classification = Classification.UNCLASSIFIED
    releasable_to: tuple[str, ...] = ()
    policy: str = "NATO"
    categories: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "releasable_to", _norm_nations(self.releasable_to))

    def releasable_text(self) -> str:
        return ",".join(self.releasable_to)

    def __str__(self) -> str:
        rel = f" REL TO {', '.join(self.releasable_to)}" if self.releasable_to else ""
        return f"{self.policy} {self.classification.name}{rel}"


def parse_releasable(text: str | None) -> tuple[str, ...]:
    return _norm_nations((text or "").split(","))


# Sensible defaults per record kind: open-source AIS is unclassified and releasable to both nations.
AIS_DEFAULT = Label(Classification.UNCLASSIFIED, ("DNK", "FIN"))


class LabelledMixin:
    """Columns every stored record carries: owner nation and its confidentiality label."""

    owner_nation: Mapped[str] = mapped_column(String(3), nullable=False, default="DNK")
    classification: Mapped[str] = mapped_column(String(16), nullable=False, default="UNCLASSIFIED")
    releasable_to: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    label_policy: Mapped[str] = mapped_column(String(32), nullable=False, default="NATO")

    def set_label(self, label: Label, owner_nation: str) -> None:
        self.owner_nation = owner_nation
        self.classification = label.classification.name
        self.releasable_to = label.releasable_text()
        self.label_policy = label.policy

    @property
    def label(self) -> Label:
        return Label(Classification.parse(self.classification), parse_releasable(self.releasable_to), self.label_policy)
