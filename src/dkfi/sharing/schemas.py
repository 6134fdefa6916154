"""API types of the sharing domain."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from dkfi.core.records import LabelOut


class LabelIn(BaseModel):
    """A new label for a record (only its owner nation may set it)."""

    classification: str | None = Field(default=None, max_length=32,
                                       description="UNCLASSIFIED | RESTRICTED | CONFIDENTIAL | SECRET (or a national "
                                                   "equivalent); omitted: unchanged")
    releasable_to: list[str] | None = Field(default=None, max_length=64,
                                            description="ISO 3166 alpha-3 codes, e.g. [\"DNK\", \"FIN\"]; omitted: "
                                                        "unchanged")
    categories: list[str] | None = Field(default=None, max_length=32,
                                         description="TAGNAME:TYPE:VALUE strings; omitted: unchanged")
    downgrade: bool = Field(default=False, description="confirm lowering the classification")


class RecordLabelOut(LabelOut):
    """A record's label as the share dialog shows it: the label, which record, when set and reviewed."""

    record_type: str
    id: str
    created: str | None = None
    reviewed: str | None = None
    display: str
    changes: list[str] = []


class AuditOut(BaseModel):
    seq: int
    at: str
    actor: str
    actor_nation: str
    action: str
    object_type: str
    object_id: str
    object_classification: str
    decision: str
    remote: str | None
    detail: dict
    hash: str
    label: dict


SEQ_MAX = 2**63 - 1  # sequence numbers are stored as BIGINT


class FederationItemIn(BaseModel):
    """One change in a partner's batch: the originator's sequence number, the operation and the record."""

    seq: int = Field(ge=1, le=SEQ_MAX, strict=True,
                     description=f"the originator's sequence number of this change, 1 to {SEQ_MAX}")
    op: Literal["upsert", "withdraw"]
    payload: dict[str, Any] = Field(description="record_type, origin, key, label and (upserts) fields")


class FederationBatchIn(BaseModel):
    """What a partner node posts to ``/federation/inbox``."""

    sender: str = Field(max_length=16, description="the sending node's nation (its certificate's common name)")
    items: list[FederationItemIn]
