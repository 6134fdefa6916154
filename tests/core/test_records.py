"""The labelled-record toolkit: one label serialiser, and the record-with-lifecycle the domains' workflows use."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dkfi.core.labels import Classification, Label
from dkfi.core.records import LabelOut, Lifecycle, LifecycleError, label_dict, label_out, record_label

STATUSES = ("draft", "proposed", "approved", "rejected")
ACTIONS = {"propose": (("draft",), "proposed"), "approve": (("proposed",), "approved"),
           "reject": (("proposed",), "rejected"), "reopen": (("rejected", "approved"), "draft"),
           "comment": (STATUSES, None)}


@dataclass
class Change:
    case_id: int
    at: object
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    detail: dict
    label: tuple = ()

    def set_label(self, label, owner):
        self.label = (label, owner)


@dataclass
class Case:
    id: int = 7
    status: str = "draft"
    owner_nation: str = "FIN"
    label: Label = Label(Classification.RESTRICTED, ("DNK", "FIN"))
    changes: list = field(default_factory=list)


class FakeSession:
    def __init__(self):
        self.added = []

    def add(self, obj):
        self.added.append(obj)


LIFE = Lifecycle("case", STATUSES, ACTIONS, Change, "case_id")


def test_label_serialiser_is_the_one_shape():
    lab = Label(Classification.CONFIDENTIAL, ("FIN", "DNK"), categories=("SIC:PERMISSIVE:OPS",))
    d = label_dict(lab, "DNK")
    assert d == {"classification": "CONFIDENTIAL", "releasable_to": ["DNK", "FIN"], "policy": "NATO",
                 "categories": list(lab.categories), "owner_nation": "DNK"}
    case = Case(label=lab, owner_nation="DNK")
    assert record_label(case) == d and label_out(case) == LabelOut(**d)


def test_an_allowed_action_moves_and_logs_with_the_records_label():
    s, case = FakeSession(), Case()
    LIFE.apply(s, case, "propose", " anna ", {"note": "x"})
    assert case.status == "proposed"
    (ch,) = s.added
    assert (ch.case_id, ch.actor, ch.action, ch.from_status, ch.to_status) == (7, "anna", "propose", "draft",
                                                                               "proposed")
    assert ch.label == (case.label, "FIN") and ch.detail == {"note": "x"}


def test_refusals_name_the_reason():
    s, case = FakeSession(), Case()
    with pytest.raises(LifecycleError, match="case 7 is draft: cannot approve"):
        LIFE.apply(s, case, "approve", "anna")
    with pytest.raises(LifecycleError, match="unknown action 'delete'"):
        LIFE.apply(s, case, "delete", "anna")
    with pytest.raises(LifecycleError, match="name of who"):
        LIFE.apply(s, case, "propose", "  ")
    assert case.status == "draft" and s.added == []


@given(st.lists(st.sampled_from(sorted(ACTIONS) + ["delete"]), max_size=30))
def test_any_sequence_keeps_a_valid_status_and_logs_every_change(actions):
    s, case = FakeSession(), Case()
    done = 0
    for a in actions:
        before = case.status
        allowed = a in ACTIONS and before in ACTIONS[a][0]
        try:
            LIFE.apply(s, case, a, "anna")
        except LifecycleError:
            assert not allowed and case.status == before
            continue
        assert allowed
        done += 1
        assert case.status == (ACTIONS[a][1] or before)
        assert (s.added[-1].from_status, s.added[-1].to_status) == (before, case.status)
    assert case.status in STATUSES and len(s.added) == done
