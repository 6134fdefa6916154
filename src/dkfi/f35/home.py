"""F-35 cooperation's tile on the home page (extension point ``web.home_tiles``): both fleets, the availability the
stored spares stock gives, and what one pooled stock would save (the spares page's model over the same records)."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from dkfi.core.identity import Principal
from dkfi.f35 import service, spares
from dkfi.web.home import Chart, Figure, Series, Tile, none_visible

TARGET = 0.9  # the availability target the spares page starts at


def tile(session: Session, p: Principal, today: date | None = None) -> Tile:
    fleet = service.fleet(session, today or date.today())
    nations = sorted(fleet["by_nation"], key=lambda n: (n != p.nation, n))
    count = {n: {k: sum(c[k] for c in fleet["by_nation"][n].values()) for k in ("delivered", "on_order")}
             for n in nations}
    delivered = sum(c["delivered"] for c in count.values())
    figures = [Figure("aircraft delivered", delivered, href="/f35",
                      note=", ".join(f"{n} {count[n]['delivered']} (+{count[n]['on_order']} on order)"
                                     for n in nations))]
    charts = [Chart("Aircraft by nation", nations, [Series("delivered", [count[n]["delivered"] for n in nations]),
                                                    Series("on order", [count[n]["on_order"] for n in nations])],
                    stacked=True)]
    problem = service.stored_spares(session)
    if not problem["items"]:
        figures += [Figure("availability with the stored spares", None, "%", href="/f35/spares",
                           note="no spares items with demand at a base you see"),
                    Figure("pooled-spares saving", None, href="/f35/spares", note="no spares items you may see")]
    else:
        now = spares.evaluate_data(problem)
        by_nation = now["details"].get("availability_by_nation", {})
        figures.append(Figure("availability with the stored spares", round(100 * now["availability"], 1), "%",
                              href="/f35/spares", note=", ".join(f"{n} {100 * a:.1f} %" for n, a in
                                                                  sorted(by_nation.items()))))
        try:
            pool = spares.pool_data(dict(problem, target_availability=TARGET))
        except spares.SparesInputError as exc:  # e.g. the partner's items are not released to this user
            figures.append(Figure("pooled-spares saving", None, href="/f35/spares", note=str(exc)))
        else:
            figures.append(Figure("pooled-spares saving", round(pool["saving"]), href="/f35/spares",
                                  note=f"{pool['saving_pct']:.1f} % of separate stocks, at {100 * TARGET:g} % "
                                       "availability"))
            pooled = sorted(pool["separate"], key=lambda n: (n != p.nation, n))
            charts.append(Chart(f"Spares cost for {100 * TARGET:g} % availability (pooled: each nation's Shapley share)",
                                ["separate stocks", "pooled"],
                                [Series(n, [round(pool["separate"][n]["cost"]),
                                            round(pool["split"]["shapley"][n])]) for n in pooled], stacked=True))
    return Tile(title="F-35 cooperation", href="/f35", order=30, figures=figures, charts=charts,
                empty=None if fleet["aircraft"] or problem["items"] else none_visible("aircraft or spares items"))
