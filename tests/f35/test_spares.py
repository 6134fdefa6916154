"""F-35 spares models: METRIC and VARI-METRIC against the formulas computed here by brute force, marginal analysis
against exhaustive enumeration, input errors that name their field, and pooling with its cost split."""
from __future__ import annotations

import copy
import itertools
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dkfi.f35.spares import (SparesInputError, evaluate, evaluate_data, optimize, optimize_data, parse, pool,
                             pool_data)

DEMO = Path(__file__).resolve().parents[2] / "src/dkfi/f35/data/spares-demo.json"


# --- the formulas, written out independently of the module ------------------------------------------------


def poisson(mean, x):
    return math.exp(-mean + x * math.log(mean) - math.lgamma(x + 1)) if mean > 0 else float(x == 0)


def negbin(mean, var, x):
    """P(X = x) = C(a+x-1, x) b^x (1-b)^a with a b/(1-b) = mean and a b/(1-b)^2 = var."""
    b = 1 - mean / var
    a = mean * (1 - b) / b
    return math.exp(math.lgamma(a + x) - math.lgamma(a) - math.lgamma(x + 1) + x * math.log(b) + a * math.log(1 - b))


def ebo(pmf, s, top=400):
    """EBO(s) = sum_{x > s} (x - s) p(x)."""
    return sum((x - s) * pmf(x) for x in range(s + 1, top))


def vbo(pmf, s, top=400):
    e = ebo(pmf, s, top)
    return sum((x - s) ** 2 * pmf(x) for x in range(s + 1, top)) - e * e


def fill(pmf, s):
    """P(X < s): a demand finds a part on the shelf."""
    return sum(pmf(x) for x in range(s))


def problem(bases, items, **extra):
    return {"model": "metric", "depot": "D", "bases": bases, "items": items, **extra}


def base(bid, ost, **extra):
    return {"id": bid, "order_ship_time": ost, **extra}


def item(iid, cost, t0, demand, frac=None, times=None):
    out = {"id": iid, "unit_cost": cost, "depot_repair_time": t0, "demand": demand}
    if frac:
        out["base_repair_fraction"] = frac
        out["base_repair_time"] = times
    return out


# --- METRIC by hand ----------------------------------------------------------------------------------------


def test_single_base_metric_is_the_poisson_formula():
    d, t0, ost = 4.0, 0.5, 0.05
    p = parse(problem([base("B", ost)], [item("X", 1, t0, {"B": d})]))
    for s0, s1 in [(0, 0), (1, 0), (2, 1), (3, 4), (6, 2)]:
        out = evaluate(p, {"X": {"D": s0, "B": s1}})["items"]["X"]
        mu0 = d * t0
        e0 = ebo(lambda x: poisson(mu0, x), s0)
        mu_b = d * (ost + e0 / d)  # d (O + EBO_0 / lambda_0), all demand goes to the depot
        assert out["ebo"]["D"] == pytest.approx(e0, rel=1e-9, abs=1e-15)
        assert out["pipeline"]["B"] == pytest.approx(mu_b, rel=1e-12)
        assert out["ebo"]["B"] == pytest.approx(ebo(lambda x: poisson(mu_b, x), s1), rel=1e-9, abs=1e-15)
        assert out["fill_rate"]["B"] == pytest.approx(fill(lambda x: poisson(mu_b, x), s1), abs=1e-12)
        assert out["fill_rate"]["D"] == pytest.approx(fill(lambda x: poisson(mu0, x), s0), abs=1e-12)


def test_depot_and_two_bases_metric_by_hand():
    # A repairs a quarter of its failures itself in 0.02 y; B sends everything to the depot.
    data = problem([base("A", 0.01), base("B", 0.03)],
                   [item("X", 10, 0.5, {"A": 2.0, "B": 1.0}, {"A": 0.25}, {"A": 0.02})])
    p = parse(data)
    res = evaluate(p, {"X": {"D": 1, "A": 1, "B": 0}})
    lam0 = 2.0 * 0.75 + 1.0  # 2.5 a year reach the depot
    mu0 = lam0 * 0.5  # 1.25 in depot repair
    e0 = ebo(lambda x: poisson(mu0, x), 1)
    delay = e0 / lam0
    mu_a = 2.0 * (0.25 * 0.02 + 0.75 * (0.01 + delay))
    mu_b = 1.0 * (0.03 + delay)
    x = res["items"]["X"]
    assert x["ebo"]["D"] == pytest.approx(e0, rel=1e-9)
    assert x["pipeline"]["A"] == pytest.approx(mu_a, rel=1e-12)
    assert x["pipeline"]["B"] == pytest.approx(mu_b, rel=1e-12)
    e_a, e_b = ebo(lambda k: poisson(mu_a, k), 1), ebo(lambda k: poisson(mu_b, k), 0)
    assert x["ebo"]["A"] == pytest.approx(e_a, rel=1e-9)
    assert x["ebo"]["B"] == pytest.approx(e_b, rel=1e-9)
    assert res["total_ebo"] == pytest.approx(e_a + e_b, rel=1e-9)  # the depot's own EBO grounds no aircraft
    assert res["ebo"]["D"] == pytest.approx(e0, rel=1e-9)
    assert res["cost"] == 20
    assert res["availability"] is None  # no aircraft given


def test_availability_is_sherbrookes_product_per_base_and_the_fleet_mean():
    data = problem([base("A", 0.01), base("B", 0.02)],
                   [item("X", 1, 0.3, {"A": 3.0, "B": 2.0}), item("Y", 1, 0.2, {"A": 1.0, "B": 4.0})],
                   aircraft={"A": 10, "B": 5}, qpa={"Y": 2})
    p = parse(data)
    res = evaluate(p, {"X": {"D": 1, "A": 1}, "Y": {"B": 2}})
    e = {i: res["items"][i]["ebo"] for i in ("X", "Y")}
    a_a = (1 - e["X"]["A"] / 10) * (1 - e["Y"]["A"] / 20) ** 2
    a_b = (1 - e["X"]["B"] / 5) * (1 - e["Y"]["B"] / 10) ** 2
    assert res["details"]["availability_by_base"] == pytest.approx({"A": a_a, "B": a_b}, rel=1e-12)
    assert res["availability"] == pytest.approx((10 * a_a + 5 * a_b) / 15, rel=1e-12)


# --- VARI-METRIC ---------------------------------------------------------------------------------------------


TWO_BASES = [base("A", 0.02), base("B", 0.04)]
LUMPY = item("X", 1, 0.6, {"A": 3.0, "B": 1.5}, {"A": 0.2}, {"A": 0.05})


def test_vari_metric_equals_metric_where_the_pipeline_variance_is_its_mean():
    metric = parse(problem(TWO_BASES, [LUMPY]))
    vari = parse({**problem(TWO_BASES, [LUMPY]), "model": "vari-metric"})
    # no depot stock: every depot backorder is a thinned Poisson, so each base pipeline is Poisson
    # deep depot stock: no depot backorders at all
    for s0 in (0, 25):
        stock = {"X": {"D": s0, "A": 2, "B": 1}}
        m, v = evaluate(metric, stock)["items"]["X"], evaluate(vari, stock)["items"]["X"]
        for site in ("D", "A", "B"):
            assert v["ebo"][site] == pytest.approx(m["ebo"][site], rel=1e-9, abs=1e-14)
            assert v["variance"][site] == pytest.approx(v["pipeline"][site], rel=1e-9, abs=1e-14)
    # everything repaired on base: nothing depends on the depot
    local = item("L", 1, 0.6, {"A": 3.0}, {"A": 1.0}, {"A": 0.1})
    stock = {"L": {"A": 1}}
    m = evaluate(parse(problem(TWO_BASES, [local])), stock)["items"]["L"]
    v = evaluate(parse({**problem(TWO_BASES, [local]), "model": "vari-metric"}), stock)["items"]["L"]
    assert v["ebo"]["A"] == pytest.approx(m["ebo"]["A"], rel=1e-12)
    assert m["ebo"]["A"] == pytest.approx(ebo(lambda x: poisson(0.3, x), 1), rel=1e-9)


def test_vari_metric_base_pipeline_is_the_negative_binomial_of_sherbrooke_and_graves():
    p = parse({**problem(TWO_BASES, [LUMPY]), "model": "vari-metric"})
    s0 = 2
    out = evaluate(p, {"X": {"D": s0, "A": 1, "B": 2}})["items"]["X"]
    lam0 = 3.0 * 0.8 + 1.5
    mu0 = lam0 * 0.6
    e0, v0 = ebo(lambda x: poisson(mu0, x), s0), vbo(lambda x: poisson(mu0, x), s0)
    for b, d, r, t, o, s in (("A", 3.0, 0.2, 0.05, 0.02, 1), ("B", 1.5, 0.0, 0.0, 0.04, 2)):
        f = d * (1 - r) / lam0
        rest = d * (r * t + (1 - r) * o)
        mean, var = rest + f * e0, rest + f * (1 - f) * e0 + f * f * v0
        assert var > mean  # the depot's lumpy delay makes the pipeline over-dispersed
        assert out["pipeline"][b] == pytest.approx(mean, rel=1e-9)
        assert out["variance"][b] == pytest.approx(var, rel=1e-9)
        assert out["ebo"][b] == pytest.approx(ebo(lambda x: negbin(mean, var, x), s), rel=1e-8)
        assert out["fill_rate"][b] == pytest.approx(fill(lambda x: negbin(mean, var, x), s), abs=1e-10)
    metric = evaluate(parse(problem(TWO_BASES, [LUMPY])), {"X": {"D": s0, "A": 1, "B": 2}})["items"]["X"]
    assert out["ebo"]["A"] > metric["ebo"]["A"]  # more variance, more backorders (here, with stock above mean)


# --- marginal analysis against exhaustive enumeration --------------------------------------------------------


def allocations(sites, most):
    for v in itertools.product(range(most + 1), repeat=len(sites)):
        if sum(v) <= most:
            yield dict(zip(sites, v))


def best_by_cost(p, stock_of, most, key):
    """For every cost, the best objective over every enumerated stock that costs no more."""
    best: dict[float, float] = {}
    for stock in stock_of(most):
        res = evaluate(p, stock)
        best[res["cost"]] = min(best.get(res["cost"], math.inf), key(res))
    out, run = {}, math.inf
    for cost in sorted(best):
        run = min(run, best[cost])
        out[cost] = run
    return out


def frontier_ok(curve, best, key):
    for point in curve:
        cheaper = [v for c, v in best.items() if c <= point["cost"] + 1e-9]
        assert key(point) <= min(cheaper) + 1e-9, (point, min(cheaper))


CASES = [
    ("metric", [base("A", 0.01), base("B", 0.05)], {"A": 2.0, "B": 0.7}, 0.8, None),
    ("vari-metric", [base("A", 0.01), base("B", 0.05)], {"A": 2.0, "B": 0.7}, 0.8, None),
    ("metric", [base("A", 0.1), base("B", 0.02)], {"A": 4.0, "B": 3.0}, 0.2, {"A": 0.5}),
    ("vari-metric", [base("A", 0.03)], {"A": 5.0}, 0.4, None),
]


@pytest.mark.parametrize("model,bases,demand,t0,frac", CASES)
def test_single_item_curve_points_are_on_the_efficient_frontier(model, bases, demand, t0, frac):
    times = {b: 0.05 for b in frac} if frac else None
    p = parse({**problem(bases, [item("X", 1, t0, demand, frac, times)]), "model": model})
    res = optimize(p, budget=9)
    sites = p.sites
    best = best_by_cost(p, lambda most: ({"X": a} for a in allocations(sites, most)), 9, lambda r: r["total_ebo"])
    frontier_ok(res["curve"], best, lambda r: r["total_ebo"])
    assert len(res["curve"]) >= 4 and res["cost"] <= 9


def test_two_items_of_different_cost_follow_the_frontier():
    bases = [base("A", 0.02)]
    items = [item("X", 1, 0.5, {"A": 3.0}), item("Y", 3, 0.3, {"A": 2.0}, {"A": 0.3}, {"A": 0.05})]
    p = parse(problem(bases, items))
    res = optimize(p, budget=14)

    def stocks(most):
        for a in allocations(["D", "A"], 7):
            for b in allocations(["D", "A"], 5):
                if sum(a.values()) + 3 * sum(b.values()) <= most:
                    yield {"X": a, "Y": b}

    best = best_by_cost(p, stocks, 14, lambda r: r["total_ebo"])
    frontier_ok(res["curve"], best, lambda r: r["total_ebo"])


def test_with_aircraft_at_one_base_the_curve_maximises_availability():
    p = parse(problem([base("A", 0.02)], [item("X", 2, 0.5, {"A": 6.0}), item("Y", 1, 0.2, {"A": 3.0})],
                      aircraft={"A": 12}, qpa={"Y": 2}))
    res = optimize(p, budget=16)

    def stocks(most):
        for a in allocations(["D", "A"], 8):
            for b in allocations(["D", "A"], 8):
                if 2 * sum(a.values()) + sum(b.values()) <= most:
                    yield {"X": a, "Y": b}

    best = best_by_cost(p, stocks, 16, lambda r: -r["availability"])
    frontier_ok([pt for pt in res["curve"] if pt["availability"] > 0.6],  # where -log A is not linearised
                best, lambda r: -r["availability"])


def test_budget_and_target_pick_their_points_of_the_curve():
    data = json.loads(DEMO.read_text())
    p = parse(data)
    full = optimize(p, target=0.95)
    assert full["availability"] >= 0.95 and full["details"]["target_reached"]
    assert full["curve"][-2]["availability"] < 0.95 <= full["curve"][-1]["availability"] + 1e-9
    assert full["curve"][-1]["cost"] == full["cost"]
    budget = full["cost"] * 0.6
    cut = optimize(p, budget=budget, target=None)
    assert cut["details"]["stopped"] == "budget" and cut["cost"] <= budget
    assert cut["availability"] < 0.95
    points = [pt["cost"] for pt in full["curve"]]
    assert cut["cost"] == max(c for c in points if c <= budget)  # the same curve, cut at the budget
    stock_cost = sum(n * next(i["unit_cost"] for i in data["items"] if i["id"] == iid)
                     for iid, v in cut["items"].items() for n in v["stock"].values())
    assert stock_cost == cut["cost"]
    assert set(full) == {"items", "total_ebo", "cost", "availability", "curve", "details"}


def test_curve_without_budget_or_target_runs_to_four_nines():
    p = parse({**json.loads(DEMO.read_text()), "target_availability": None})
    res = optimize(p)
    assert res["details"]["stopped"] == "end" and res["availability"] >= 0.9999
    assert res["curve"][0] == {"cost": 0.0, "total_ebo": pytest.approx(res["curve"][0]["total_ebo"]),
                               "availability": pytest.approx(res["curve"][0]["availability"])}
    assert len(res["curve"]) <= 500


# --- properties ----------------------------------------------------------------------------------------------


@st.composite
def small_problems(draw, aircraft=None, max_bases=3, max_items=3):
    n_bases = draw(st.integers(1, max_bases))
    bases = [base(f"B{k}", draw(st.floats(0, 0.1))) for k in range(n_bases)]
    rate = st.floats(0, 6, allow_nan=False)
    items = []
    for i in range(draw(st.integers(1, max_items))):
        demand = {b["id"]: draw(rate) for b in bases}
        frac = {b["id"]: draw(st.sampled_from([0.0, 0.0, 0.3, 1.0])) for b in bases}
        items.append(item(f"I{i}", draw(st.integers(1, 5)), draw(st.floats(0, 1)), demand, frac,
                          {b["id"]: draw(st.floats(0, 0.1)) for b in bases}))
    data = {**problem(bases, items), "model": draw(st.sampled_from(["metric", "vari-metric"]))}
    if aircraft if aircraft is not None else draw(st.booleans()):
        data["aircraft"] = {b["id"]: draw(st.integers(1, 30)) for b in bases}
        data["qpa"] = {it["id"]: draw(st.integers(1, 3)) for it in items}
    return data


@settings(max_examples=150, deadline=None)
@given(data=small_problems(), seed=st.data())
def test_more_stock_never_means_more_backorders(data, seed):
    p = parse(data)
    sites = p.sites
    stock = {it.id: {s: seed.draw(st.integers(0, 4)) for s in sites} for it in p.items}
    before = evaluate(p, stock)
    iid = seed.draw(st.sampled_from([it.id for it in p.items]))
    site = seed.draw(st.sampled_from(sites))
    more = copy.deepcopy(stock)
    more[iid][site] += 1
    after = evaluate(p, more)
    assert after["total_ebo"] <= before["total_ebo"] + 1e-12
    for s in sites:
        assert after["items"][iid]["ebo"][s] <= before["items"][iid]["ebo"][s] + 1e-12
    for res in (before, after):
        if res["availability"] is not None:
            assert 0.0 <= res["availability"] <= 1.0
        for it in res["items"].values():
            assert all(f is None or 0.0 <= f <= 1.0 for f in it["fill_rate"].values())
            assert all(e >= 0.0 for e in it["ebo"].values())
    if after["availability"] is not None:
        assert after["availability"] >= before["availability"] - 1e-12


@settings(max_examples=100, deadline=None)
@given(data=small_problems(aircraft=False))
def test_curve_cost_rises_and_ebo_falls(data):
    res = optimize(parse(data), budget=30)
    curve = res["curve"]
    assert curve[0]["cost"] == 0
    for a, b in zip(curve, curve[1:]):
        assert b["cost"] > a["cost"]
        assert b["total_ebo"] < a["total_ebo"] + 1e-12
    assert res["cost"] == pytest.approx(curve[-1]["cost"]) and res["cost"] <= 30
    assert res["total_ebo"] == pytest.approx(curve[-1]["total_ebo"], rel=1e-6, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(data=small_problems(aircraft=True, max_bases=1))
def test_at_one_base_availability_rises_along_the_curve(data):
    res = optimize(parse(data), budget=30)
    curve = res["curve"]
    for a, b in zip(curve, curve[1:]):
        assert 0.0 <= a["availability"] <= b["availability"] + 1e-12 <= 1.0 + 1e-12
    assert res["availability"] == pytest.approx(curve[-1]["availability"], rel=1e-6, abs=1e-9)


# --- input errors ------------------------------------------------------------------------------------------


def valid():
    return problem([base("A", 0.01), base("B", 0.02)],
                   [item("X", 10, 0.5, {"A": 2.0, "B": 1.0}, {"A": 0.25}, {"A": 0.02}), item("Y", 5, 0.2, {"B": 1})],
                   aircraft={"A": 10, "B": 8}, qpa={"Y": 2}, stock={"X": {"D": 1, "A": 1}}, budget=100,
                   target_availability=0.9)


def edit(path, value):
    """A copy of ``valid()`` with the field at ``path`` (keys and list indexes) set, or deleted for ``...``."""
    data = valid()
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


BAD = [
    (("depot",), ..., "depot: missing"),
    (("bases",), [], "bases: must list at least one base"),
    (("bases", 0, "order_ship_time"), ..., "bases[0].order_ship_time: missing"),
    (("bases", 1, "id"), "A", "bases[1].id: duplicate base id"),
    (("bases", 1, "id"), "D", "bases[1].id: 'D' is the depot"),
    (("items", 1, "id"), "X", "items[1].id: duplicate item id"),
    (("items", 0, "unit_cost"), "ten", "items[0].unit_cost: must be a number"),
    (("items", 0, "unit_cost"), True, "items[0].unit_cost: must be a number"),
    (("items", 0, "unit_cost"), 0, "items[0].unit_cost: must be positive"),
    (("items", 0, "unit_cost"), 10**400, "items[0].unit_cost: must be at most"),
    (("items", 0, "depot_repair_time"), -0.1, "items[0].depot_repair_time: must not be negative"),
    (("items", 0, "depot_repair_time"), float("nan"), "items[0].depot_repair_time: must be a finite number"),
    (("items", 0, "demand", "A"), -1, "items[0].demand.A: must not be negative"),
    (("items", 0, "demand", "C"), 1, "items[0].demand.C: unknown site"),
    (("items", 0, "demand", "D"), 1, "items[0].demand.D: the depot is not a base"),
    (("items", 0, "demand"), [1], "items[0].demand: must be an object"),
    (("items", 0, "base_repair_fraction", "A"), 1.5, "items[0].base_repair_fraction.A: must be a fraction"),
    (("items", 0, "base_repair_time"), {}, "items[0].base_repair_time.A: missing"),
    (("items", 0, "demand", "A"), 1e6, "items[0]: pipeline of"),
    (("model",), "metrik", "model: unknown model 'metrik'"),
    (("target_availability",), 1.0, "target_availability: must be strictly between 0 and 1"),
    (("target_availability",), 0, "target_availability: must be strictly between 0 and 1"),
    (("aircraft",), ..., "target_availability: needs `aircraft`"),
    (("aircraft", "B"), ..., "aircraft.B: missing"),
    (("aircraft", "C"), 3, "aircraft.C: unknown base"),
    (("aircraft", "A"), 0, "aircraft.A: must be at least 1"),
    (("qpa", "Z"), 1, "qpa.Z: unknown item"),
    (("qpa", "Y"), 0.5, "qpa.Y: must be a whole number"),
    (("stock", "X", "D"), -1, "stock.X.D: must not be negative"),
    (("stock", "X", "E"), 1, "stock.X.E: unknown site"),
    (("stock", "Z"), {}, "stock.Z: unknown item"),
    (("stock", "X", "A"), 1.5, "stock.X.A: must be a whole number"),
    (("budget",), -5, "budget: must not be negative"),
    (("national_depots",), {"DNK": ""}, "national_depots.DNK: must be a non-empty string"),
]


@pytest.mark.parametrize("path,value,message", BAD, ids=[m.split(":")[0] + "-" + str(i) for i, (_, _, m) in
                                                        enumerate(BAD)])
def test_bad_input_names_the_field(path, value, message):
    parse(valid())  # the base case is good
    with pytest.raises(SparesInputError) as err:
        parse(edit(path, value))
    assert str(err.value).startswith(message), str(err.value)


def test_input_that_is_not_an_object():
    for data in (None, [], "x", 3):
        with pytest.raises(SparesInputError, match="^input: must be an object"):
            parse(data)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                                max_size=4),
                    max_leaves=12)


@settings(max_examples=500, deadline=None)
@given(JSON)
def test_random_json_gives_a_problem_or_an_input_error(data):
    try:
        parse(data)
    except SparesInputError:
        pass


def leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from leaves(v, (*path, i))
    yield path


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_valid_file_with_any_field_replaced_parses_or_names_its_error(data):
    doc = valid()
    path = data.draw(st.sampled_from([p for p in leaves(doc) if p]))
    doc = edit(path, data.draw(JSON | st.just(...)))
    try:
        p = parse(doc)
    except SparesInputError as err:
        assert ": " in str(err)
        return
    json.dumps([evaluate(p), optimize(p, budget=50)], allow_nan=False)


# --- pooling -------------------------------------------------------------------------------------------------


def two_nations(pooled_ost=0.02):
    bases = [base("DK1", 0.02, nation="DNK", pooled_order_ship_time=0.02),
             base("FI1", 0.02, nation="FIN", pooled_order_ship_time=pooled_ost),
             base("FI2", 0.02, nation="FIN", pooled_order_ship_time=pooled_ost)]
    items = [item("X", 5, 0.4, {"DK1": 2.0, "FI1": 1.5, "FI2": 1.5}),
             item("Y", 2, 0.25, {"DK1": 3.0, "FI1": 2.0, "FI2": 2.5}, {"DK1": 0.2, "FI1": 0.2, "FI2": 0.2},
                  {"DK1": 0.02, "FI1": 0.02, "FI2": 0.02}),
             item("Z", 9, 0.6, {"DK1": 0.5, "FI1": 0.4, "FI2": 0.4})]
    return problem(bases, items, model="vari-metric", aircraft={"DK1": 4, "FI1": 3, "FI2": 3},
                   target_availability=0.9)


def test_pooling_saves_at_equal_availability_and_the_shapley_split_is_in_the_core():
    res = pool(parse(two_nations()))
    for n in ("DNK", "FIN"):
        assert res["separate"][n]["availability"] >= 0.9 and res["separate"][n]["target_reached"]
        assert res["pooled"]["availability_by_nation"][n] >= 0.9
    alone = res["separate"]["DNK"]["cost"] + res["separate"]["FIN"]["cost"]
    assert res["separate_cost"] == alone
    assert res["saving"] == alone - res["pooled"]["cost"] >= 0
    assert res["saving_pct"] == pytest.approx(100 * res["saving"] / alone)
    split = res["split"]
    for how in ("shapley", "proportional"):
        assert sum(split[how].values()) == pytest.approx(res["pooled"]["cost"])
    for n in ("DNK", "FIN"):
        assert split["shapley"][n] <= res["separate"][n]["cost"] + 1e-9
        # two players: stand-alone cost minus half the saving
        assert split["shapley"][n] == pytest.approx(res["separate"][n]["cost"] - res["saving"] / 2)
    assert split["in_core"]["shapley"] is True
    assert any("Shapley" in line for line in split["reasoning"])


def test_pool_stock_sits_at_the_shared_depot_and_separate_stock_at_national_ones():
    data = {**two_nations(), "national_depots": {"DNK": "DK depot", "FIN": "FI depot"}}
    res = pool(parse(data))
    assert set(res["pooled"]["stock"]["X"]) == {"D", "DK1", "FI1", "FI2"}
    assert set(res["separate"]["DNK"]["stock"]["X"]) == {"DK depot", "DK1"}
    assert set(res["separate"]["FIN"]["stock"]["X"]) == {"FI depot", "FI1", "FI2"}


def test_pool_needs_nations_aircraft_and_a_target():
    data = two_nations()
    del data["bases"][1]["nation"]
    with pytest.raises(SparesInputError, match=r"^bases\[1\]\.nation: missing"):
        pool(parse(data))
    data = two_nations()
    del data["target_availability"]
    with pytest.raises(SparesInputError, match="^target_availability: missing"):
        pool(parse(data))
    res = pool(parse(data), target=0.8)
    assert res["target"] == 0.8
    data = two_nations()
    for b in data["bases"]:
        b["nation"] = "DNK"
    with pytest.raises(SparesInputError, match="^bases: pooling needs 2"):
        pool(parse(data))


def test_demo_file_parses_and_pooling_pays():
    data = json.loads(DEMO.read_text())
    assert "INVENTED" in data["note"]
    p = parse(data)
    assert len(p.items) >= 30
    assert p.aircraft == {"Skrydstrup": 43, "Rovaniemi": 32, "Kuopio-Rissala": 32}
    assert sum(n for b, n in p.aircraft.items() if b != "Skrydstrup") == 64
    res = pool(p, target=0.9)
    assert res["saving"] > 0
    assert res["split"]["in_core"]["shapley"]


def test_the_json_entry_points_parse_then_run():
    data = json.loads(DEMO.read_text())
    results = [evaluate_data(data), optimize_data(data), pool_data(data)]
    assert results[0]["cost"] == 0  # the demo file holds no stock
    assert results[1]["availability"] >= 0.9  # its target_availability
    assert results[2]["target"] == 0.9
    for res in results:
        json.dumps(res, allow_nan=False)  # plain JSON: no NaN or infinity, string keys
    with pytest.raises(SparesInputError, match="^depot: missing"):
        optimize_data({"bases": []})
