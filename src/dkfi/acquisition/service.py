"""The logic of military acquisitions, no HTTP: plans, matching over what a session may see, and the joint case
workflow. Functions never commit; the API, CLI and seed own the transaction."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dkfi.acquisition.models import STAGES, VEHICLES, CaseDecision, JointCase, Opportunity, PlanItem
from dkfi.core.labels import Classification, Label, combine
from dkfi.core import records
from dkfi.core.records import LifecycleError, record_label

NATIONS = ("DNK", "FIN")
PLAN_LABEL = Label(Classification.RESTRICTED, ("DNK", "FIN"))
# EU member states (ISO 3166 alpha-3), for the eligibility check of EU instruments (at least three of them)
EU = frozenset("AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU SVK "
               "SVN ESP SWE".split())
EU_MIN_STATES = 3


class Invalid(ValueError):
    """Input that refers to something impossible (the message names the field)."""


bare = records.bare_key
by_key = records.by_key


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ---- plans -------------------------------------------------------------------------------------------------------

def import_plan(session: Session, data: bytes, filename: str, nation: str, label: Label = PLAN_LABEL) -> dict:
    """Store a national plan file's good rows (new items, or updates of this nation's), report the bad ones."""
    from dkfi.acquisition.plans_io import read_plan
    from dkfi.core.records import OwnedElsewhere, upsert_keyed

    if nation not in NATIONS:
        raise Invalid(f"nation: {nation!r} is not DNK or FIN")
    parsed = read_plan(data, filename=filename)
    stored = 0
    rejected = [{"line": r.line, "reason": r.reason} for r in parsed.rejected]
    for row in parsed.rows:
        lab = label
        if row.classification:
            lab = Label.from_text(row.classification, ",".join(row.releasable_to or ()))
        fields = {"item_id": row.id, "nation": nation, "description": row.description,
                  "capability_area": row.capability_area, "nsn": str(row.nsn) if row.nsn else None,
                  "cpv": row.cpv.code if row.cpv else None,
                  "quantity": row.quantity, "budget": float(row.budget), "currency": row.currency,
                  "delivery_start": row.delivery_start, "delivery_end": row.delivery_end,
                  "status": getattr(row, "status", None) or "planned",
                  "requirements": getattr(row, "requirements", None), "variant": getattr(row, "variant", None),
                  "extra": dict(getattr(row, "extra", {}) or {})}
        try:
            with session.begin_nested():
                upsert_keyed(session, PlanItem, f"{nation}/{row.id}", fields, lab, nation)
            stored += 1
        except OwnedElsewhere as exc:
            rejected.append({"line": row.line, "reason": str(exc)})
    return {"received": parsed.received, "stored": stored, "rejected": sorted(rejected, key=lambda r: r["line"])}


def item_dict(i: PlanItem) -> dict:
    return {"key": i.key, "id": i.item_id, "nation": i.nation, "description": i.description,
            "capability_area": i.capability_area, "nsn": i.nsn, "cpv": i.cpv, "quantity": i.quantity,
            "budget": i.budget, "currency": i.currency, "delivery_start": i.delivery_start.isoformat(),
            "delivery_end": i.delivery_end.isoformat(), "status": i.status, "requirements": i.requirements,
            "variant": i.variant, "label": record_label(i)}


def plans(session: Session, nation: str | None = None) -> list[PlanItem]:
    q = select(PlanItem).order_by(PlanItem.nation, PlanItem.delivery_start, PlanItem.key)
    if nation:
        q = q.where(PlanItem.nation == nation)
    return list(session.scalars(q))


# ---- matching ----------------------------------------------------------------------------------------------------

def match(session: Session, *, backend: Any = "auto", store_as: str | None = None,
          label: Label = PLAN_LABEL) -> dict:
    """Match the Danish and Finnish plan items the session may see; dismissed pairs stay dismissed. With
    ``store_as`` (this node's nation) the matches are kept as opportunities (new ones open, decided ones kept)."""
    from dkfi.acquisition import matching

    items = [i for i in plans(session) if i.nation in NATIONS]
    by_id = {bare(i.key): i for i in items}
    rows = [matching.PlanItem(id=bare(i.key), nation=i.nation, description=i.description,
                              capability_area=i.capability_area, nsn=i.nsn, cpv=i.cpv, quantity=i.quantity,
                              delivery_start=i.delivery_start, delivery_end=i.delivery_end) for i in items]
    known = {o.key: o for o in session.scalars(select(Opportunity))}
    dismissed = {(o.dnk_item, o.fin_item) for o in known.values() if o.state == "dismissed"}
    result = matching.match(rows, dismissed=dismissed, backend=backend)
    out = []
    for m in result.matches:
        d = {"dnk": m.dnk, "fin": m.fin, "score": round(m.score, 4), "factors": list(m.factors)}
        if store_as is not None:
            key = f"{m.dnk}|{m.fin}"
            o = known.get(key) or by_key(session, Opportunity, key)
            if o is None:
                o = Opportunity(key=key, dnk_item=m.dnk, fin_item=m.fin, state="open")
                # no more releasable than either item: an opportunity tells that both exist
                o.set_label(combine(label, by_id[m.dnk].label, by_id[m.fin].label), store_as)
                session.add(o)
            if o.owner_nation == store_as:
                o.score, o.factors, o.backend = m.score, list(m.factors), result.backend
            d["state"] = o.state
        out.append(d)
    session.flush()
    return {"matches": out, "backend": result.backend}


def decide_opportunity(session: Session, key: str, state: str, actor: str) -> Opportunity:
    """A planner confirms or dismisses an opportunity; a dismissed pair is never proposed again."""
    if state not in ("confirmed", "dismissed", "open"):
        raise Invalid(f"state: {state!r} is not confirmed, dismissed or open")
    o = by_key(session, Opportunity, key)
    if o is None:
        raise LookupError(f"no opportunity {key!r}")
    o.state, o.decided_by, o.decided_at = state, actor, _now()
    return o


def opportunity_dict(o: Opportunity) -> dict:
    return {"key": o.key, "dnk": o.dnk_item, "fin": o.fin_item, "score": o.score, "factors": o.factors or [],
            "backend": o.backend, "state": o.state, "decided_by": o.decided_by, "label": record_label(o)}


# ---- the joint case workflow ---------------------------------------------------------------------------------------

def _log(case: JointCase, actor: str, nation: str, action: str, frm: str, to: str, **detail: Any) -> None:
    case.history = [*(case.history or []), {"at": _now().isoformat(), "actor": actor, "nation": nation,
                                            "action": action, "from": frm, "to": to, **detail}]
    case.updated = _now()


def decisions(session: Session, case: JointCase) -> dict[str, CaseDecision]:
    """Each nation's latest decision on the case that this node may see (its own, and the partner's received)."""
    ck = bare(case.key)
    return {d.nation: d for d in session.scalars(select(CaseDecision).where(
        or_(CaseDecision.case == ck, CaseDecision.case == case.key)))}


def stage_of(session: Session, case: JointCase) -> str:
    """The case's stage; withdrawn as soon as either nation withdrew."""
    if any(d.decision == "withdraw" for d in decisions(session, case).values()):
        return "withdrawn"
    return case.stage


def approvals(session: Session, case: JointCase) -> dict[str, dict]:
    return {n: {"by": d.by, "at": d.at.isoformat() if d.at else None} for n, d in decisions(session, case).items()
            if d.decision == "approve"}


def create_case(session: Session, *, title: str, items: list[str], nation: str, actor: str,
                opportunity: str | None = None, label: Label = PLAN_LABEL) -> JointCase:
    """Open a joint case on an opportunity (its first stage), owned by the creating nation."""
    found = []
    for i, ref in enumerate(items):
        item = by_key(session, PlanItem, ref)
        if item is None:
            raise Invalid(f"items[{i}]: no plan item {ref!r} that you may see")
        found.append(item)
    if {i.nation for i in found} != set(NATIONS):
        raise Invalid("items: a joint case needs a Danish and a Finnish plan item")
    now = _now()
    case = JointCase(key=f"{nation}-case-{now.strftime('%Y%m%d%H%M%S%f')}", title=title,
                     items=[bare(i.key) for i in found], opportunity=opportunity, stage="opportunity",
                     history=[], created=now, updated=now)
    case.set_label(combine(label, *(i.label for i in found)), nation)  # no more releasable than its items
    _log(case, actor, nation, "open", "", "opportunity")
    session.add(case)
    session.flush()
    return case


def get_case(session: Session, key: str) -> JointCase:
    c = by_key(session, JointCase, key)
    if c is None:
        raise LookupError(f"no case {key!r}")
    return c


def _owner_moves(case: JointCase, nation: str, action: str) -> None:
    if case.owner_nation != nation:
        raise LifecycleError(f"{action}: only the case's owner {case.owner_nation} moves it on; "
                             f"{nation} approves or withdraws")


def _expect(session: Session, case: JointCase, action: str, *stages: str) -> str:
    now = stage_of(session, case)
    if now not in stages:
        raise LifecycleError(f"case {case.key} is {now}: cannot {action} (allowed from {', '.join(stages)})")
    return now


def _both_approved(session: Session, case: JointCase, action: str) -> None:
    missing = [n for n in NATIONS if n not in approvals(session, case)]
    if missing:
        raise LifecycleError(f"{action} needs both nations' approvals; missing: {', '.join(missing)}")


def act(session: Session, key: str, action: str, *, actor: str, nation: str, text: str | None = None,
        lead_nation: str | None = None, vehicle: str | None = None,
        eu_member_states: list[str] | None = None) -> JointCase:
    """One step: assess, approve, open_case (lead nation, vehicle), contract, deliver, withdraw (reason)."""
    case = get_case(session, key)
    if action == "assess":
        _owner_moves(case, nation, action)
        frm = _expect(session, case, action, "opportunity")
        if not text:
            raise LifecycleError("assess needs the assessment text")
        case.assessment, case.stage = text, "assessment"
        _log(case, actor, nation, action, frm, "assessment")
    elif action in ("approve", "withdraw"):
        frm = _expect(session, case, action, *(("assessment", "case") if action == "approve" else
                                               ("opportunity", "assessment", "case", "contracted")))
        if action == "withdraw" and not text:
            raise LifecycleError("withdraw needs the reason")
        ck = bare(case.key)
        d = session.scalar(select(CaseDecision).where(CaseDecision.key == f"{ck}/{nation}"))
        if d is None:
            d = CaseDecision(key=f"{ck}/{nation}", case=ck, nation=nation)
            session.add(d)
        d.decision, d.by, d.at, d.reason = action, actor, _now(), text
        d.set_label(case.label, nation)  # the nation's own record, as releasable as the case
        if case.owner_nation == nation:
            _log(case, actor, nation, action, frm, "withdrawn" if action == "withdraw" else frm, reason=text)
    elif action == "open_case":
        _owner_moves(case, nation, action)
        frm = _expect(session, case, action, "assessment")
        _both_approved(session, case, action)
        if lead_nation not in NATIONS:
            raise LifecycleError(f"open_case needs the lead nation, DNK or FIN; got {lead_nation!r}")
        if vehicle not in VEHICLES:
            raise LifecycleError(f"open_case needs the vehicle: one of {', '.join(VEHICLES)}; got {vehicle!r}")
        states = sorted({*(s.upper() for s in eu_member_states or []), *NATIONS})
        if vehicle == "eu_instrument":
            not_eu = [s for s in states if s not in EU]
            if not_eu or len(states) < EU_MIN_STATES:
                raise LifecycleError(f"an EU instrument needs at least {EU_MIN_STATES} EU member states; got "
                                     f"{', '.join(states)}" + (f" ({', '.join(not_eu)} not EU)" if not_eu else ""))
        case.lead_nation, case.vehicle, case.eu_member_states, case.stage = lead_nation, vehicle, states, "case"
        _log(case, actor, nation, action, frm, "case", lead_nation=lead_nation, vehicle=vehicle)
    elif action == "contract":
        _owner_moves(case, nation, action)
        frm = _expect(session, case, action, "case")
        _both_approved(session, case, action)
        case.stage = "contracted"
        _log(case, actor, nation, action, frm, "contracted")
    elif action == "deliver":
        _owner_moves(case, nation, action)
        frm = _expect(session, case, action, "contracted")
        case.stage = "delivered"
        _log(case, actor, nation, action, frm, "delivered")
    else:
        raise LifecycleError(f"unknown action {action!r}; choose assess, approve, open_case, contract, deliver, "
                             "withdraw")
    session.flush()
    return case


def case_dict(session: Session, c: JointCase) -> dict:
    ds = decisions(session, c)
    return {"key": c.key, "title": c.title, "stage": stage_of(session, c), "items": c.items or [],
            "opportunity": c.opportunity, "lead_nation": c.lead_nation, "vehicle": c.vehicle,
            "eu_member_states": c.eu_member_states or [], "assessment": c.assessment,
            "approvals": approvals(session, c),
            "withdrawn": {n: {"by": d.by, "reason": d.reason} for n, d in ds.items() if d.decision == "withdraw"},
            "history": c.history or [], "label": record_label(c)}


def portfolio(session: Session) -> dict:
    """Totals for the portfolio page: plan budgets by nation, opportunities by state, cases by stage."""
    by_nation: dict[str, dict[str, Any]] = {}
    for i in plans(session):
        t = by_nation.setdefault(i.nation, {"items": 0, "budget": {}})
        t["items"] += 1
        t["budget"][i.currency] = t["budget"].get(i.currency, 0.0) + i.budget
    opps: dict[str, int] = {}
    for o in session.scalars(select(Opportunity)):
        opps[o.state] = opps.get(o.state, 0) + 1
    cases: dict[str, int] = {s: 0 for s in STAGES}
    for c in session.scalars(select(JointCase)):
        stage = stage_of(session, c)
        cases[stage] = cases.get(stage, 0) + 1
    return {"plans": by_nation, "opportunities": opps, "cases": cases, "as_of": date.today().isoformat()}
