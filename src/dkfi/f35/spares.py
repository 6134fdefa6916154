"""F-35 spare parts: how many of each repairable item to hold at the depot and at each base, what availability a
stock buys, and what the two nations save by pooling it.

Pure logic: a dict in (the JSON of a spares file), a dict out; no database, no HTTP. ``docs/f35.md``
("Spare-parts pooling") describes the file and the outputs with examples; this docstring records the models and
the decisions behind them.

Input (all times in years, demand in failures per year at that base)::

    {"model": "metric",                       # or "vari-metric"; default "metric"
     "depot": "Terma/ATC Denmark",            # the depot: in `pool`, the shared depot
     "bases": [{"id": "Skrydstrup", "order_ship_time": 0.008,
                "nation": "DNK",              # optional; `pool` needs it on every base
                "pooled_order_ship_time": 0.008}],   # optional: to the shared depot (default order_ship_time)
     "items": [{"id": "IPP", "unit_cost": 1.2e6, "depot_repair_time": 0.25,
                "demand": {"Skrydstrup": 2.0},               # bases left out: no demand
                "base_repair_fraction": {"Skrydstrup": 0.2},  # optional, default 0 (all to the depot)
                "base_repair_time": {"Skrydstrup": 0.02}}],   # needed where the fraction is > 0
     "aircraft": {"Skrydstrup": 43},          # optional: every base, whole numbers >= 1; gives availability
     "qpa": {"IPP": 1},                       # optional: quantity per aircraft, default 1
     "stock": {"IPP": {"Terma/ATC Denmark": 2, "Skrydstrup": 1}},  # optional (evaluate): sites left out hold 0
     "budget": 5e6,                           # optional (optimize)
     "target_availability": 0.9,              # optional (optimize, pool); needs aircraft
     "national_depots": {"DNK": "...", "FIN": "..."}}  # optional (pool): names of the separate depots

Keys other than these (a ``note``, say) are ignored. ``parse`` raises ``SparesInputError`` naming the first bad
field (``items[3].demand.Rovaniemi: must not be negative``).

Models (Sherbrooke, "Optimal Inventory Modeling of Systems", 2nd ed. 2004, ch. 2-5)
    One-for-one ((s-1, s)) replenishment, Poisson failures, infinite-server repair (Palm's theorem: the number
    in repair is Poisson with mean demand x repair time). At base b a fraction r_b of failures is repaired on
    site in T_b, the rest go to the depot (repair time T_0) and the base is resupplied from depot stock after
    the order-and-ship time O_b, or later when the depot is out.
    Depot: demand lambda_0 = sum_b d_b (1 - r_b), pipeline mu_0 = lambda_0 T_0, EBO_0(s_0) from Poisson.
    METRIC (Sherbrooke 1968): the depot delay is replaced by its mean EBO_0(s_0)/lambda_0 (Little), so the base
    pipeline is Poisson with mean mu_b = d_b (r_b T_b + (1 - r_b)(O_b + EBO_0(s_0)/lambda_0)).
    VARI-METRIC (Sherbrooke 1986, Graves 1985): each depot backorder belongs to base b with probability
    f_b = d_b (1 - r_b)/lambda_0, so the base's share of depot backorders has mean f_b EBO_0 and variance
    f_b (1 - f_b) EBO_0 + f_b^2 VBO_0, VBO_0 the variance of depot backorders. The base pipeline has mean mu_b
    (as METRIC) and variance V_b = d_b (r_b T_b + (1 - r_b) O_b) + f_b (1 - f_b) EBO_0 + f_b^2 VBO_0; a negative
    binomial with that mean and variance when V_b > mu_b, else Poisson.
    EBO(s) = sum_{x > s} (x - s) p(x); fill rate = P(pipeline < s).

Availability (Sherbrooke's formula per base, then the fleet as the aircraft-weighted mean)
    A_b = prod_i (1 - EBO_ib / (N_b Z_i))^Z_i (a factor is 0 when EBO_ib >= N_b Z_i); the fleet's (or a nation's)
    availability is sum_b N_b A_b / sum_b N_b, the expected fraction of its aircraft not waiting for a part.
    Without ``aircraft`` availability is ``null`` and optimisation minimises total base EBO.

Marginal analysis (``optimize``), Sherbrooke's two stages
    Objective: total base EBO, or with aircraft sum_b (N_b/N)(-log A_b), which for small EBO is total base EBO
    over N with each base weighted by its fleet (-log(1 - x) is continued linearly beyond x = 1/2 so it stays
    finite and convex where availability is near zero anyway). Both are sums of one term per item and base.
    1. Each item alone: for each depot stock s_0 the base terms are separate and convex in base stock, so the
       best m base units are the m largest marginal reductions over all bases; the item's curve is the lower
       envelope over s_0 of (s_0 + m units, objective), and its lower convex hull gives its efficient points.
       A depot unit thus counts with its effect on every base of that item.
    2. Across items: a heap holds each item's next hull segment by reduction per unit cost; buying it moves the
       item to its next efficient point (one or more units, and the depot/base split may change).
    Every curve point is then optimal: no stock costing no more has a lower objective (Fox 1966 for separable
    convex terms; the item hulls make the item curves convex). With aircraft at several bases that holds for the
    objective, and fleet availability follows it closely. The curve ends at the target, before the first step
    that would pass the budget, or at availability 0.9999 (total base EBO 0.001 without aircraft). Stock per
    site is capped at mean + 10 sqrt(mean) + 10 of its largest pipeline, and for Poisson pipelines at 2 units
    beyond the first level whose tail P(X > s) is below 1e-12. Stage 1 runs vectorised (numpy) over batches
    of items.

Pooling (``pool``): see its docstring.
"""
from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any

from dkfi.core.jsoninput import Reader, kind

import numpy as np

MODELS = ("metric", "vari-metric")
MAX_VALUE = 1e9  # largest rate, time, cost or budget accepted
MAX_PIPELINE = 500.0  # largest pipeline mean (units) an item may have at one site: bounds the arrays
MAX_STOCK = 10**6
MAX_NATIONS = 4  # pool evaluates every coalition: 2^n - 1 optimisations
END_AVAILABILITY = 0.9999  # the curve ends here when no target is given
END_EBO = 1e-3  # ... or at this total base EBO when there are no aircraft
TAIL = 1e-12  # stock caps: a unit whose Poisson tail P(X > s) is below this is not worth holding
THETA = 0.5  # -log(1 - x) continued linearly beyond x = THETA in the optimiser's objective
POOL_ROUNDS = 8  # re-weighted runs when several nations share one stock (see _solve_coalition)
CURVE_POINTS = 500  # most points returned on the cost-availability curve


class SparesInputError(ValueError):
    """A spares file that does not describe a spares problem; the message names the field and the reason."""


@dataclass(frozen=True)
class Base:
    """An operating base: where aircraft fly and fail; resupplied from the depot after ``order_ship_time``."""

    id: str
    order_ship_time: float
    nation: str | None = None
    pooled_order_ship_time: float | None = None


@dataclass(frozen=True)
class Item:
    """A repairable item: cost, depot repair time, and per base its demand and how much is repaired there."""

    id: str
    unit_cost: float
    depot_repair_time: float
    demand: Mapping[str, float] = field(hash=False)
    base_repair_fraction: Mapping[str, float] = field(hash=False)
    base_repair_time: Mapping[str, float] = field(hash=False)
    qpa: int = 1


@dataclass(frozen=True)
class SparesProblem:
    """A depot, its bases and items; optionally a stock, fleet sizes, a budget and an availability target."""

    model: str
    depot: str
    bases: tuple[Base, ...]
    items: tuple[Item, ...]
    stock: Mapping[str, Mapping[str, int]] = field(default_factory=dict, hash=False)
    aircraft: Mapping[str, int] | None = field(default=None, hash=False)
    budget: float | None = None
    target_availability: float | None = None
    national_depots: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def sites(self) -> tuple[str, ...]:
        """The depot, then the bases in input order."""
        return (self.depot, *(b.id for b in self.bases))


# ---------------------------------------------------------------------------------------------------------
# Reading the input: every failure names its field path, never a traceback for a bad shape.


_READ = Reader(SparesInputError)
_fail = _READ.fail
_kind = kind
_mapping = _READ.mapping
_list = _READ.list
_key = _READ.key
_ident = _READ.ident


def _number(value: Any, path: str, *, low: float = 0.0, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(path, f"must be a number, got {_kind(value)}")
    if isinstance(value, int) and abs(value) > MAX_VALUE:
        raise _fail(path, f"must be at most {MAX_VALUE:g}")
    number = float(value)
    if not math.isfinite(number):
        raise _fail(path, "must be a finite number")
    if number < low:
        raise _fail(path, "must not be negative")
    if positive and number <= 0:
        raise _fail(path, "must be positive")
    if number > MAX_VALUE:
        raise _fail(path, f"must be at most {MAX_VALUE:g}")
    return number


def _whole(value: Any, path: str, *, low: int = 0, high: int = MAX_STOCK) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, f"must be a whole number, got {_kind(value)}")
    if value < low:
        raise _fail(path, "must not be negative" if low == 0 else f"must be at least {low}")
    if value > high:
        raise _fail(path, f"must be at most {high}")
    return value


def _per_base(value: Any, path: str, bases: set[str], depot: str, *, fraction: bool = False) -> dict[str, float]:
    obj = _mapping(value, path)
    out: dict[str, float] = {}
    for key, v in obj.items():
        if key == depot:
            raise _fail(f"{path}.{key}", "the depot is not a base (demand and base repair arise at bases)")
        if key not in bases:
            raise _fail(f"{path}.{key}", "unknown site (the depot or a declared base)")
        x = _number(v, f"{path}.{key}")
        if fraction and x > 1:
            raise _fail(f"{path}.{key}", "must be a fraction in [0, 1]")
        out[key] = x
    return out


def _stock(value: Any, path: str, items: set[str], sites: set[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for item, per_site in _mapping(value, path).items():
        if item not in items:
            raise _fail(f"{path}.{item}", "unknown item")
        levels: dict[str, int] = {}
        for site, n in _mapping(per_site, f"{path}.{item}").items():
            if site not in sites:
                raise _fail(f"{path}.{item}.{site}", "unknown site (the depot or a declared base)")
            levels[site] = _whole(n, f"{path}.{item}.{site}")
        out[item] = levels
    return out


def _target(value: Any, path: str) -> float:
    x = _number(value, path)
    if not 0 < x < 1:
        raise _fail(path, "must be strictly between 0 and 1")
    return x


def parse(data: Any) -> SparesProblem:
    """Validate a spares file's JSON and convert it; a ``SparesInputError`` names the first bad field."""
    top = _mapping(data, "input")
    model = top.get("model", "metric")
    if model not in MODELS:
        raise _fail("model", f"unknown model {model!r} (metric or vari-metric)")
    depot = _ident(_key(top, "depot", ""), "depot")

    bases: list[Base] = []
    seen: set[str] = set()
    bases_raw = _list(_key(top, "bases", ""), "bases")
    if not bases_raw:
        raise _fail("bases", "must list at least one base")
    for i, raw in enumerate(bases_raw):
        path = f"bases[{i}]"
        obj = _mapping(raw, path)
        bid = _ident(_key(obj, "id", path), f"{path}.id")
        if bid == depot:
            raise _fail(f"{path}.id", f"{bid!r} is the depot's name")
        if bid in seen:
            raise _fail(f"{path}.id", f"duplicate base id {bid!r}")
        seen.add(bid)
        nation = obj.get("nation")
        if nation is not None:
            nation = _ident(nation, f"{path}.nation")
        pooled = obj.get("pooled_order_ship_time")
        bases.append(Base(bid, _number(_key(obj, "order_ship_time", path), f"{path}.order_ship_time"), nation,
                          None if pooled is None else _number(pooled, f"{path}.pooled_order_ship_time")))
    base_ids = {b.id for b in bases}

    items: list[Item] = []
    item_ids: set[str] = set()
    for i, raw in enumerate(_list(_key(top, "items", ""), "items")):
        path = f"items[{i}]"
        obj = _mapping(raw, path)
        iid = _ident(_key(obj, "id", path), f"{path}.id")
        if iid in item_ids:
            raise _fail(f"{path}.id", f"duplicate item id {iid!r}")
        item_ids.add(iid)
        cost = _number(_key(obj, "unit_cost", path), f"{path}.unit_cost", positive=True)
        t0 = _number(_key(obj, "depot_repair_time", path), f"{path}.depot_repair_time")
        demand = _per_base(_key(obj, "demand", path), f"{path}.demand", base_ids, depot)
        frac = _per_base(obj.get("base_repair_fraction", {}), f"{path}.base_repair_fraction", base_ids, depot,
                         fraction=True)
        times = _per_base(obj.get("base_repair_time", {}), f"{path}.base_repair_time", base_ids, depot)
        for b, r in frac.items():
            if r > 0 and b not in times:
                raise _fail(f"{path}.base_repair_time.{b}", "missing (base_repair_fraction is above 0)")
        item = Item(iid, cost, t0, demand, frac, times)
        for site, mean in _zero_stock_pipelines(item, bases).items():
            if mean > MAX_PIPELINE:
                raise _fail(path, f"pipeline of {mean:.0f} units at {site} is beyond the model's range "
                                  f"(at most {MAX_PIPELINE:g})")
        items.append(item)

    aircraft: dict[str, int] | None = None
    if top.get("aircraft") is not None:
        raw_aircraft = _mapping(top["aircraft"], "aircraft")
        for key in raw_aircraft:
            if key not in base_ids:
                raise _fail(f"aircraft.{key}", "unknown base")
        aircraft = {b: _whole(_key(raw_aircraft, b, "aircraft"), f"aircraft.{b}", low=1) for b in
                    (x.id for x in bases)}
    if top.get("qpa") is not None:
        qpa = _mapping(top["qpa"], "qpa")
        for key, n in qpa.items():
            if key not in item_ids:
                raise _fail(f"qpa.{key}", "unknown item")
            _whole(n, f"qpa.{key}", low=1, high=1000)
        items = [replace(it, qpa=_whole(qpa[it.id], f"qpa.{it.id}", low=1)) if it.id in qpa else it
                 for it in items]
    stock = _stock(top.get("stock", {}), "stock", item_ids, {depot, *base_ids})
    budget = None if top.get("budget") is None else _number(top["budget"], "budget")
    target = None
    if top.get("target_availability") is not None:
        target = _target(top["target_availability"], "target_availability")
        if aircraft is None:
            raise _fail("target_availability", "needs `aircraft` (availability is per aircraft)")
    national: dict[str, str] = {}
    for key, name in _mapping(top.get("national_depots", {}), "national_depots").items():
        national[key] = _ident(name, f"national_depots.{key}")
        if name in base_ids:
            raise _fail(f"national_depots.{key}", f"{name!r} is a base's id")
    return SparesProblem(model, depot, tuple(bases), tuple(items), stock, aircraft, budget, target, national)


def _zero_stock_pipelines(item: Item, bases: Sequence[Base]) -> dict[str, float]:
    lam0 = sum(item.demand.get(b.id, 0.0) * (1 - item.base_repair_fraction.get(b.id, 0.0)) for b in bases)
    out = {"depot": lam0 * item.depot_repair_time}
    for b in bases:
        d, r = item.demand.get(b.id, 0.0), item.base_repair_fraction.get(b.id, 0.0)
        out[b.id] = d * (r * item.base_repair_time.get(b.id, 0.0) + (1 - r) * (b.order_ship_time +
                                                                               item.depot_repair_time))
    return out


# ---------------------------------------------------------------------------------------------------------
# Backorder distributions: Poisson, or negative binomial from a mean and a larger variance.


def _shape(mean: float, var: float) -> tuple[float, float] | None:
    """None for Poisson; (a, b) of the negative binomial P(x) = C(a+x-1, x) b^x (1-b)^a otherwise."""
    if var <= mean * (1 + 1e-9):
        return None
    b = (var - mean) / var
    return mean * mean / (var - mean), b


def _pmf(x: int, mean: float, nb: tuple[float, float] | None) -> float:
    if nb is None:
        return math.exp(-mean + x * math.log(mean) - math.lgamma(x + 1))
    a, b = nb
    return math.exp(math.lgamma(a + x) - math.lgamma(a) - math.lgamma(x + 1) + a * math.log1p(-b)
                    + x * math.log(b))


def _ebo(mean: float, var: float, s: int) -> float:
    """Expected backorders E[(X - s)+] of a pipeline X with this mean and variance (Poisson when var <= mean)."""
    if mean <= 0:
        return 0.0
    if var <= mean * (1 + 1e-9):  # Poisson, inlined: the optimiser's hot path
        if s >= mean:
            x = s + 1
            p = math.exp(-mean + x * math.log(mean) - math.lgamma(x + 1))
            acc = 0.0
            while p > 0.0:
                k = x - s
                acc += k * p
                x += 1
                r = mean / x
                p *= r
                if p * (k + 1) < 1e-16 * acc * (1 - r) * (1 - r):
                    break
            return acc
        acc = 0.0
        x = s - 1
        p = math.exp(-mean + x * math.log(mean) - math.lgamma(x + 1)) if x >= 0 else 0.0
        while p > 0.0:
            k = s - x
            acc += k * p
            if x == 0:
                break
            r = x / mean
            p *= r
            x -= 1
            if p * (k + 1) < 1e-18 * (1 - r) * (1 - r):
                break
        return mean - s + acc
    nb = _shape(mean, var)
    if s >= mean:  # the tail above s, summed upward; terms fall at least geometrically
        x = s + 1
        p = _pmf(x, mean, nb)
        acc = 0.0
        for _ in range(10**6):
            if p == 0.0:
                break
            k = x - s
            acc += k * p
            r = mean / (x + 1) if nb is None else (nb[0] + x) * nb[1] / (x + 1)
            p *= r
            x += 1
            if r < 1 and p * (k + 1) < 1e-16 * acc * (1 - r) ** 2:
                break
        return acc
    # below s: E(X - s) + E[(s - X)+], summed downward from s - 1 (no cancellation: the result >= mean - s)
    acc = 0.0
    x = s - 1
    p = _pmf(x, mean, nb) if x >= 0 else 0.0
    while x >= 0 and p > 0.0:
        k = s - x
        acc += k * p
        if x == 0:
            break
        r = x / mean if nb is None else x / ((nb[0] + x - 1) * nb[1])
        p *= r
        x -= 1
        if r < 1 and p * (k + 1) < 1e-18 * (1 - r) ** 2:
            break
    return mean - s + acc


def _stats(mean: float, var: float, s: int) -> tuple[float, float, float]:
    """(EBO, E[((X - s)+)^2], P(X >= s)) of a pipeline X with this mean and variance."""
    if mean <= 0:
        return 0.0, 0.0, (1.0 if s <= 0 else 0.0)
    nb = _shape(mean, var)
    var = var if nb is not None else mean
    if s >= mean:
        x = s
        p = _pmf(x, mean, nb)
        e1 = e2 = tail = 0.0
        for _ in range(10**6):
            if p == 0.0:
                break
            k = x - s
            tail += p
            e1 += k * p
            e2 += k * k * p
            r = mean / (x + 1) if nb is None else (nb[0] + x) * nb[1] / (x + 1)
            p *= r
            x += 1
            if k > 0 and r < 1 and p * (k + 1) ** 2 < 1e-16 * e2 * (1 - r) ** 3:
                break
        return e1, e2, min(tail, 1.0)
    d1 = d2 = below = 0.0
    x = s
    p = _pmf(x, mean, nb)
    while x >= 0 and p > 0.0:
        k = s - x
        d1 += k * p
        d2 += k * k * p
        if k > 0:
            below += p
        if x == 0:
            break
        r = x / mean if nb is None else x / ((nb[0] + x - 1) * nb[1])
        p *= r
        x -= 1
        if r < 1 and p * (k + 1) ** 2 < 1e-18 * (1 - r) ** 3:
            break
    ebo = mean - s + d1
    e2 = max(var + (mean - s) ** 2 - d2, 0.0)
    return ebo, e2, max(0.0, 1.0 - below)


# ---------------------------------------------------------------------------------------------------------
# Evaluating a stock


@dataclass
class _Pipes:
    """An item's pipelines for one depot stock: depot demand, mean, EBO, VBO; per base mean and variance."""

    lam0: float
    mu0: float
    ebo0: float
    vbo0: float
    mean: list[float]
    var: list[float]


def _fixed_parts(item: Item, bases: Sequence[Base]) -> tuple[float, list[float], list[float]]:
    """Depot demand, and per base the pipeline mean that does not depend on depot stock, and the share f_b."""
    lam0 = 0.0
    fixed, flow = [], []
    for b in bases:
        d, r = item.demand.get(b.id, 0.0), item.base_repair_fraction.get(b.id, 0.0)
        lam0 += d * (1 - r)
        fixed.append(d * (r * item.base_repair_time.get(b.id, 0.0) + (1 - r) * b.order_ship_time))
        flow.append(d * (1 - r))
    shares = [x / lam0 if lam0 > 0 else 0.0 for x in flow]
    return lam0, fixed, shares


def _pipes(item: Item, bases: Sequence[Base], s0: int, vari: bool) -> _Pipes:
    lam0, fixed, shares = _fixed_parts(item, bases)
    mu0 = lam0 * item.depot_repair_time
    ebo0, e2, _ = _stats(mu0, mu0, s0)
    vbo0 = max(e2 - ebo0 * ebo0, 0.0)
    mean = [c + f * ebo0 for c, f in zip(fixed, shares)]
    var = [c + f * (1 - f) * ebo0 + f * f * vbo0 for c, f in zip(fixed, shares)] if vari else list(mean)
    return _Pipes(lam0, mu0, ebo0, vbo0, mean, var)


def _availability(per_base_ebo: Mapping[str, Mapping[str, float]], problem: SparesProblem,
                  bases: Sequence[str] | None = None) -> float | None:
    """Fleet availability of the given bases (all by default): sum_b N_b A_b / sum_b N_b."""
    if problem.aircraft is None:
        return None
    chosen = bases if bases is not None else [b.id for b in problem.bases]
    total = sum(problem.aircraft[b] for b in chosen)
    acc = 0.0
    for b in chosen:
        n = problem.aircraft[b]
        a_b = 1.0
        for item in problem.items:
            e = per_base_ebo[item.id].get(b, 0.0)
            a_b *= max(0.0, 1.0 - e / (n * item.qpa)) ** item.qpa
        acc += n * a_b
    return acc / total if total else None


def _base_availability(per_base_ebo: Mapping[str, Mapping[str, float]], problem: SparesProblem) -> dict[str, float]:
    assert problem.aircraft is not None
    out = {}
    for b in problem.bases:
        out[b.id] = _availability(per_base_ebo, problem, [b.id]) or 0.0
    return out


def _nations(problem: SparesProblem) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for b in problem.bases:
        if b.nation is not None:
            out.setdefault(b.nation, []).append(b.id)
    return out


def evaluate(problem: SparesProblem, stock: Mapping[str, Mapping[str, int]] | None = None) -> dict[str, Any]:
    """EBO, fill rate and pipeline per item and site, EBO per site, total base EBO, cost and availability.

    ``stock`` ({ITEM: {SITE: n}}, sites left out hold 0) defaults to the problem's own ``stock``.
    """
    sites = problem.sites
    levels = problem.stock if stock is None else _stock(stock, "stock", {i.id for i in problem.items}, set(sites))
    vari = problem.model == "vari-metric"
    items_out: dict[str, Any] = {}
    site_ebo = dict.fromkeys(sites, 0.0)
    per_base: dict[str, dict[str, float]] = {}
    cost = 0.0
    for item in problem.items:
        st = levels.get(item.id, {})
        s0 = st.get(problem.depot, 0)
        pp = _pipes(item, problem.bases, s0, vari)
        _, _, tail0 = _stats(pp.mu0, pp.mu0, s0)
        stock_out = {problem.depot: s0}
        ebo_out = {problem.depot: pp.ebo0}
        fill_out: dict[str, float | None] = {problem.depot: (1.0 - tail0) if pp.mu0 > 0 else None}
        pipe_out = {problem.depot: pp.mu0}
        var_out = {problem.depot: pp.mu0}
        per_base[item.id] = {}
        for k, b in enumerate(problem.bases):
            s = st.get(b.id, 0)
            e, _, tail = _stats(pp.mean[k], pp.var[k], s)
            stock_out[b.id], ebo_out[b.id] = s, e
            fill_out[b.id] = (1.0 - tail) if pp.mean[k] > 0 else None
            pipe_out[b.id], var_out[b.id] = pp.mean[k], pp.var[k]
            per_base[item.id][b.id] = e
        for site in sites:
            site_ebo[site] += ebo_out[site]
        cost += sum(stock_out.values()) * item.unit_cost
        items_out[item.id] = {"stock": stock_out, "ebo": ebo_out, "fill_rate": fill_out, "pipeline": pipe_out,
                              "variance": var_out}
    details: dict[str, Any] = {"model": problem.model}
    if problem.aircraft is not None:
        details["availability_by_base"] = _base_availability(per_base, problem)
        nations = _nations(problem)
        if nations:
            details["availability_by_nation"] = {n: _availability(per_base, problem, bs) for n, bs in nations.items()}
    return {"items": items_out, "ebo": site_ebo, "total_ebo": sum(site_ebo[b.id] for b in problem.bases),
            "cost": cost, "availability": _availability(per_base, problem), "details": details}


# ---------------------------------------------------------------------------------------------------------
# Marginal analysis: each item's efficient curve (Sherbrooke's envelope over depot stock), then a heap over items


_CHUNK_CELLS = 1_500_000  # array cells per vectorised batch of items (memory ~ 8 bytes x a few x this)


@dataclass
class _Curve:
    """An item's efficient points (lower convex hull of its envelope): units, objective, stock, EBO, log terms."""

    cost: float
    n: list[int]  # units in all at each point
    value: list[float]  # the objective at each point
    s0: list[int]  # depot stock at each point
    counts: Any  # (point, base) array: base stock at each point
    ebo: list[float]  # the item's total base EBO at each point
    logs: list[float]  # flat, shared by a batch: z log(1 - EBO/(N z)) of point k, base b at offset + k * nb + b
    offset: int
    nb: int


def _h_array(e: Any, c: Any, z: Any, w: Any) -> Any:
    """Vectorised objective term: w z -log(1 - e/c) up to e = THETA c, linear beyond."""
    x = e / c
    inside = -w * z * np.log1p(-np.minimum(x, THETA))
    return np.where(x <= THETA, inside, w * z * (-math.log1p(-THETA) + (x - THETA) / (1 - THETA)))


def _pmf_table(mean: Any, var: Any, length: int) -> Any:
    """P(X = x) for x < length, per cell of `mean`/`var`: Poisson, or negative binomial where var > mean."""
    nb = (var > mean * (1 + 1e-9)) & (mean > 0)
    if not nb.any():  # all Poisson (METRIC): skip the negative binomial's arithmetic
        ratio = mean[..., None] / np.arange(1, length, dtype=float)
        table = np.empty(mean.shape + (length,))
        table[..., 0] = 1.0
        table[..., 1:] = ratio
        return np.exp(-mean)[..., None] * np.cumprod(table, axis=-1)
    safe_gap = np.where(nb, var - mean, 1.0)
    b = np.where(nb, safe_gap / np.where(nb, var, 1.0), 0.0)
    a = np.where(nb, mean * mean / safe_gap, 1.0)
    p0 = np.where(nb, np.exp(a * np.log1p(-b)), np.exp(-mean))
    x = np.arange(length - 1, dtype=float)
    ratio = np.where(nb[..., None], (a[..., None] + x) * b[..., None] / (x + 1), mean[..., None] / (x + 1))
    table = np.empty(mean.shape + (length,))
    table[..., 0] = 1.0
    table[..., 1:] = ratio
    return p0[..., None] * np.cumprod(table, axis=-1)


def _chunk_curves(items: Sequence[Item], problem: SparesProblem, vari: bool, fixed: Any, share: Any, mu0: Any,
                  cap0: Any, caps: Any, weights: Any) -> list[_Curve]:
    bases = problem.bases
    nb_ = len(bases)
    n_items = len(items)
    s_len = int(cap0.max()) + 1
    k_len = int(caps.max()) + 1 if caps.size else 1

    # depot: EBO and VBO for s0 = 0..s_len-1 from tail sums (no cancellation at deep stock); the 40 extra
    # levels hold all but a negligible part of the Poisson tail beyond the cap
    p = _pmf_table(mu0, mu0, s_len + 40)
    at_least = np.cumsum(p[:, ::-1], axis=1)[:, ::-1]  # P(X >= y)
    above = np.concatenate([at_least[:, 1:], np.zeros((n_items, 1))], axis=1)  # P(X > y)
    ebo_all = np.cumsum(above[:, ::-1], axis=1)[:, ::-1]  # EBO(s) = sum_{y >= s} P(X > y)
    later = np.concatenate([np.cumsum(ebo_all[:, ::-1], axis=1)[:, ::-1][:, 1:], np.zeros((n_items, 1))], axis=1)
    ebo0 = ebo_all[:, :s_len]
    vbo0 = np.maximum(ebo_all + 2 * later - ebo_all ** 2, 0.0)[:, :s_len]  # E[((X-s)+)^2] - EBO^2

    # bases: pipeline mean and variance per (item, s0, base), then EBO per base stock level
    mean = fixed[:, None, :] + share[:, None, :] * ebo0[:, :, None]
    if vari:
        var = (fixed[:, None, :] + share[:, None, :] * (1 - share[:, None, :]) * ebo0[:, :, None]
               + share[:, None, :] ** 2 * vbo0[:, :, None])
    else:
        var = mean
    p = _pmf_table(mean, var, k_len)
    cdf = np.cumsum(p, axis=-1)
    tail = np.maximum(1.0 - cdf, 0.0)  # P(X > s): the EBO drop from s to s + 1
    c1 = np.concatenate([np.zeros(mean.shape + (1,)), np.cumsum(cdf, axis=-1)[..., :-1]], axis=-1)
    ebo = np.maximum(mean[..., None] - np.arange(k_len, dtype=float) + c1, 0.0)  # (item, s0, base, s)

    if problem.aircraft is not None:
        n_air = np.array([problem.aircraft[b.id] for b in bases], dtype=float)
        z = np.array([it.qpa for it in items], dtype=float)[:, None, None, None]
        c = n_air[None, None, :, None] * z
        w = (weights * n_air / n_air.sum())[None, None, :, None]
        hi, lo = ebo[..., :-1], ebo[..., 1:]
        with np.errstate(divide="ignore", invalid="ignore"):
            # h(hi) - h(lo) without cancellation where both are in the log region (nearly everywhere)
            gains = (w * z) * np.log1p(tail[..., :-1] / (c - hi))
        beyond = hi > THETA * c
        if beyond.any():
            shape = hi.shape
            cb, zb, wb = (np.broadcast_to(x, shape)[beyond] for x in (c, z, w))
            gains[beyond] = _h_array(hi[beyond], cb, zb, wb) - _h_array(lo[beyond], cb, zb, wb)
        h0 = _h_array(mean[..., None], c, z, w)[..., 0].sum(axis=2)
    else:
        gains = tail[..., :-1]
        h0 = mean.sum(axis=2)
    valid = np.arange(k_len - 1)[None, None, None, :] < caps[:, None, :, None]
    gains = np.where(valid, np.maximum(gains, 0.0), -np.inf).reshape(n_items, s_len, -1)
    order = np.argsort(-gains, axis=2, kind="stable")
    ranked = np.take_along_axis(gains, order, axis=2)
    value = np.concatenate([h0[..., None], h0[..., None] - np.cumsum(ranked, axis=2)], axis=2)
    value[np.arange(s_len)[None, :] > cap0[:, None]] = np.inf
    value = np.nan_to_num(value, nan=np.inf, neginf=np.inf)

    # the envelope over depot stock: best objective for n units in all
    m_len = value.shape[2]
    grid = np.full((n_items, s_len, s_len + m_len - 1), np.inf)
    rows = np.arange(s_len)[:, None]
    grid[:, rows, rows + np.arange(m_len)[None, :]] = value
    best_s0 = grid.argmin(axis=1)
    envelope = np.take_along_axis(grid, best_s0[:, None, :], axis=1)[:, 0, :]

    # each item's lower convex hull (monotone chain) over its envelope, up to where it stops falling
    finite = np.isfinite(envelope)
    low = np.where(finite, envelope, np.inf).min(axis=1)
    tol = 1e-13 * np.maximum(1.0, np.abs(envelope[:, 0]))
    ends = np.argmax(envelope <= (low + tol)[:, None], axis=1).tolist()
    owner: list[int] = []
    where: list[int] = []
    first: list[int] = []
    rows_all = envelope.tolist()
    for i in range(n_items):
        env = rows_all[i][: ends[i] + 1]
        hull: list[int] = []
        for k, v in enumerate(env):
            while len(hull) >= 2:
                a_, b_ = hull[-2], hull[-1]
                if (b_ - a_) * (v - env[a_]) - (env[b_] - env[a_]) * (k - a_) <= 0:
                    hull.pop()
                else:
                    break
            hull.append(k)
        first.append(len(owner))
        owner.extend([i] * len(hull))
        where.extend(hull)
    first.append(len(owner))

    # the stock and per-base EBO at every hull point, all points at once
    iv = np.array(owner, dtype=int)
    nv = np.array(where, dtype=int)
    s0v = best_s0[iv, nv]
    mv = nv - s0v
    ranked_bases = order[iv, s0v, :] // max(k_len - 1, 1)  # (point, rank) -> base of that ranked unit
    taken = np.arange(ranked_bases.shape[1])[None, :] < mv[:, None]
    slots = (np.arange(len(iv))[:, None] * nb_ + ranked_bases)[taken]
    counts = np.bincount(slots, minlength=len(iv) * nb_).reshape(len(iv), nb_)
    ev = ebo[iv[:, None], s0v[:, None], np.arange(nb_)[None, :], counts]
    if problem.aircraft is not None:
        n_air = np.array([problem.aircraft[b.id] for b in bases], dtype=float)
        zv = np.array([it.qpa for it in items], dtype=float)[iv][:, None]
        cz = n_air[None, :] * zv
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(ev < cz, zv * np.log1p(-np.minimum(ev / cz, 1.0)), -np.inf)
        logs_flat = logs.ravel().tolist()
    else:
        logs_flat = []
    values = envelope[iv, nv].tolist()
    s0_l, n_l = s0v.tolist(), nv.tolist()
    sums = ev.sum(axis=1).tolist()
    return [_Curve(it.unit_cost, n_l[first[i]:first[i + 1]], values[first[i]:first[i + 1]],
                   s0_l[first[i]:first[i + 1]], counts[first[i]:first[i + 1]], sums[first[i]:first[i + 1]],
                   logs_flat, first[i] * nb_, nb_) for i, it in enumerate(items)]


def _caps(means: Any, tight: bool) -> Any:
    """Most units worth holding against each pipeline mean: mean + 10 sqrt(mean) + 10, and with ``tight`` (Poisson
    pipelines) no more than 2 beyond the first level whose Poisson tail P(X > s) is below 1e-12."""
    loose = np.where(means > 0, np.ceil(means + 10 * np.sqrt(means) + 10), 0).astype(int)
    if not tight or not means.size:
        return loose
    flat, out = means.ravel(), loose.ravel().copy()
    for start in range(0, flat.size, 4096):
        block = flat[start:start + 4096]
        cdf = np.cumsum(_pmf_table(block, block, int(loose.max()) + 1), axis=1)
        first = np.argmax(1.0 - cdf <= TAIL, axis=1)
        found = (1.0 - cdf <= TAIL).any(axis=1)
        out[start:start + 4096] = np.where(found & (block > 0), np.minimum(out[start:start + 4096], first + 2),
                                           out[start:start + 4096])
    return out.reshape(means.shape)


def _item_curves(problem: SparesProblem, weights: Sequence[float] | None = None) -> list[_Curve]:
    """Every item's efficient curve, computed in batches of items of similar size.

    ``weights`` (one per base, default 1) scale the bases' terms of the availability objective (``pool``).
    """
    base_weights = np.ones(len(problem.bases)) if weights is None else np.asarray(weights, dtype=float)
    vari = problem.model == "vari-metric"
    nb_ = len(problem.bases)
    n_items = len(problem.items)
    fixed = np.zeros((n_items, nb_))
    share = np.zeros((n_items, nb_))
    mu0 = np.zeros(n_items)
    for i, it in enumerate(problem.items):
        lam, fx, sh = _fixed_parts(it, problem.bases)
        mu0[i], fixed[i], share[i] = lam * it.depot_repair_time, fx, sh
    cap0 = _caps(mu0, True)  # the depot pipeline is Poisson in both models
    caps = _caps(fixed + share * mu0[:, None], not vari)  # VARI-METRIC's negative binomial tails are longer
    width = caps.max(axis=1) if nb_ else np.zeros(n_items, int)
    order = sorted(range(n_items), key=lambda i: (int(cap0[i]), int(width[i])))
    out: list[_Curve | None] = [None] * n_items
    start = 0
    while start < n_items:
        stop = start + 1
        s_max, k_max = int(cap0[order[start]]) + 1, int(width[order[start]]) + 1
        while stop < n_items:
            s2, k2 = max(s_max, int(cap0[order[stop]]) + 1), max(k_max, int(width[order[stop]]) + 1)
            if (stop - start + 1) * s2 * (s2 + 2 * nb_ * k2) > _CHUNK_CELLS:
                break
            s_max, k_max = s2, k2
            stop += 1
        idx = np.array(order[start:stop])
        chunk = [problem.items[i] for i in idx]
        for i, curve in zip(idx, _chunk_curves(chunk, problem, vari, fixed[idx], share[idx], mu0[idx], cap0[idx],
                                               caps[idx], base_weights)):
            out[i] = curve
        start = stop
    return [c for c in out if c is not None]


def _log_term(e: float, c: float, z: float) -> float:
    """z * log(1 - e/c); -inf when the base cannot fly (e >= c)."""
    return z * math.log1p(-e / c) if e < c else -math.inf


class _Fleet:
    """Running totals over the items' chosen points: total base EBO and each base's availability."""

    def __init__(self, problem: SparesProblem, curves: Sequence[_Curve], groups: Sequence[Sequence[int]]) -> None:
        self.aircraft = [problem.aircraft[b.id] for b in problem.bases] if problem.aircraft is not None else None
        nb_ = len(problem.bases)
        self.log_a = [0.0] * nb_  # per base: sum of the finite log terms of A_b
        self.zero = [0] * nb_  # per base: how many items ground all its aircraft (a factor of 0)
        self.total_ebo = sum(c.ebo[0] for c in curves)
        self.groups = [list(g) for g in groups if len(g)]
        self.whole = len(self.groups) == 1 and len(self.groups[0]) == nb_
        if self.aircraft is not None:
            for c in curves:
                for b in range(nb_):
                    term = c.logs[c.offset + b]
                    if term == -math.inf:
                        self.zero[b] += 1
                    else:
                        self.log_a[b] += term
        self.weighted = [0.0] * nb_  # N_b A_b
        self.fleet = 0.0
        self.total_n = sum(self.aircraft) if self.aircraft else 0
        for b in range(nb_ if self.aircraft else 0):
            self._reweigh(b)

    def _reweigh(self, b: int) -> None:
        assert self.aircraft is not None
        value = 0.0 if self.zero[b] else self.aircraft[b] * math.exp(self.log_a[b])
        self.fleet += value - self.weighted[b]
        self.weighted[b] = value

    def move(self, c: _Curve, old: int, new: int) -> None:
        self.total_ebo += c.ebo[new] - c.ebo[old]
        if self.aircraft is None:
            return
        log_a, zero, logs, nb_ = self.log_a, self.zero, c.logs, c.nb
        lo, hi = c.offset + old * nb_, c.offset + new * nb_
        for b in range(nb_):
            t_old, t_new = logs[lo + b], logs[hi + b]
            if t_old == t_new:
                continue
            if t_old == -math.inf:
                zero[b] -= 1
            else:
                log_a[b] -= t_old
            if t_new == -math.inf:
                zero[b] += 1
            else:
                log_a[b] += t_new
            self._reweigh(b)

    def availability(self, bases: Sequence[int] | None = None) -> float | None:
        """Availability of the fleet (or of these bases): sum_b N_b A_b / sum_b N_b."""
        if self.aircraft is None:
            return None
        if bases is None:
            value = self.fleet / self.total_n
        else:
            value = sum(self.weighted[b] for b in bases) / sum(self.aircraft[b] for b in bases)
        return min(max(value, 0.0), 1.0)

    def floor(self) -> float:
        """The lowest availability among the groups (nations) that must each reach the target."""
        if self.whole:
            return self.availability() or 0.0
        return min((self.availability(g) or 0.0) for g in self.groups)


def _curve_points(costs: list[float], ebos: list[float], avails: list[float | None], most: int) -> list[dict]:
    n = len(costs)
    if n <= most:
        chosen = list(range(n))
    else:  # evenly spaced in cost, the first and last always kept
        top = costs[-1]
        chosen = sorted({0, n - 1, *(min(bisect_left(costs, top * k / (most - 1)), n - 1) for k in range(most))})
    return [{"cost": costs[i], "total_ebo": ebos[i], "availability": avails[i]} for i in chosen]


def _greedy(problem: SparesProblem, *, budget: float | None, target: float | None, groups: Sequence[Sequence[int]],
            max_points: int, weights: Sequence[float] | None = None
            ) -> tuple[dict[str, dict[str, int]], list[dict], dict[str, Any]]:
    curves = _item_curves(problem, weights)
    fleet = _Fleet(problem, curves, groups)
    use_avail = fleet.aircraft is not None
    end_avail = target if target is not None else END_AVAILABILITY
    at = [0] * len(curves)
    heap: list[tuple[float, int]] = []

    def push(idx: int) -> None:
        c, k = curves[idx], at[idx]
        if k + 1 < len(c.n):
            drop = c.value[k] - c.value[k + 1]
            if drop > 0:
                heapq.heappush(heap, (-drop / ((c.n[k + 1] - c.n[k]) * c.cost), idx))

    for idx in range(len(curves)):
        push(idx)
    cost = 0.0
    costs, ebos, avails = [0.0], [fleet.total_ebo], [fleet.availability()]

    def reached() -> bool:
        return fleet.floor() >= end_avail if use_avail else fleet.total_ebo <= END_EBO

    stopped = "target" if target is not None else "end"
    steps = 0
    if not reached():
        stopped = "exhausted"
        while heap:
            idx = heap[0][1]
            c, k = curves[idx], at[idx]
            step_cost = (c.n[k + 1] - c.n[k]) * c.cost
            if budget is not None and cost + step_cost > budget * (1 + 1e-12):
                stopped = "budget"
                break
            heapq.heappop(heap)
            fleet.move(c, k, k + 1)
            at[idx] = k + 1
            push(idx)
            steps += 1
            cost += step_cost
            costs.append(cost)
            ebos.append(fleet.total_ebo)
            avails.append(fleet.availability())
            if reached():
                stopped = "target" if target is not None else "end"
                break
    stock: dict[str, dict[str, int]] = {}
    for item, c, k in zip(problem.items, curves, at):
        levels = {problem.depot: c.s0[k]}
        for b, count in zip(problem.bases, c.counts[k].tolist()):
            levels[b.id] = count
        stock[item.id] = levels
    details = {"model": problem.model, "objective": "availability" if use_avail else "ebo", "stopped": stopped,
               "target": target, "budget": budget,
               "target_reached": (stopped == "target") if target is not None else None,
               "steps": steps, "curve_points_total": len(costs)}
    return stock, _curve_points(costs, ebos, avails, max_points), details


def optimize(problem: SparesProblem, *, budget: float | None = None, target: float | None = None,
             max_points: int = CURVE_POINTS) -> dict[str, Any]:
    """Marginal analysis from zero stock: the cost-availability curve and the stock for the budget or target.

    ``budget`` and ``target`` (the fleet's availability) default to the problem's; with both, the curve stops at
    whichever comes first; with neither it runs to availability 0.9999 (total base EBO 0.001 without aircraft).
    The stock returned is the curve's last point; the file's ``stock`` is not used.

    Output: ``items`` ({ITEM: {"stock": {SITE: n}, "ebo": {SITE: x}}}), ``total_ebo``, ``cost``,
    ``availability``, ``curve`` (at most ``max_points`` points {cost, total_ebo, availability}, evenly spaced in
    cost) and ``details`` (model, objective, why the curve stopped, whether the target was reached, steps,
    availability by base and nation).
    """
    budget = problem.budget if budget is None else _number(budget, "budget")
    target = problem.target_availability if target is None else _target(target, "target_availability")
    if target is not None and problem.aircraft is None:
        raise _fail("target_availability", "needs `aircraft` (availability is per aircraft)")
    stock, curve, details = _greedy(problem, budget=budget, target=target, groups=[range(len(problem.bases))],
                                    max_points=max(int(max_points), 2))
    ev = evaluate(problem, stock)
    items = {iid: {"stock": v["stock"], "ebo": v["ebo"]} for iid, v in ev["items"].items()}
    details.update({k: v for k, v in ev["details"].items() if k != "model"})
    return {"items": items, "total_ebo": ev["total_ebo"], "cost": ev["cost"], "availability": ev["availability"],
            "curve": curve, "details": details}


# ---------------------------------------------------------------------------------------------------------
# Pooling


def _coalition(problem: SparesProblem, nations: Sequence[str], pooled: bool) -> SparesProblem:
    """The sub-problem of these nations' bases: under the shared depot (pooled) or a national one."""
    keep = [b for b in problem.bases if b.nation in nations]
    if pooled:
        bases = tuple(replace(b, order_ship_time=b.pooled_order_ship_time) if b.pooled_order_ship_time is not None
                      else b for b in keep)
        depot = problem.depot
    else:
        bases = tuple(keep)
        depot = problem.national_depots.get(nations[0], f"{nations[0]} depot")
    ids = {b.id for b in bases}
    items = tuple(replace(it, demand={b: d for b, d in it.demand.items() if b in ids},
                          base_repair_fraction={b: r for b, r in it.base_repair_fraction.items() if b in ids},
                          base_repair_time={b: t for b, t in it.base_repair_time.items() if b in ids})
                  for it in problem.items)
    assert problem.aircraft is not None
    return replace(problem, depot=depot, bases=bases, items=items, stock={},
                   aircraft={b: problem.aircraft[b] for b in ids}, budget=None, target_availability=None)


def _solve_coalition(problem: SparesProblem, nations: Sequence[str], pooled: bool, target: float,
                     rounds: int = POOL_ROUNDS) -> dict[str, Any]:
    """The cheapest stock found that gets every one of these nations to the target.

    One nation: plain marginal analysis. Several sharing one depot: the objective weighs each nation's bases, and
    the weights are re-balanced for ``rounds`` runs (a nation that ended above the target weighs less next time,
    by its unavailability over the target's, 1 - A_n over 1 - target) so no partner is over-served while the
    other catches up; the cheapest run is kept.
    """
    sub = _coalition(problem, nations, pooled)
    groups = [[k for k, b in enumerate(sub.bases) if b.nation == n] for n in nations]
    weight = dict.fromkeys(nations, 1.0)
    best: dict[str, Any] | None = None
    for _ in range(rounds if len(nations) > 1 else 1):
        stock, _, details = _greedy(sub, budget=None, target=target, groups=groups, max_points=2,
                                    weights=[weight[b.nation or ""] for b in sub.bases])
        ev = evaluate(sub, stock)
        by_nation = ev["details"].get("availability_by_nation", {})
        run = {"depot": sub.depot, "cost": ev["cost"], "total_ebo": ev["total_ebo"],
               "availability": ev["availability"], "availability_by_nation": by_nation,
               "target_reached": details["target_reached"], "stock": stock}
        if best is None or (run["target_reached"], -run["cost"]) > (best["target_reached"], -best["cost"]):
            best = run
        for n in nations:
            weight[n] *= min(max((1 - by_nation.get(n, 0.0)) / (1 - target), 0.05), 1.0)
        top = max(weight.values())
        weight = {n: w / top for n, w in weight.items()}
    assert best is not None
    return best


def pool(problem: SparesProblem, *, target: float | None = None) -> dict[str, Any]:
    """Separate national stocks against one pooled stock at the same availability target, and a fair split.

    Separate: each nation's bases under its own depot stock (``national_depots`` names it), optimised until that
    nation's fleet availability reaches the target. Pooled: all bases under the problem's shared ``depot``, each
    at its ``pooled_order_ship_time`` (default ``order_ship_time``), optimised until every nation's fleet
    availability reaches the target. Lateral supply is modelled at the depot echelon: the shared stock serves
    every base of every partner (complete pooling, as in the pooling games of Karsten, Slikker and van Houtum);
    the partner's longer transport is its ``pooled_order_ship_time``. Base stocks stay national (no base-to-base
    transshipment), so the saving is a lower bound on what full lateral supply would give.

    The split treats the pool as a cost game: c(S) = min(pooled cost of S, sum of its separate costs), the
    Shapley value (two partners: each pays its stand-alone cost minus half the saving) and a split
    proportional to demand value (failures per year x unit cost), each checked against the core.
    """
    target = problem.target_availability if target is None else _target(target, "target_availability")
    if target is None:
        raise _fail("target_availability", "missing (pooling compares costs at one availability target)")
    if problem.aircraft is None:
        raise _fail("aircraft", "missing (pooling compares availability)")
    for i, base in enumerate(problem.bases):
        if base.nation is None:
            raise _fail(f"bases[{i}].nation", "missing (pooling needs each base's nation)")
    nations = sorted(_nations(problem))
    if not 2 <= len(nations) <= MAX_NATIONS:
        raise _fail("bases", f"pooling needs 2 to {MAX_NATIONS} nations, got {len(nations)}")

    separate = {n: _solve_coalition(problem, [n], False, target) for n in nations}
    cost: dict[frozenset[str], float] = {frozenset([n]): separate[n]["cost"] for n in nations}
    pooled_runs: dict[frozenset[str], dict[str, Any]] = {}
    for size in range(2, len(nations) + 1):
        for group in combinations(nations, size):
            run = _solve_coalition(problem, list(group), True, target)
            pooled_runs[frozenset(group)] = run
            cost[frozenset(group)] = min(run["cost"], sum(separate[n]["cost"] for n in group))
    everyone = frozenset(nations)
    pooled = pooled_runs[everyone]
    alone = sum(separate[n]["cost"] for n in nations)
    saving = alone - pooled["cost"]
    grand = cost[everyone]

    shapley = dict.fromkeys(nations, 0.0)
    n_all = len(nations)
    for n in nations:
        others = [m for m in nations if m != n]
        for size in range(len(others) + 1):
            weight = math.factorial(size) * math.factorial(n_all - size - 1) / math.factorial(n_all)
            for group in combinations(others, size):
                s = frozenset(group)
                shapley[n] += weight * (cost[s | {n}] - (cost[s] if s else 0.0))

    nation_of = {b.id: b.nation for b in problem.bases}
    value = {n: sum(it.unit_cost * d for it in problem.items for b, d in it.demand.items() if nation_of[b] == n)
             for n in nations}
    total_value = sum(value.values())
    proportional = {n: grand * (value[n] / total_value if total_value else 1 / n_all) for n in nations}

    def in_core(split: Mapping[str, float]) -> bool:
        return all(sum(split[n] for n in s) <= cost[s] * (1 + 1e-9) + 1e-6 for s in cost)

    def money(x: float) -> str:
        return f"{x:,.0f}"

    reasoning = [f"Target: each nation's fleet availability >= {target:g}, with its own stock and in the pool."]
    for n in nations:
        run = separate[n]
        reasoning.append(f"{n} alone (its depot '{run['depot']}' and its bases): cost {money(run['cost'])}, "
                         f"availability {run['availability']:.4f}.")
    reasoning.append(f"Pooled (one stock at '{problem.depot}' for all bases): cost {money(pooled['cost'])}, "
                     "availability " + ", ".join(f"{n} {a:.4f}" for n, a in pooled["availability_by_nation"].items())
                     + ".")
    for label, run in [*((f"{n} alone", separate[n]) for n in nations), ("the pool", pooled)]:
        if not run["target_reached"]:
            reasoning.append(f"WARNING: {label} does not reach the target within the stock caps; the comparison "
                             "is not at equal availability.")
    reasoning.append(f"Saving = {money(alone)} - {money(pooled['cost'])} = {money(saving)} "
                     f"({100 * saving / alone if alone else 0.0:.1f} % of the separate cost).")
    if pooled["cost"] > alone:
        reasoning.append("Pooling costs more here, so the partners would keep separate stocks: the game's grand "
                         f"coalition cost is the separate cost, {money(grand)}, and the splits divide that.")
    if n_all == 2:
        p1, p2 = nations
        half = (cost[frozenset([p1])] + cost[frozenset([p2])] - grand) / 2
        reasoning.append(f"Shapley value with two partners: each pays its stand-alone cost minus half the saving "
                         f"({money(half)}): {p1} {money(cost[frozenset([p1])])} - {money(half)} = {money(shapley[p1])}, "
                         f"{p2} {money(cost[frozenset([p2])])} - {money(half)} = {money(shapley[p2])}; together "
                         f"{money(shapley[p1] + shapley[p2])} = the pooled cost.")
    else:
        reasoning.append("Shapley value: each nation's extra cost to a coalition, averaged over every order in "
                         "which the nations could join: " + ", ".join(f"{n} {money(v)}" for n, v in shapley.items())
                         + f"; together {money(sum(shapley.values()))}.")
    reasoning.append("Core (no nation or group pays more than on its own): Shapley "
                     + ("is in the core: " if in_core(shapley) else "is NOT in the core: ")
                     + ", ".join(f"{n} {money(shapley[n])} vs {money(cost[frozenset([n])])} alone" for n in nations)
                     + ".")
    reasoning.append("Proportional to demand value (failures per year x unit cost, so an expensive item's failures "
                     "weigh more than a cheap one's): " + ", ".join(
                         f"{n} {100 * value[n] / total_value if total_value else 100 / n_all:.1f} % = "
                         f"{money(proportional[n])}" for n in nations)
                     + ("; in the core." if in_core(proportional) else
                        "; NOT in the core: a partner would pay more than alone, so prefer the Shapley split."))
    return {"target": target, "separate": separate, "pooled": pooled, "separate_cost": alone,
            "pooled_cost": pooled["cost"], "saving": saving, "saving_pct": 100 * saving / alone if alone else 0.0,
            "split": {"proportional": proportional, "shapley": shapley,
                      "in_core": {"proportional": in_core(proportional), "shapley": in_core(shapley)},
                      "coalition_cost": {"+".join(sorted(s)): c for s, c in cost.items()},
                      "reasoning": reasoning}}


# ---------------------------------------------------------------------------------------------------------
# A file's JSON in, a result out: what the CLI (`dkfi f35 spares ...`) and the API call.


def evaluate_data(data: Any) -> dict[str, Any]:
    """``evaluate`` of a spares file's JSON, at its ``stock``."""
    return evaluate(parse(data))


def optimize_data(data: Any) -> dict[str, Any]:
    """``optimize`` of a spares file's JSON, for its ``budget`` and/or ``target_availability``."""
    return optimize(parse(data))


def pool_data(data: Any) -> dict[str, Any]:
    """``pool`` of a spares file's JSON, at its ``target_availability``."""
    return pool(parse(data))
