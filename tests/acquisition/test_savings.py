"""Savings from buying together: learning curves, splits, price breaks, sensitivity and joining a contract."""
from __future__ import annotations

import json
import math
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dkfi.acquisition.savings import (
    DEFAULT_RATES, MAX_CURVE_POINTS, SavingsInputError, explain, join_existing, savings, sensitivity, total_cost,
    unit_cost,
)

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- the curve -----------------------------------------------------------------------------------

def test_hand_values_of_an_85_percent_curve() -> None:
    assert round(unit_cost(100, 0.85, 1), 2) == 100.00
    assert round(unit_cost(100, 0.85, 2), 2) == 85.00
    assert round(unit_cost(100, 0.85, 4), 2) == 72.25
    assert round(unit_cost(100, 0.85, 64), 2) == 37.71


def test_total_cost_sums_units() -> None:
    assert total_cost(100, 0.85, 2) == pytest.approx(185.0)
    assert total_cost(100, 0.85, 2, start=3) == pytest.approx(unit_cost(100, 0.85, 3) + 72.25)
    assert total_cost(100, 0.85, 0) == 0.0
    assert total_cost(100, 1.0, 10) == pytest.approx(1000.0)


# ---- savings -------------------------------------------------------------------------------------

def test_two_nations_hand_example() -> None:
    result = savings({"DNK": 40, "FIN": 24}, 100, 0.85, nrc=500)
    assert list(result) == ["separate", "joint", "saving", "split", "curve"]
    sep_dnk = 500 + total_cost(100, 0.85, 40)
    sep_fin = 500 + total_cost(100, 0.85, 24)
    joint = 500 + total_cost(100, 0.85, 64)
    assert result["separate"] == {"DNK": pytest.approx(sep_dnk), "FIN": pytest.approx(sep_fin)}
    assert result["joint"] == pytest.approx(joint)
    assert result["saving"] == pytest.approx(sep_dnk + sep_fin - joint)
    assert round(result["saving"], 2) == 982.44
    assert result["split"] == {"DNK": pytest.approx(joint * 40 / 64), "FIN": pytest.approx(joint * 24 / 64)}
    assert len(result["curve"]) == 64 and result["curve"][3] == [4, pytest.approx(72.25)]
    json.dumps(result)  # ready for the CLI and the web page


def test_shapley_for_two_nations_splits_the_saving_equally() -> None:
    result = savings({"DNK": 40, "FIN": 24}, 100, 0.85, nrc=500, split="shapley")
    split, sep = result["split"], result["separate"]
    assert sum(split.values()) == pytest.approx(result["joint"])
    # with two players, each pays its stand-alone cost less half the saving
    for nation in ("DNK", "FIN"):
        assert split[nation] == pytest.approx(sep[nation] - result["saving"] / 2)


def test_a_nation_buying_nothing_pays_nothing() -> None:
    result = savings({"DNK": 10, "FIN": 0}, 100, 0.9, nrc=1000, split="shapley")
    assert result["separate"]["FIN"] == 0 and result["split"]["FIN"] == 0
    assert result["saving"] == pytest.approx(0)
    empty = savings({"DNK": 0, "FIN": 0}, 100, 0.9, nrc=1000)
    assert empty == {"separate": {"DNK": 0, "FIN": 0}, "joint": 0, "saving": 0, "split": {"DNK": 0, "FIN": 0},
                     "curve": []}


def test_price_breaks_apply_to_the_quantity_of_each_contract() -> None:
    breaks = [{"min_quantity": 50, "discount": 0.10}, {"min_quantity": 20, "discount": 0.05}]
    result = savings({"DNK": 40, "FIN": 24}, 100, 0.85, price_breaks=breaks)
    assert result["separate"]["DNK"] == pytest.approx(0.95 * total_cost(100, 0.85, 40))
    assert result["separate"]["FIN"] == pytest.approx(0.95 * total_cost(100, 0.85, 24))
    assert result["joint"] == pytest.approx(0.90 * total_cost(100, 0.85, 64))
    assert result["curve"][0] == [1, pytest.approx(90.0)]


@pytest.mark.parametrize(("breaks", "words"), [
    ([{"min_quantity": 10, "discount": 0.2}, {"min_quantity": 20, "discount": 0.1}], "discount falls"),
    ([{"min_quantity": 10, "discount": 1.0}], r"price_breaks\[0\]\.discount must be below 1"),
    ([{"min_quantity": -1, "discount": 0.1}], r"price_breaks\[0\]\.min_quantity"),
    ([{"min_quantity": 5}], "exactly min_quantity and discount"),
    ([{"min_quantity": 5, "discount": 0.1}, {"min_quantity": 5, "discount": 0.2}], "appears twice"),
])
def test_bad_price_breaks(breaks: list[dict[str, float]], words: str) -> None:
    with pytest.raises(SavingsInputError, match=words):
        savings({"DNK": 1}, 100, 0.9, price_breaks=breaks)


def test_the_curve_is_capped_and_keeps_first_and_last() -> None:
    result = savings({"DNK": 3000, "FIN": 2001}, 10, 0.9)
    curve = result["curve"]
    assert len(curve) == MAX_CURVE_POINTS
    assert curve[0][0] == 1 and curve[-1][0] == 5001
    assert all(a[0] < b[0] for a, b in zip(curve, curve[1:]))
    assert curve[-1][1] == pytest.approx(unit_cost(10, 0.9, 5001))


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"quantities": {"SWE": 3}}, "unknown nation 'SWE'"),
    ({"quantities": {}}, "quantities must map"),
    ({"quantities": {"DNK": -1}}, r"quantities\[DNK\] must be 0 or more"),
    ({"quantities": {"DNK": 1.5}}, r"quantities\[DNK\] must be a whole number"),
    ({"quantities": {"dnk": 1, "DNK": 2}}, "appears twice"),
    ({"learning_rate": 0}, "learning_rate must be greater than 0"),
    ({"learning_rate": 1.01}, r"learning_rate must be in \(0, 1\]"),
    ({"learning_rate": float("nan")}, "learning_rate must be a finite number"),
    ({"first_unit_cost": -5}, "first_unit_cost must be 0 or more"),
    ({"nrc": -1}, "nrc must be 0 or more"),
    ({"split": "equal"}, "split must be one of demand, shapley"),
])
def test_input_errors_name_the_field(kwargs: dict[str, object], words: str) -> None:
    args: dict[str, object] = {"quantities": {"DNK": 3, "FIN": 2}, "first_unit_cost": 100, "learning_rate": 0.9}
    args.update(kwargs)
    with pytest.raises(SavingsInputError, match=words):
        savings(**args)


def test_other_nations_when_allowed() -> None:
    q = {"DNK": 10, "FIN": 10, "SWE": 10, "NOR": 5}
    result = savings(q, 100, 0.85, nrc=300, split="shapley", nations={"DNK", "FIN", "SWE", "NOR"})
    assert sum(result["split"].values()) == pytest.approx(result["joint"])
    assert result["split"]["DNK"] == pytest.approx(result["split"]["SWE"])  # symmetric players pay alike
    assert result["split"]["NOR"] < result["split"]["DNK"]


def test_explain_gives_the_reasoning() -> None:
    lines = explain({"DNK": 40, "FIN": 24}, 100, 0.85, nrc=500, split="shapley")
    text = "\n".join(lines)
    assert "units 1..64" in text and "Shapley" in text and "DNK pays 2,151.30 instead of 2,642.52" in text


nations3 = st.dictionaries(st.sampled_from(["DNK", "FIN", "SWE"]), st.integers(0, 300), min_size=1)


@PROPS
@given(q=nations3, c1=st.floats(0, 1e6), r=st.floats(0.05, 1.0), nrc=st.floats(0, 1e7))
def test_saving_is_never_negative_and_shapley_is_fair(q: dict[str, int], c1: float, r: float, nrc: float) -> None:
    result = savings(q, c1, r, nrc, split="shapley", nations={"DNK", "FIN", "SWE"})
    scale = 1e-9 * max(1.0, sum(result["separate"].values()))
    assert result["saving"] >= -scale
    assert sum(result["split"].values()) == pytest.approx(result["joint"], rel=1e-9, abs=1e-6)
    for nation, share in result["split"].items():
        assert share <= result["separate"][nation] + scale
        assert share >= -scale
    demand = savings(q, c1, r, nrc, split="demand", nations={"DNK", "FIN", "SWE"})["split"]
    for nation, share in demand.items():
        assert share <= result["separate"][nation] + scale


# ---- sensitivity ---------------------------------------------------------------------------------

def test_sensitivity_over_default_rates() -> None:
    rows = sensitivity({"DNK": 40, "FIN": 24}, 100, 500)
    assert [r["learning_rate"] for r in rows] == list(DEFAULT_RATES) == [0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0]
    at_85 = rows[3]
    assert round(at_85["saving"], 2) == 982.44 and round(at_85["saving_pct"], 1) == 21.5
    assert rows[-1]["saving"] == pytest.approx(500)  # no learning: only the second NRC is saved
    assert set(rows[0]) == {"learning_rate", "saving", "saving_pct"}


def test_sensitivity_checks_rates() -> None:
    with pytest.raises(SavingsInputError, match=r"rates\[1\]"):
        sensitivity({"DNK": 1}, 100, 0, rates=[0.8, 1.2])


# ---- joining an existing contract ----------------------------------------------------------------

CONTRACT = {"nation": "SWE", "award": date(2025, 6, 1), "first_delivery": date(2027, 1, 1), "lead_time_days": 450}
OWN = {"award": "2026-06-01", "first_delivery": "2029-01-01"}


def test_joining_after_the_award() -> None:
    result = join_existing(CONTRACT, OWN, decision="2025-09-01")
    # order 2025-09-01 + 90 days = 2025-11-30; + 450 days lead time = 2027-02-23
    assert result == {"join_order": "2025-11-30", "join_first_delivery": "2027-02-23",
                      "own_first_delivery": "2029-01-01", "days_earlier": 678, "within_option": None}


def test_joining_early_waits_for_the_first_buyer() -> None:
    result = join_existing({**CONTRACT, "lead_time_days": 30}, OWN, option_exercise_days=0)
    assert result["join_first_delivery"] == "2027-01-01"  # never before the contract's own first delivery
    assert result["days_earlier"] == (date(2029, 1, 1) - date(2027, 1, 1)).days


def test_joining_late_can_be_slower_and_option_quantity() -> None:
    contract = {"nation": "FIN", "award": "2025-01-01", "first_delivery": "2026-01-01", "option_quantity": 20}
    result = join_existing(contract, {"award": "2026-01-01", "first_delivery": "2026-06-01"},
                           decision=date(2026, 1, 1), joiner_quantity=30)
    # lead time defaults to the contract's 365 days: 2026-01-01 + 90 + 365 = 2027-04-01
    assert result["join_first_delivery"] == "2027-04-01" and result["days_earlier"] < 0
    assert result["within_option"] is False


@pytest.mark.parametrize(("contract", "own", "words"), [
    ({**CONTRACT, "nation": "Sweden"}, OWN, "contract.nation"),
    ({**CONTRACT, "award": "June 2025"}, OWN, "contract.award must be a date"),
    ({**CONTRACT, "first_delivery": date(2025, 1, 1)}, OWN, "first_delivery is before contract.award"),
    ({**CONTRACT, "lead_time_days": -1}, OWN, "contract.lead_time_days must be 0 or more"),
    (CONTRACT, {"award": "2026-06-01"}, "joiner_own_timeline.first_delivery must be a date"),
])
def test_join_existing_input_errors(contract: dict[str, object], own: dict[str, object], words: str) -> None:
    with pytest.raises(SavingsInputError, match=words):
        join_existing(contract, own)


def test_saving_matches_closed_form_without_learning() -> None:
    result = savings({"DNK": 7, "FIN": 5}, 10, 1.0, nrc=100)
    assert result["separate"] == {"DNK": 170, "FIN": 150}
    assert result["joint"] == 220 and result["saving"] == 100
    assert math.isclose(result["split"]["DNK"], 220 * 7 / 12)
