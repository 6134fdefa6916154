"""Exercise participation planner: which units attend which exercises so that the most valuable
Danish-Finnish training objectives are met within each nation's budget.

Pure logic: a dict in (the JSON of a plan file), a dict out; no database, no HTTP, no clock other than the
solver's own time limit. ``docs/exercises.md`` ("Planner") describes the file format and the output with
examples; this docstring records the rules and the decisions behind them.

Rules
    A unit attends an exercise only if every day of the exercise (start and end inclusive) is a day the unit
    is available. Availability windows are sets of days: overlapping or adjacent windows join, so
    ``[[03-01, 03-10], [03-11, 03-20]]`` covers an exercise from 03-08 to 03-12; with windows that neither
    overlap nor touch this is exactly "inside one window". A unit never attends two exercises whose date spans
    overlap (a shared end/start day is an overlap), at most ``max_exercises`` of them, and each attendance
    costs the exercise's ``cost`` for the unit's nation; each nation's total stays within its ``budget``.
    ``fixed`` attendances are kept. An objective is met when both its units attend one exercise that
    practises it; the plan's value is the sum of the priorities of the objectives met (each counted once).

Model (CP-SAT)
    A boolean x[u, e] only for the unit-exercise pairs that fit availability and where one of the unit's
    objectives can be met (plus the fixed pairs): any other attendance meets nothing and only spends. Overlaps
    as one AddAtMostOne per maximal clique of a unit's overlapping exercises (intervals: every maximal clique
    is the set of exercises running on some exercise's start day); y[o, e] <= x[u1, e], x[u2, e] (one y per
    exercise and unit pair, shared by that pair's objectives); met[o] <= sum_e y[o, e]; maximise
    sum priority[o] * met[o], with the full linear relaxation (``_parameters``). One worker and a fixed seed
    by default, so a run that finishes within its time limit is repeatable. The time limit covers the three
    searches (two separate plans, then the joint one); building the models and reading the plan back come on
    top (about 0.1 s for a year of 40 exercises and 150 units). The plan lists only attendances that meet an
    objective, and the fixed ones: an attendance the solver left in that meets nothing is dropped.

Integer scaling
    CP-SAT works in integers. Costs and budgets share one scale 10**k, k the most decimal places any of them
    has (at most 6), so ``12.5`` and ``0.25`` are exact at k = 2. Beyond 6 places (or when the sums would leave
    the solver's 64-bit range) costs round up and budgets round down: the plan never spends more than the
    true budget. The model's budget is what the fixed attendances leave (counted exactly), so a fixed set that
    fits the budget stays feasible however the rounding falls. Priorities get their own scale the same way,
    rounded to nearest beyond 6 places; they only steer the search. Every figure in the output (value, bound,
    cost) is computed exactly from the input numbers.

Fixed attendances
    All rules are per unit or per nation and no rule is broken by dropping an attendance, so a plan exists if
    and only if the fixed attendances alone keep the rules. ``parse_problem`` therefore rejects a fixed set
    that breaks a rule with a ``PlanInputError`` naming the entry (``fixed[2]: ...``), and ``plan`` never
    answers "infeasible". ``solve`` on a ``Problem`` built in code without ``parse_problem`` checks the same
    and answers status "infeasible" (value and bound None, an empty plan).

Separate planning (``separate`` in the output)
    What the two nations would reach planning alone: each nation maximises the priority its own units could
    meet assuming the partner's units come to every exercise they are available for, under its own budget,
    availability, overlap, max_exercises and fixed attendances. The two nations' choices are then combined,
    and the value of the combination counts only objectives whose two units really attend one practising
    exercise. The combination keeps every rule (each rule concerns one unit or one nation), so the joint
    solver gets it as a hint, and if the joint search ends below it (time limit) the combination is returned
    as the plan with status "feasible": the joint value is never below the separate value.

Why an objective is open (``open[].why``), diagnosed in this order
    "no common exercise"   no exercise practises it;
    "availability"         no exercise that practises it fits both units' availability;
    otherwise each fitting practising exercise is tried with the rest of the plan fixed: adding the missing
    attendances of the two units to it would break
    "overlap"              a unit already attends an exercise on overlapping days,
    "max_exercises"        a unit already attends its maximum,
    "budget"               a nation's spending would pass its budget.
    The first of these that blocks every fitting exercise is the reason; when the exercises are blocked by
    different rules and no one rule blocks them all, "combination: overlap, budget" (the rules involved, in
    the order above). When some exercise breaks no rule, nothing was lost by leaving the objective out:
    "priority: other objectives were worth more" (its priority is 0, or too small to count at the priority
    scale), or "time limit" when the search stopped before it proved the plan optimal.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from dkfi.core.jsoninput import Reader, kind

from ortools.sat.python import cp_model

NATIONS = ("DNK", "FIN")
MAX_AMOUNT = Decimal(10) ** 12  # costs, budgets and priorities above this are input errors (int64 headroom)
MAX_PLACES = 6  # decimal places kept exactly when scaling to integers
SEED = 20240601  # fixed solver seed: same input, same plan (within the time limit)
SEPARATE_SHARE = 0.15  # of the time limit, at most, for each nation's separate plan; the joint plan gets the rest
READ_BACK_SHARE = 0.05  # of the time limit, kept for reading the plan back (value, open objectives and why)
_INT_RANGE = 2**60  # keep every scaled linear expression well inside CP-SAT's int64
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class PlanInputError(ValueError):
    """A plan file that does not describe a planning problem; the message names the field and the reason."""


Pair = tuple[str, str]  # (unit id, exercise id)


@dataclass(frozen=True)
class Exercise:
    """An exercise: its dates (inclusive), cost per attending unit by the unit's nation, objectives practised."""

    id: str
    start: date
    end: date
    cost: Mapping[str, Decimal] = field(hash=False)
    practises: tuple[str, ...]

    def overlaps(self, other: Exercise) -> bool:
        """True when the two date spans share a day: a unit cannot be at both."""
        return self.start <= other.end and other.start <= self.end

    def span(self) -> str:
        """The dates as messages show them: ``2026-03-01..2026-03-05``."""
        return f"{self.start}..{self.end}"


@dataclass(frozen=True)
class Unit:
    """A unit: its nation, the days it is available, and how many exercises it may attend."""

    id: str
    nation: str
    available: tuple[tuple[date, date], ...]
    max_exercises: int

    def can_attend(self, exercise: Exercise) -> bool:
        """True when every day of the exercise is an available day (windows join: module doc)."""
        return any(a <= exercise.start and exercise.end <= b for a, b in _join(self.available))


@dataclass(frozen=True)
class Objective:
    """A training objective: met when its two units attend one exercise that practises it."""

    id: str
    units: tuple[str, str]
    priority: Decimal


@dataclass(frozen=True)
class Problem:
    """A validated planning problem (``parse_problem``); amounts are exact decimals."""

    exercises: tuple[Exercise, ...]
    units: tuple[Unit, ...]
    objectives: tuple[Objective, ...]
    budget: Mapping[str, Decimal] = field(hash=False)
    fixed: tuple[Pair, ...] = ()


def _join(windows: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Availability windows as disjoint spans: overlapping or adjacent (next-day) windows merge."""
    out: list[tuple[date, date]] = []
    for a, b in sorted(windows):
        if out and a <= out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


# ---------------------------------------------------------------------------------------------------------
# Reading the input: every failure names its field path, never a traceback for a bad shape.


_READ = Reader(PlanInputError)
_fail = _READ.fail
_kind = kind
_mapping = _READ.mapping
_list = _READ.list
_key = _READ.key
_ident = _READ.ident


def _date(value: Any, path: str) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _fail(path, f"must be a date YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(path, f"{value!r} is not a calendar date") from None


def _amount(value: Any, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(path, f"must be a number, got {_kind(value)}")
    number = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    if not number.is_finite():
        raise _fail(path, "must be a finite number")
    if number < 0:
        raise _fail(path, "must not be negative")
    if number > MAX_AMOUNT:
        raise _fail(path, f"must be at most {MAX_AMOUNT:f}")
    return number


def _count(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, f"must be a whole number, got {_kind(value)}")
    if value < 0:
        raise _fail(path, "must not be negative")
    return value


def _per_nation(value: Any, path: str) -> dict[str, Decimal]:
    obj = _mapping(value, path)
    for key in obj:
        if key not in NATIONS:
            raise _fail(f"{path}.{key}", "unknown nation (DNK or FIN)")
    return {n: _amount(_key(obj, n, path), f"{path}.{n}") for n in NATIONS}


def _unique(ids: Sequence[str], path: str, what: str) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise _fail(f"{path}[{i}].id", f"duplicate {what} id {ident!r}")
        seen.add(ident)


def parse_problem(data: Any) -> Problem:
    """Validate a plan file's JSON and convert it; a ``PlanInputError`` names the first bad field.

    Keys other than the documented ones (a ``name``, say) are ignored.
    """
    top = _mapping(data, "input")

    exercises_raw = _list(_key(top, "exercises", ""), "exercises")
    units_raw = _list(_key(top, "units", ""), "units")
    objectives_raw = _list(_key(top, "objectives", ""), "objectives")
    budget = _per_nation(_key(top, "budget", ""), "budget")
    fixed_raw = _list(top.get("fixed", []), "fixed")

    units: list[Unit] = []
    for i, raw in enumerate(units_raw):
        path = f"units[{i}]"
        obj = _mapping(raw, path)
        uid = _ident(_key(obj, "id", path), f"{path}.id")
        nation = _key(obj, "nation", path)
        if nation not in NATIONS:
            raise _fail(f"{path}.nation", f"must be DNK or FIN, got {nation!r}")
        windows = []
        for j, w in enumerate(_list(_key(obj, "available", path), f"{path}.available")):
            wpath = f"{path}.available[{j}]"
            if not isinstance(w, list) or len(w) != 2:
                raise _fail(wpath, f"must be a list [start, end] of two dates, got {_kind(w)}")
            a, b = _date(w[0], f"{wpath}[0]"), _date(w[1], f"{wpath}[1]")
            if b < a:
                raise _fail(f"{wpath}[1]", f"{b} is before start {a}")
            windows.append((a, b))
        units.append(Unit(uid, nation, tuple(windows), _count(_key(obj, "max_exercises", path),
                                                               f"{path}.max_exercises")))
    _unique([u.id for u in units], "units", "unit")
    unit_ids = {u.id for u in units}

    objectives: list[Objective] = []
    for i, raw in enumerate(objectives_raw):
        path = f"objectives[{i}]"
        obj = _mapping(raw, path)
        oid = _ident(_key(obj, "id", path), f"{path}.id")
        pair = _list(_key(obj, "units", path), f"{path}.units")
        if len(pair) != 2:
            raise _fail(f"{path}.units", f"must name exactly two units, got {len(pair)}")
        for j, ref in enumerate(pair):
            if not isinstance(ref, str) or ref not in unit_ids:
                raise _fail(f"{path}.units[{j}]", f"unknown unit {ref!r}")
        if pair[0] == pair[1]:
            raise _fail(f"{path}.units", f"must name two different units, got {pair[0]!r} twice")
        objectives.append(Objective(oid, (pair[0], pair[1]), _amount(_key(obj, "priority", path),
                                                                      f"{path}.priority")))
    _unique([o.id for o in objectives], "objectives", "objective")
    objective_ids = {o.id for o in objectives}

    exercises: list[Exercise] = []
    for i, raw in enumerate(exercises_raw):
        path = f"exercises[{i}]"
        obj = _mapping(raw, path)
        eid = _ident(_key(obj, "id", path), f"{path}.id")
        start = _date(_key(obj, "start", path), f"{path}.start")
        end = _date(_key(obj, "end", path), f"{path}.end")
        if end < start:
            raise _fail(f"{path}.end", f"{end} is before start {start}")
        cost = _per_nation(_key(obj, "cost", path), f"{path}.cost")
        practises: list[str] = []
        for j, ref in enumerate(_list(_key(obj, "practises", path), f"{path}.practises")):
            if not isinstance(ref, str) or ref not in objective_ids:
                raise _fail(f"{path}.practises[{j}]", f"unknown objective {ref!r}")
            if ref in practises:
                raise _fail(f"{path}.practises[{j}]", f"objective {ref!r} listed twice")
            practises.append(ref)
        exercises.append(Exercise(eid, start, end, cost, tuple(practises)))
    _unique([e.id for e in exercises], "exercises", "exercise")
    exercise_ids = {e.id for e in exercises}

    fixed: list[Pair] = []
    for i, raw in enumerate(fixed_raw):
        path = f"fixed[{i}]"
        obj = _mapping(raw, path)
        uid, eid = _key(obj, "unit", path), _key(obj, "exercise", path)
        if not isinstance(uid, str) or uid not in unit_ids:
            raise _fail(f"{path}.unit", f"unknown unit {uid!r}")
        if not isinstance(eid, str) or eid not in exercise_ids:
            raise _fail(f"{path}.exercise", f"unknown exercise {eid!r}")
        if (uid, eid) in fixed:
            raise _fail(path, f"duplicate of fixed[{fixed.index((uid, eid))}]")
        fixed.append((uid, eid))

    problem = Problem(tuple(exercises), tuple(units), tuple(objectives), budget, tuple(fixed))
    broken = fixed_conflicts(problem)
    if broken:
        raise PlanInputError(broken[0])
    return problem


def fixed_conflicts(problem: Problem) -> list[str]:
    """Every rule the fixed attendances alone break, as messages naming the entry (empty: a plan exists)."""
    ex = {e.id: e for e in problem.exercises}
    un = {u.id: u for u in problem.units}
    out: list[str] = []
    per_unit: dict[str, list[int]] = {}
    spend = {n: Decimal(0) for n in NATIONS}
    for i, (uid, eid) in enumerate(problem.fixed):
        unit, exercise = un[uid], ex[eid]
        if not unit.can_attend(exercise):
            out.append(f"fixed[{i}]: unit {uid!r} is not available for exercise {eid!r} ({exercise.span()})")
        for j in per_unit.get(uid, []):
            other = ex[problem.fixed[j][1]]
            if other.overlaps(exercise):
                out.append(f"fixed[{i}]: exercise {eid!r} ({exercise.span()}) overlaps {other.id!r} "
                           f"({other.span()}, fixed[{j}]) for unit {uid!r}")
        per_unit.setdefault(uid, []).append(i)
        if len(per_unit[uid]) == unit.max_exercises + 1:
            out.append(f"fixed[{i}]: unit {uid!r} would attend {len(per_unit[uid])} fixed exercises, above its "
                       f"max_exercises {unit.max_exercises}")
        spend[unit.nation] += exercise.cost[unit.nation]
    for n in NATIONS:
        if spend[n] > problem.budget[n]:
            out.append(f"fixed: the {n} fixed attendances cost {_number(spend[n])}, above budget.{n} "
                       f"{_number(problem.budget[n])}")
    return out


# ---------------------------------------------------------------------------------------------------------
# The model.


def _places(amounts: Iterable[Decimal]) -> int:
    """Decimal places needed to write every amount exactly (capped at MAX_PLACES)."""
    k = 0
    for a in amounts:
        exponent = a.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            k = max(k, -exponent)
    return min(k, MAX_PLACES)


def _scaled(amount: Decimal, k: int, rounding: str) -> int:
    return int((amount.scaleb(k)).to_integral_value(rounding=rounding))


def _scale_for(amounts: Sequence[Decimal], total: Decimal) -> int:
    """The exponent k of the common integer scale 10**k (module doc: "Integer scaling")."""
    k = _places(amounts)
    while k > 0 and total.scaleb(k) > _INT_RANGE:
        k -= 1
    return k


class _Index:
    """What every solve needs, computed once: fitting pairs, overlap cliques, candidates, integer amounts."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.ex = {e.id: e for e in problem.exercises}
        self.unit = {u.id: u for u in problem.units}
        self.obj = {o.id: o for o in problem.objectives}
        by_start = sorted(problem.exercises, key=lambda e: (e.start, e.end, e.id))
        self.fits: dict[str, list[str]] = {}
        for u in problem.units:
            spans = _join(u.available)  # Unit.can_attend, with the windows joined once per unit
            self.fits[u.id] = [e.id for e in by_start if any(a <= e.start and e.end <= b for a, b in spans)]
        fitting = {(u, e) for u, es in self.fits.items() for e in es}
        self.pairs = [(u, e) for u, es in self.fits.items() for e in es]
        self.practised_by: dict[str, list[str]] = {o.id: [] for o in problem.objectives}
        for e in by_start:
            for oid in e.practises:
                self.practised_by[oid].append(e.id)
        # Exercises an objective can be met at: practising it and fitting both units.
        self.candidates = {
            o.id: [e for e in self.practised_by[o.id] if all((u, e) in fitting for u in o.units)]
            for o in problem.objectives}

        costs = [self._cost_exact(u, e) for u, e in self.pairs]
        budgets = [problem.budget[n] for n in NATIONS]
        self.cost_k = _scale_for(costs + budgets, sum(costs, Decimal(0)) + sum(budgets, Decimal(0)))
        self.cost = {p: _scaled(c, self.cost_k, ROUND_CEILING) for p, c in zip(self.pairs, costs)}
        # The model's budget is what the fixed attendances leave, so that rounding (beyond MAX_PLACES) can never
        # make the fixed attendances alone look over budget: they were checked exactly (fixed_conflicts).
        self.fixed = set(problem.fixed)
        left = {n: problem.budget[n] - sum((self.cost_of(p) for p in self.fixed if self.unit[p[0]].nation == n),
                                           Decimal(0)) for n in NATIONS}
        self.budget = {n: _scaled(max(left[n], Decimal(0)), self.cost_k, ROUND_FLOOR) for n in NATIONS}
        priorities = [o.priority for o in problem.objectives]
        self.priority_k = _scale_for(priorities, sum(priorities, Decimal(0)))
        self.weight = {o.id: _scaled(o.priority, self.priority_k, ROUND_HALF_EVEN) for o in problem.objectives}

        # The pairs worth a variable: a unit at an exercise where one of its objectives with a priority can be met,
        # and the fixed pairs. Any other attendance meets nothing and only spends, so no plan needs it.
        wanted = set(problem.fixed)
        for o in problem.objectives:
            if self.weight[o.id] > 0:
                wanted.update((u, e) for e in self.candidates[o.id] for u in o.units)
        self.useful = {u: [e for e in es if (u, e) in wanted] for u, es in self.fits.items()}
        self.cliques = {u: self._cliques(es) for u, es in self.useful.items()}

    def _cost_exact(self, unit: str, exercise: str) -> Decimal:
        return self.ex[exercise].cost[self.unit[unit].nation]

    def _cliques(self, exercise_ids: list[str]) -> list[list[str]]:
        """Maximal sets of mutually overlapping exercises among a unit's fitting ones (sorted by start).

        For intervals, the exercises running on the latest start day of any overlapping group all share that
        day, so the groups "running on exercise e's start day" over all e include every maximal clique.
        """
        spans = [self.ex[e] for e in exercise_ids]
        groups: list[frozenset[str]] = []
        for e in spans:
            group = frozenset(f.id for f in spans if f.start <= e.start <= f.end)
            if len(group) > 1 and group not in groups:
                groups.append(group)
        maximal = [g for g in groups if not any(g < h for h in groups)]
        order = {e: i for i, e in enumerate(exercise_ids)}
        return [sorted(g, key=order.__getitem__) for g in maximal]

    def cost_of(self, pair: Pair) -> Decimal:
        """The exact cost of one attendance to the unit's nation."""
        return self._cost_exact(*pair)


# An objective term for a model: (objective id, weight, [(exercise, units of the objective to be planned)]).
_Goal = tuple[str, int, list[tuple[str, tuple[str, ...]]]]


@dataclass
class _Outcome:
    status: str  # optimal | feasible | infeasible | unknown (no solution within the time limit)
    attend: set[Pair]
    bound: int | None  # scaled objective bound
    seconds: float


_STATUS = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible", cp_model.INFEASIBLE: "infeasible",
           cp_model.UNKNOWN: "unknown"}


def _parameters(solver: cp_model.CpSolver, time_limit_s: float, workers: int) -> None:
    """Solver settings: repeatable, and the full linear relaxation.

    ``linearization_level`` 2 puts every constraint into the LP, which gives a bound tight enough to prove
    optimality: on the year-sized bench (bench/planner.py) the default level stalls at a 20 % gap after 60 s
    on one worker, level 2 proves the optimum in about 0.2 s.
    """
    solver.parameters.max_time_in_seconds = max(time_limit_s, 0.001)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = SEED
    solver.parameters.linearization_level = 2


def _solve_model(ix: _Index, units: Sequence[str], goals: Sequence[_Goal], *, hint: set[Pair] | None,
                 time_limit_s: float, workers: int) -> _Outcome:
    """Build and solve one CP-SAT model over ``units``' attendances; the rules of the module doc."""
    t0 = time.perf_counter()
    m = cp_model.CpModel()
    x = {(u, e): m.new_bool_var(f"x[{u},{e}]") for u in units for e in ix.useful[u]}
    planned = set(units)
    for pair in ix.problem.fixed:
        if pair[0] in planned:
            m.add(x[pair] == 1)  # a pair that does not fit is excluded before solving (fixed_conflicts)
    for u in units:
        for clique in ix.cliques[u]:
            m.add_at_most_one(x[u, e] for e in clique)
        if len(ix.useful[u]) > ix.unit[u].max_exercises:
            m.add(cp_model.LinearExpr.sum([x[u, e] for e in ix.useful[u]]) <= ix.unit[u].max_exercises)
    for n in NATIONS:
        ps = [p for p in x if ix.unit[p[0]].nation == n and p not in ix.fixed]  # fixed: paid out of the budget
        if sum(ix.cost[p] for p in ps) > ix.budget[n]:
            m.add(cp_model.LinearExpr.weighted_sum([x[p] for p in ps], [ix.cost[p] for p in ps]) <= ix.budget[n])

    together: dict[tuple[str, tuple[str, ...]], Any] = {}  # y[e, units]: shared by objectives of one pair
    met_vars, weights, hints = [], [], []
    for oid, weight, cands in goals:
        lits = []
        for e, need in cands:
            if len(need) == 1:
                lits.append(x[need[0], e])
                continue
            key = (e, need)
            if key not in together:
                y = together[key] = m.new_bool_var(f"y[{e},{'+'.join(need)}]")
                for u in need:
                    m.add_implication(y, x[u, e])
                if hint is not None:
                    hints.append((y, all((u, e) in hint for u in need)))
            lits.append(together[key])
        met = m.new_bool_var(f"met[{oid}]")
        m.add_bool_or([*lits, met.Not()])
        met_vars.append(met)
        weights.append(weight)
        if hint is not None:
            hints.append((met, any(all((u, e) in hint for u in need) for e, need in cands)))
    m.maximize(cp_model.LinearExpr.weighted_sum(met_vars, weights))
    if hint is not None:
        for p, var in x.items():
            m.add_hint(var, p in hint)
        for var, value in hints:
            m.add_hint(var, value)

    solver = cp_model.CpSolver()
    _parameters(solver, time_limit_s, workers)
    code = solver.solve(m)
    if code == cp_model.MODEL_INVALID:
        raise RuntimeError(f"planner built an invalid model: {m.validate()}")
    status = _STATUS[code]
    attend = {p for p, var in x.items() if solver.boolean_value(var)} if status in ("optimal", "feasible") else set()
    bound = round(solver.best_objective_bound) if status in ("optimal", "feasible") else None
    return _Outcome(status, attend, bound, time.perf_counter() - t0)


def _prune(ix: _Index, attend: set[Pair], nation: str | None) -> set[Pair]:
    """The attendances that meet an objective, and the fixed ones: a unit is not sent for nothing.

    The solver is indifferent to an attendance that meets nothing (it only spends budget), so such attendances
    are dropped after solving; no rule is broken by dropping one. For one nation's separate plan (``nation``),
    "meets" counts that nation's units only, the partner assumed present.
    """
    keep = set(ix.problem.fixed)
    for o in ix.problem.objectives:
        need = [u for u in o.units if nation is None or ix.unit[u].nation == nation]
        for e in ix.candidates[o.id]:
            if need and all((u, e) in attend for u in need):
                keep.update((u, e) for u in need)
    return keep & attend


def _goals(ix: _Index, nation: str | None) -> list[_Goal]:
    """Objective terms: all objectives (joint), or those one nation's units take part in (``separate``)."""
    goals: list[_Goal] = []
    for o in ix.problem.objectives:
        need = tuple(u for u in o.units if nation is None or ix.unit[u].nation == nation)
        if ix.weight[o.id] > 0 and need and ix.candidates[o.id]:
            goals.append((o.id, ix.weight[o.id], [(e, need) for e in ix.candidates[o.id]]))
    return goals


# ---------------------------------------------------------------------------------------------------------
# Reading a plan back: value, objectives met, why the others are open.


def _number(d: Decimal) -> int | float:
    """An exact decimal for JSON: an int when whole."""
    return int(d) if d == d.to_integral_value() else float(d)


def _met(ix: _Index, attend: set[Pair]) -> list[str]:
    return sorted(o.id for o in ix.problem.objectives
                  if any(all((u, e) in attend for u in o.units) for e in ix.practised_by[o.id]))


def _value(ix: _Index, met: Iterable[str]) -> Decimal:
    return sum((ix.obj[o].priority for o in met), Decimal(0))


def _spend(ix: _Index, attend: Iterable[Pair]) -> dict[str, Decimal]:
    out = {n: Decimal(0) for n in NATIONS}
    for p in attend:
        out[ix.unit[p[0]].nation] += ix.cost_of(p)
    return out


def _listing(ix: _Index, attend: Iterable[Pair]) -> list[dict[str, str]]:
    """Attendances sorted by unit, then by the exercise's dates."""
    rows = sorted(attend, key=lambda p: (p[0], ix.ex[p[1]].start, ix.ex[p[1]].end, p[1]))
    return [{"unit": u, "exercise": e} for u, e in rows]


_RULES = ("overlap", "max_exercises", "budget")


def _why(ix: _Index, oid: str, attend: set[Pair], proven: bool) -> str:
    """The binding reason an objective is open, diagnosed in the module doc's order."""
    if not ix.practised_by[oid]:
        return "no common exercise"
    if not ix.candidates[oid]:
        return "availability"
    by_unit: dict[str, list[str]] = {}
    for u, e in attend:
        by_unit.setdefault(u, []).append(e)
    spend = {n: 0 for n in NATIONS}  # beyond the fixed attendances, as the model counts it
    for p in attend - ix.fixed:
        spend[ix.unit[p[0]].nation] += ix.cost[p]
    blocked: list[set[str]] = []
    for e in ix.candidates[oid]:
        broken: set[str] = set()
        extra = dict.fromkeys(NATIONS, 0)
        for u in ix.obj[oid].units:
            mine = by_unit.get(u, [])
            if e in mine:
                continue
            if any(ix.ex[f].overlaps(ix.ex[e]) for f in mine):
                broken.add("overlap")
            if len(mine) >= ix.unit[u].max_exercises:
                broken.add("max_exercises")
            extra[ix.unit[u].nation] += ix.cost[u, e]
        if any(extra[n] and spend[n] + extra[n] > ix.budget[n] for n in NATIONS):
            broken.add("budget")
        if not broken:
            return "priority: other objectives were worth more" if proven or ix.weight[oid] == 0 else "time limit"
        blocked.append(broken)
    for rule in _RULES:
        if all(rule in b for b in blocked):
            return rule
    return "combination: " + ", ".join(r for r in _RULES if any(r in b for b in blocked))


def _separate_report(ix: _Index, outcomes: Mapping[str, _Outcome]) -> dict[str, Any]:
    combined = set().union(*(o.attend for o in outcomes.values()))
    met = _met(ix, combined)
    report: dict[str, Any] = {"value": _number(_value(ix, met)), "met": met}
    for n, out in outcomes.items():
        # What the nation planned for: its units' side of each objective, the partner assumed present.
        assumed = [o for o in ix.problem.objectives
                   if any(ix.unit[u].nation == n for u in o.units)
                   and any(all((u, e) in out.attend for u in o.units if ix.unit[u].nation == n)
                           for e in ix.candidates[o.id])]
        report[n] = {"status": out.status, "attend": _listing(ix, out.attend),
                     "cost": _number(_spend(ix, out.attend)[n]),
                     "assumed_value": _number(_value(ix, (o.id for o in assumed))),
                     "solve_s": round(out.seconds, 3)}
    return report


def _infeasible(t0: float) -> dict[str, Any]:
    zero = {n: 0 for n in NATIONS}
    nation = {"status": "infeasible", "attend": [], "cost": 0, "assumed_value": None, "solve_s": 0.0}
    return {"status": "infeasible", "value": None, "bound": None, "attend": [], "met": [], "open": [],
            "cost": zero, "separate": {"value": None, "met": [], **{n: dict(nation) for n in NATIONS}},
            "solve_s": round(time.perf_counter() - t0, 3)}


def solve(problem: Problem, *, time_limit_s: float = 10.0, workers: int = 1) -> dict[str, Any]:
    """The best plan found within ``time_limit_s`` (all three solves together), never below ``separate``.

    ``workers`` is CP-SAT's number of search workers: 1 is repeatable and suits a one-core machine.
    """
    if time_limit_s <= 0:
        raise ValueError("time_limit_s must be positive")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    t0 = time.perf_counter()
    if fixed_conflicts(problem):
        return _infeasible(t0)
    ix = _Index(problem)

    separate: dict[str, _Outcome] = {}
    for n in NATIONS:
        units = [u.id for u in problem.units if u.nation == n]
        separate[n] = _solve_model(ix, units, _goals(ix, n), hint=None,
                                   time_limit_s=time_limit_s * SEPARATE_SHARE, workers=workers)
    if any(o.status == "infeasible" for o in separate.values()):
        raise RuntimeError("planner: a nation's plan is infeasible although the fixed attendances keep the rules")
    for n, out in separate.items():
        if out.status == "unknown":  # no plan in time: the fixed attendances alone keep every rule
            out.attend = {p for p in problem.fixed if ix.unit[p[0]].nation == n}
        out.attend = _prune(ix, out.attend, n)
    combined = set().union(*(o.attend for o in separate.values()))
    separate_value = _value(ix, _met(ix, combined))

    remaining = time_limit_s * (1 - READ_BACK_SHARE) - (time.perf_counter() - t0)
    joint = _solve_model(ix, [u.id for u in problem.units], _goals(ix, None), hint=combined,
                         time_limit_s=remaining, workers=workers)
    if joint.status == "infeasible":
        raise RuntimeError("planner: the joint plan is infeasible although the fixed attendances keep the rules")
    attend, status = joint.attend, joint.status
    if status == "unknown" or _value(ix, _met(ix, attend)) < separate_value:
        attend, status = combined, "feasible"
    attend = _prune(ix, attend, None)

    met = _met(ix, attend)
    value = _value(ix, met)
    if status == "optimal":
        bound = value
    elif joint.bound is not None:
        bound = max(value, Decimal(joint.bound).scaleb(-ix.priority_k))
    else:  # no search result: every objective that has a fitting exercise
        bound = sum((o.priority for o in problem.objectives if ix.candidates[o.id]), Decimal(0))
    proven = status == "optimal"
    open_ = [{"objective": o.id, "why": _why(ix, o.id, attend, proven)}
             for o in sorted(problem.objectives, key=lambda o: o.id) if o.id not in met]
    return {
        "status": status,
        "value": _number(value),
        "bound": _number(bound),
        "attend": _listing(ix, attend),
        "met": met,
        "open": open_,
        "cost": {n: _number(c) for n, c in _spend(ix, attend).items()},
        "separate": _separate_report(ix, separate),
        "solve_s": round(time.perf_counter() - t0, 3),
    }


def plan(data: Any, **kw: Any) -> dict[str, Any]:
    """Parse a plan file's JSON and solve it: ``solve(parse_problem(data), **kw)``."""
    return solve(parse_problem(data), **kw)
