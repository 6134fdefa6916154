"""What buying together saves: Wright learning curves, cost splits, volume price breaks and joining a contract.

Pure functions, no I/O; results are plain dicts and lists ready for JSON. Money is unrounded float (the caller
rounds for display); dates come back as ISO strings.

Model
-----
- Wright (1936): unit n costs c1 * n ** log2(r), r the learning rate (0.85 = each doubling of the quantity
  costs 85 %). `total_cost` sums units exactly.
- A nation buying alone pays its non-recurring cost (NRC: design, qualification, tooling) plus units 1..q of
  its own curve. Buying jointly, the NRC is paid once and the units are 1..sum(q) of one curve. A nation that
  buys nothing pays nothing, alone or jointly.
- Price breaks `[{"min_quantity": q, "discount": d}]`: the unit price is multiplied by (1 - d) of the highest
  break whose min_quantity is reached by the quantity bought in that contract (alone: the nation's own;
  jointly: the sum). Discounts may not fall as min_quantity grows, so a bigger buy is never dearer.
- Splitting the joint cost: "demand" in proportion to quantities; "shapley" by the Shapley value of the cost
  game c(S) = NRC + units 1..q(S) (c(S) = 0 when S buys nothing), computed exactly over all subsets. Without
  price breaks the game is concave (the unit cost falls with quantity), so both splits leave every nation
  paying no more than alone; with stepped price breaks Shapley may not (the game can lose concavity).
"""
from __future__ import annotations

import math
from datetime import date, timedelta
from itertools import combinations
from typing import Any, Collection, Mapping, Sequence

import numpy as np

__all__ = [
    "DEFAULT_NATIONS", "DEFAULT_RATES", "MAX_CURVE_POINTS", "MAX_NATIONS", "MAX_TOTAL_QUANTITY", "SPLITS",
    "SavingsInputError", "explain", "join_existing", "savings", "sensitivity", "total_cost", "unit_cost",
]

DEFAULT_NATIONS = frozenset({"DNK", "FIN"})
SPLITS = ("demand", "shapley")
MAX_CURVE_POINTS = 1000
MAX_NATIONS = 12  # Shapley is exact over 2**N subsets
MAX_TOTAL_QUANTITY = 10_000_000  # the curve is summed unit by unit
DEFAULT_RATES = tuple(round(0.70 + 0.05 * i, 2) for i in range(7))  # 0.70 .. 1.00


class SavingsInputError(ValueError):
    """An input the savings model cannot use; the message names the field."""


# ---- checks --------------------------------------------------------------------------------------

def _number(field: str, value: Any, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SavingsInputError(f"{field} must be a number, not {type(value).__name__}")
    x = float(value)
    if not math.isfinite(x):
        raise SavingsInputError(f"{field} must be a finite number, not {value!r}")
    if x < 0 or (positive and x == 0):
        raise SavingsInputError(f"{field} must be {'greater than 0' if positive else '0 or more'}, not {value!r}")
    return x


def _count(field: str, value: Any, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SavingsInputError(f"{field} must be a whole number, not {value!r}")
    if value < 0 or (positive and value == 0):
        raise SavingsInputError(f"{field} must be {'greater than 0' if positive else '0 or more'}, not {value}")
    return value


def _rate(value: Any, field: str = "learning_rate") -> float:
    r = _number(field, value, positive=True)
    if r > 1:
        raise SavingsInputError(f"{field} must be in (0, 1], not {value!r} (0.85 means 85 %)")
    return r


def _quantities(quantities: Mapping[str, int], nations: Collection[str] | None) -> dict[str, int]:
    allowed = DEFAULT_NATIONS if nations is None else frozenset(n.strip().upper() for n in nations)
    if not isinstance(quantities, Mapping) or not quantities:
        raise SavingsInputError("quantities must map at least one nation to a quantity")
    if len(quantities) > MAX_NATIONS:
        raise SavingsInputError(f"quantities: at most {MAX_NATIONS} nations")
    out: dict[str, int] = {}
    for key, q in quantities.items():
        nation = key.strip().upper() if isinstance(key, str) else key
        if nation not in allowed:
            raise SavingsInputError(f"quantities: unknown nation {key!r} (expected one of {', '.join(sorted(allowed))})")
        if nation in out:
            raise SavingsInputError(f"quantities: nation {nation} appears twice")
        out[nation] = _count(f"quantities[{nation}]", q)
    if sum(out.values()) > MAX_TOTAL_QUANTITY:
        raise SavingsInputError(f"quantities: the total may not exceed {MAX_TOTAL_QUANTITY}")
    return out


def _breaks(price_breaks: Sequence[Mapping[str, Any]] | None) -> list[tuple[int, float]]:
    if not price_breaks:
        return []
    out: list[tuple[int, float]] = []
    for i, b in enumerate(price_breaks):
        if not isinstance(b, Mapping) or set(b) != {"min_quantity", "discount"}:
            raise SavingsInputError(f"price_breaks[{i}] must have exactly min_quantity and discount")
        q = _count(f"price_breaks[{i}].min_quantity", b["min_quantity"])
        d = _number(f"price_breaks[{i}].discount", b["discount"])
        if d >= 1:
            raise SavingsInputError(f"price_breaks[{i}].discount must be below 1 (0.05 means 5 %), not {d!r}")
        out.append((q, d))
    out.sort()
    for (q1, d1), (q2, d2) in zip(out, out[1:]):
        if q1 == q2:
            raise SavingsInputError(f"price_breaks: min_quantity {q1} appears twice")
        if d2 < d1:
            raise SavingsInputError(f"price_breaks: discount falls from {d1} to {d2} at min_quantity {q2}")
    return out


def _discount(breaks: list[tuple[int, float]], quantity: int) -> float:
    d = 0.0
    for q, disc in breaks:
        if quantity >= q:
            d = disc
    return d


# ---- the curve -----------------------------------------------------------------------------------

def unit_cost(c1: float, r: float, n: int) -> float:
    """Cost of unit n on a Wright learning curve: c1 * n ** log2(r)."""
    c1 = _number("first_unit_cost", c1)
    r = _rate(r)
    n = _count("n", n, positive=True)
    return c1 * n ** math.log2(r)


def total_cost(c1: float, r: float, q: int, start: int = 1) -> float:
    """Cost of q units start .. start + q - 1 on a Wright learning curve (0 for q == 0)."""
    c1 = _number("first_unit_cost", c1)
    r = _rate(r)
    q = _count("quantity", q)
    start = _count("start", start, positive=True)
    if q > MAX_TOTAL_QUANTITY:
        raise SavingsInputError(f"quantity may not exceed {MAX_TOTAL_QUANTITY}")
    if q == 0:
        return 0.0
    n = np.arange(start, start + q, dtype=np.float64)
    return float(c1 * math.fsum(n ** math.log2(r)))


class _Curve:
    """Cumulative unit costs 1..k, computed once, so a coalition's cost is a lookup."""

    def __init__(self, c1: float, r: float, q_max: int, breaks: list[tuple[int, float]]) -> None:
        self.c1, self.b, self.breaks = c1, math.log2(r), breaks
        units = c1 * np.arange(1, q_max + 1, dtype=np.float64) ** self.b
        self.cum = np.concatenate(([0.0], np.cumsum(units)))

    def units(self, q: int) -> float:
        """Units 1..q bought in one contract, price break for q applied."""
        return float(self.cum[q]) * (1.0 - _discount(self.breaks, q))

    def buy(self, nrc: float, q: int) -> float:
        return 0.0 if q == 0 else nrc + self.units(q)


def _shapley(nations: list[str], q: dict[str, int], cost: _Curve, nrc: float) -> dict[str, float]:
    n = len(nations)
    fact = [math.factorial(k) for k in range(n + 1)]
    phi = dict.fromkeys(nations, 0.0)
    for i in nations:
        others = [j for j in nations if j != i]
        for size in range(n):
            weight = fact[size] * fact[n - size - 1] / fact[n]
            for s in combinations(others, size):
                qs = sum(q[j] for j in s)
                phi[i] += weight * (cost.buy(nrc, qs + q[i]) - cost.buy(nrc, qs))
    return phi


def _curve_points(cost: _Curve, total: int, discount: float) -> list[list[float]]:
    if total <= MAX_CURVE_POINTS:
        ns = list(range(1, total + 1))
    else:  # evenly spaced, first and last always included
        ns = sorted({round(1 + i * (total - 1) / (MAX_CURVE_POINTS - 1)) for i in range(MAX_CURVE_POINTS)})
    return [[n, cost.c1 * n ** cost.b * (1.0 - discount)] for n in ns]


def _model(quantities: Mapping[str, int], first_unit_cost: float, learning_rate: float, nrc: float,
           split: str, price_breaks: Sequence[Mapping[str, Any]] | None,
           nations: Collection[str] | None) -> tuple[dict[str, Any], dict[str, int], list[tuple[int, float]]]:
    c1 = _number("first_unit_cost", first_unit_cost)
    r = _rate(learning_rate)
    nrc = _number("nrc", nrc)
    if split not in SPLITS:
        raise SavingsInputError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    q = _quantities(quantities, nations)
    breaks = _breaks(price_breaks)
    total = sum(q.values())
    cost = _Curve(c1, r, total, breaks)

    separate = {k: cost.buy(nrc, v) for k, v in q.items()}
    joint = cost.buy(nrc, total)
    if split == "shapley":
        shares = _shapley(list(q), q, cost, nrc)
    else:
        shares = {k: joint * v / total if total else 0.0 for k, v in q.items()}
    result = {
        "separate": separate,
        "joint": joint,
        "saving": sum(separate.values()) - joint,
        "split": shares,
        "curve": _curve_points(cost, total, _discount(breaks, total)),
    }
    return result, q, breaks


def savings(quantities: Mapping[str, int], first_unit_cost: float, learning_rate: float, nrc: float = 0.0,
            split: str = "demand", price_breaks: Sequence[Mapping[str, Any]] | None = None, *,
            nations: Collection[str] | None = None) -> dict[str, Any]:
    """Separate versus joint cost of buying `quantities` (nation -> units), and how the joint cost is split.

    Returns exactly {"separate": {nation: cost}, "joint": cost, "saving": sum(separate) - joint,
    "split": {nation: share of joint}, "curve": [[n, unit cost of the joint buy], ...]}. The curve has every
    unit up to MAX_CURVE_POINTS; beyond that, MAX_CURVE_POINTS evenly spaced units, first and last included.
    Nations are DNK and FIN unless `nations` names the allowed codes. SavingsInputError names a bad field.
    """
    return _model(quantities, first_unit_cost, learning_rate, nrc, split, price_breaks, nations)[0]


def explain(quantities: Mapping[str, int], first_unit_cost: float, learning_rate: float, nrc: float = 0.0,
            split: str = "demand", price_breaks: Sequence[Mapping[str, Any]] | None = None, *,
            nations: Collection[str] | None = None) -> list[str]:
    """The reasoning behind `savings(...)` with the same arguments, as sentences for a person."""
    result, q, breaks = _model(quantities, first_unit_cost, learning_rate, nrc, split, price_breaks, nations)
    total = sum(q.values())
    r = float(learning_rate)
    lines = [
        f"Learning curve: unit n costs {float(first_unit_cost):,.2f} x n^log2({r:g}) = "
        f"{float(first_unit_cost):,.2f} x n^{math.log2(r):.4f}; each doubling of n multiplies the unit cost by {r:.0%}.",
    ]
    for nation, cost in result["separate"].items():
        if q[nation] == 0:
            lines.append(f"{nation} alone buys nothing and pays nothing.")
            continue
        d = _discount(breaks, q[nation])
        disc = f", {d:.0%} volume discount" if d else ""
        lines.append(f"{nation} alone: NRC {float(nrc):,.2f} + units 1..{q[nation]}{disc} = {cost:,.2f}.")
    d = _discount(breaks, total)
    disc = f", {d:.0%} volume discount" if d else ""
    lines.append(f"Jointly: NRC {float(nrc):,.2f} once + units 1..{total}{disc} = {result['joint']:,.2f}.")
    sep = sum(result["separate"].values())
    pct = f" ({result['saving'] / sep:.1%})" if sep else ""
    lines.append(f"Saving: {sep:,.2f} - {result['joint']:,.2f} = {result['saving']:,.2f}{pct}.")
    if split == "shapley":
        lines.append("Split by Shapley value: each nation pays its average added cost over every order in which "
                     "the nations could have joined the buy.")
    else:
        lines.append("Split by demand: each nation pays the joint cost in proportion to its quantity.")
    for nation, share in result["split"].items():
        alone = result["separate"][nation]
        note = "" if share <= alone + 1e-9 * max(1.0, alone) else " - MORE than buying alone"
        lines.append(f"{nation} pays {share:,.2f} instead of {alone:,.2f}{note}.")
    if total > MAX_CURVE_POINTS:
        lines.append(f"The curve shows {len(result['curve'])} of {total} units, evenly spaced.")
    return lines


def sensitivity(quantities: Mapping[str, int], first_unit_cost: float, nrc: float = 0.0,
                rates: Sequence[float] | None = None, *, price_breaks: Sequence[Mapping[str, Any]] | None = None,
                nations: Collection[str] | None = None) -> list[dict[str, float]]:
    """Saving at each learning rate (default 0.70, 0.75, .. 1.00): [{"learning_rate", "saving", "saving_pct"}].

    saving_pct is the saving as a percentage of the separate total (0 when nothing is bought).
    """
    out: list[dict[str, float]] = []
    for i, rate in enumerate(DEFAULT_RATES if rates is None else rates):
        _rate(rate, f"rates[{i}]")
        result = savings(quantities, first_unit_cost, rate, nrc, "demand", price_breaks, nations=nations)
        sep = sum(result["separate"].values())
        out.append({"learning_rate": float(rate), "saving": result["saving"],
                    "saving_pct": 100.0 * result["saving"] / sep if sep else 0.0})
    return out


# ---- timelines -----------------------------------------------------------------------------------

def _date(field: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise SavingsInputError(f"{field} must be a date (YYYY-MM-DD), not {value!r}")


def join_existing(contract: Mapping[str, Any], joiner_own_timeline: Mapping[str, Any], *,
                  option_exercise_days: int = 90, decision: date | str | None = None,
                  joiner_quantity: int | None = None) -> dict[str, Any]:
    """How much earlier a nation gets its first delivery by joining another's contract than by its own buy.

    Model: the joiner decides on `decision` (default: the contract's award), and exercising the option or
    accession takes `option_exercise_days`; its order is then placed on max(award, decision) + those days.
    Its first delivery comes `lead_time_days` after that order (default: the contract's award-to-first-delivery
    time), but never before the contract's own first delivery: the production line serves the first buyer.
    Running its own procurement, it gets its first delivery on joiner_own_timeline["first_delivery"].
    `contract`: {"nation", "award", "first_delivery", "lead_time_days"?, "option_quantity"?};
    `joiner_own_timeline`: {"award", "first_delivery"}. Dates are date objects or ISO strings.

    Returns {"join_order", "join_first_delivery", "own_first_delivery" (ISO dates), "days_earlier" (negative:
    joining is later), "within_option" (None unless both option_quantity and joiner_quantity are given)}.
    """
    nation = contract.get("nation")
    if not (isinstance(nation, str) and len(nation.strip()) == 3 and nation.strip().isalpha()
            and nation.strip().isascii()):
        raise SavingsInputError(f"contract.nation must be a nation code (ISO 3166 alpha-3), not {nation!r}")
    award = _date("contract.award", contract.get("award"))
    first = _date("contract.first_delivery", contract.get("first_delivery"))
    if first < award:
        raise SavingsInputError("contract.first_delivery is before contract.award")
    lead = contract.get("lead_time_days")
    lead = (first - award).days if lead is None else _count("contract.lead_time_days", lead)
    own_award = _date("joiner_own_timeline.award", joiner_own_timeline.get("award"))
    own_first = _date("joiner_own_timeline.first_delivery", joiner_own_timeline.get("first_delivery"))
    if own_first < own_award:
        raise SavingsInputError("joiner_own_timeline.first_delivery is before joiner_own_timeline.award")
    days = _count("option_exercise_days", option_exercise_days)
    decided = award if decision is None else _date("decision", decision)

    order = max(award, decided) + timedelta(days=days)
    join_first = max(first, order + timedelta(days=lead))
    within: bool | None = None
    option_quantity = contract.get("option_quantity")
    if option_quantity is not None:
        option_quantity = _count("contract.option_quantity", option_quantity)
    if joiner_quantity is not None:
        joiner_quantity = _count("joiner_quantity", joiner_quantity)
        if option_quantity is not None:
            within = joiner_quantity <= option_quantity
    return {
        "join_order": order.isoformat(),
        "join_first_delivery": join_first.isoformat(),
        "own_first_delivery": own_first.isoformat(),
        "days_earlier": (own_first - join_first).days,
        "within_option": within,
    }
