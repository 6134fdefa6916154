"""Watch quality: an evaluation that does not grade itself, plus the older per-kind figures on the incident scenarios.

Run: ``.venv/bin/python bench/watch_quality.py [--seeds 5] [--workers 2] [--markdown] [--json FILE]``
(``--incidents`` adds the older section below: ``[--quick] [--incident-seeds 2] [--vessels 300] [--no-cache]``).

Scenario library (``dkfi.sim.library``: hard negatives and harder positives, docs/watch.md). The detectors'
thresholds are frozen first: every numeric parameter of every detector is written out with its SHA-1 before a
single scenario is generated, and checked unchanged at the end. Then each family is generated for seeds
101..100+``--seeds`` (the tests use 1-3: other seeds, so other speeds, places, winds and times), the whole watch
runs over each scenario, and ``dkfi.watch.evaluation`` (the code ``dkfi watch evaluate`` runs) scores it against
the scenario's truth: the dragging ship's drag as a positive label of its family, every other ship of the
scenario as a negative label of the scenario's family. Printed per family: positives, found, recall, precision,
time-to-detect (median / max minutes, and km dragged by then), anchor-drag alerts on negatives, critical alerts
of any kind on negatives, vessel-hours and false alarms per 1,000 vessel-hours.

Real recordings: every AIS recording the project ships (``src/dkfi/data/ais/``) and the DMA recordings beside it
(``../shared/data/ais``: the 5-minute Danish network, the AisLib stream example, the labelled drift case), with no
label: every anchor-drag alert there is a false alarm; the rate per 1,000 vessel-hours of alerts of every kind is
printed too.

Older section (``--incidents``):

Simulated part (``dkfi.sim.scenarios``, fixed seeds):

* ``mixed`` (all incident templates in one run, full length) with ``--vessels`` background vessels;
* each single-drag scenario (eagle-s, yi-peng-3, newnew-polar-bear, vezhen, oresund-demo) for seeds
  1..``--seeds``, with ``--vessels`` background vessels. To keep the run short the incident ship is
  started en route (negative ``start_h``) so that its drag begins 1.5 h into a 4 h scenario: 1.5 h of
  service speed is history enough for the detector, and 2.5 h of drag covers the first 10 km many times over;
  incidents (e.g. later AIS blackouts) outside the simulated window are left out of the truth;
* ``background`` (no incident) for the alert rate of simulated normal traffic.

Matching: an event matches a truth incident of the same kind when its MMSI is the incident's (or the other
ship of an encounter) and its time span overlaps the incident's, widened by 15 min each side. Recall = truth
incidents with a matching event / truth incidents. Events on vessels without an incident of that kind are
false positives; events of a kind on an incident ship whose incident is of another kind (e.g. a sudden
speed change of a dragging ship) are shown apart ("other") and not counted either way.
Time-to-detect = data time at which a matching event was first emitted minus the incident start; for
``anchor_drag`` also the distance the ship had covered since the drag began at that moment (from its
reported positions), and whether detection came before the truth's ``t_10km``.

Real part: all detectors over the DMA 5-minute recording (1,500 vessels) and the DMA AisLib stream example,
each alert printed with its kind and a one-line reason. Alerts per 1,000 vessel-hours: vessel-hours are the
sum over vessels of (last - first position time), i.e. the time each vessel was actually observed.

Simulated records are cached under ``var/bench/watch_quality/`` keyed by the scenario and the hash of
``sim.py`` (``--no-cache`` to rebuild).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import statistics
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench" / "watch_quality"
SHARED = Path(os.environ.get("DKFI_SHARED", ROOT.parent / "shared"))
REAL = [SHARED / "data/ais/nmea/dma_aisabnormal/ais-sample.txt.gz",
        SHARED / "data/ais/nmea/dma_aislib/stream_example.txt"]
DRAGS = ["eagle-s", "yi-peng-3", "newnew-polar-bear", "vezhen", "oresund-demo"]
SLACK_S = 900.0


# ---- scenarios ---------------------------------------------------------------------------------------
def drag_scenario(name: str, seed: int, vessels: int, lead_h: float = 1.5, hours: float = 4.0):
    """A single-drag scenario whose drag begins ``lead_h`` into a ``hours`` long run."""
    from dkfi.sim.scenarios import INCIDENTS, SCENARIOS, Incident, named_scenario

    sc = named_scenario(name, seed=seed, vessels=vessels)
    (tpl,) = SCENARIOS[name]
    t = INCIDENTS[tpl]
    to_drag_h = t["drag_start_km"] / (t["service_kn"] * 1.852)
    sc.incidents = [Incident(tpl, start_h=lead_h - to_drag_h)]
    sc.duration_h = hours
    return sc


def build_cases(quick: bool, seeds: int, vessels: int) -> list[dict]:
    cases = []
    if quick:
        seeds, vessels = 1, min(vessels, 100)
    cases.append(dict(name="mixed", seed=1, vessels=vessels, kind="mixed"))
    for s in range(1, seeds + 1):
        for d in DRAGS:
            cases.append(dict(name=d, seed=s, vessels=vessels, kind="drag"))
    cases.append(dict(name="background", seed=1, vessels=vessels, kind="background"))
    return cases


def _sim_hash() -> str:
    import dkfi.sim.scenarios as sim

    return hashlib.sha1(Path(sim.__file__).read_bytes()).hexdigest()[:10]


def simulated_records(case: dict, use_cache: bool = True):
    """(records, truth, start, end) of a case, from the cache when it is there."""
    from dkfi.maritime.records import Position, Static
    from dkfi.sim.scenarios import named_scenario, simulate
    from dkfi.maritime.sources.nmea import iter_nmea

    key = f"{case['name']}-s{case['seed']}-v{case['vessels']}-{case['kind']}-{_sim_hash()}"
    path = CACHE / f"{key}.pkl"
    if use_cache and path.exists():
        with open(path, "rb") as f:
            return pickle.load(f)
    if case["kind"] == "drag":
        sc = drag_scenario(case["name"], case["seed"], case["vessels"])
    else:
        sc = named_scenario(case["name"], seed=case["seed"], vessels=case["vessels"],
                            hours=6.0 if case["kind"] == "background" else None)
    res = simulate(sc)
    recs = [r for r in iter_nmea(res.lines, source="sim") if isinstance(r, (Position, Static))]
    recs.sort(key=lambda r: r.ts)
    out = (recs, res.truth, sc.start, res.end)
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(out, f, protocol=pickle.HIGHEST_PROTOCOL)
    return out


# ---- running the watch -------------------------------------------------------------------------------
_CTX = None


def _ctx():
    global _CTX
    from dkfi.watch.service import make_context

    if _CTX is None:
        _CTX = make_context()
    _CTX.static.clear()
    return _CTX


def run_watch(records) -> dict:
    """All detectors and the alert builder over records; events with the data time of first emission."""
    from dkfi.watch.alerts import AlertBuilder
    from dkfi.watch.detectors.base import DetectionEngine
    from dkfi.maritime.records import Position
    from dkfi.watch.service import make_detectors

    ctx = _ctx()
    eng = DetectionEngine(make_detectors(), ctx)
    builder = AlertBuilder(watchlist=ctx.watchlist, static=ctx.static)
    first: dict[tuple, float] = {}
    span: dict[int, list[float]] = {}
    t0 = time.perf_counter()
    for r in records:
        if isinstance(r, Position):
            s = span.get(r.mmsi)
            if s is None:
                span[r.mmsi] = [r.ts, r.ts]
            else:
                s[1] = r.ts
        for e in eng.process(r):
            if e.status != "withdrawn":
                first.setdefault(e.key, r.ts)
            builder.add(e)
    for e in eng.finish():
        if e.status != "withdrawn":
            first.setdefault(e.key, eng.now)
        builder.add(e)
    secs = time.perf_counter() - t0
    events = eng.final_events()
    return {"events": events, "first": first, "alerts": builder.final(), "detect_s": secs,
            "vessel_hours": sum(b - a for a, b in span.values()) / 3600.0, "vessels": len(span),
            "n": len(records)}


def _track_distance_m(records, mmsi: int, t0: float, t1: float) -> float:
    from dkfi.watch.detectors.base import haversine_m
    from dkfi.maritime.records import Position

    pts = [(r.lat, r.lon) for r in records if isinstance(r, Position) and r.mmsi == mmsi and t0 <= r.ts <= t1]
    return sum(haversine_m(a[0], a[1], b[0], b[1]) for a, b in zip(pts, pts[1:]))


def run_case(args: tuple[dict, bool]) -> dict:
    case, use_cache = args
    t0 = time.perf_counter()
    recs, truth, start, end = simulated_records(case, use_cache)
    t_sim = time.perf_counter() - t0
    w = run_watch(recs)
    truth = [t for t in truth if t["start"] < end and t["end"] > start]
    matches = []
    for t in truth:
        ships = {t["mmsi"], t.get("other_mmsi")} - {None}
        hits = [e for e in w["events"] if e.kind == t["kind"] and (e.mmsi in ships or e.other_mmsi in ships)
                and e.start <= t["end"] + SLACK_S and e.end >= t["start"] - SLACK_S]
        m = {"kind": t["kind"], "incident": t["incident"], "case": f"{case['name']}/{case['seed']}",
             "mmsi": t["mmsi"], "detected": bool(hits), "start": t["start"], "t_10km": t.get("t_10km")}
        if hits:
            emit = min(w["first"].get(e.key, e.end) for e in hits)
            m["ttd_s"] = emit - t["start"]
            if t["kind"] == "anchor_drag":
                m["dragged_km"] = _track_distance_m(recs, t["mmsi"], t["start"], emit) / 1000.0
                m["before_10km"] = t.get("t_10km") is None or emit < t["t_10km"]
        matches.append(m)
    ev = []
    inc_kinds: dict[int, set] = defaultdict(set)
    for t in truth:
        for s in (t["mmsi"], t.get("other_mmsi")):
            if s is not None:
                inc_kinds[s].add(t["kind"])
    for e in w["events"]:
        ships = {e.mmsi, e.other_mmsi} - {None}
        if any(e.kind in inc_kinds.get(s, ()) for s in ships):
            cls = "tp"
        elif any(inc_kinds.get(s) for s in ships):
            cls = "other"
        else:
            cls = "fp"
        ev.append({"kind": e.kind, "class": cls, "mmsi": e.mmsi, "asset": e.asset,
                   "case": f"{case['name']}/{case['seed']}", "start": e.start})
    return {"case": case, "matches": matches, "events": ev, "alerts": len(w["alerts"]),
            "alert_kinds": [a.kind for a in w["alerts"]],
            "fp_alerts": sum(1 for a in w["alerts"] if not inc_kinds.get(a.mmsi)),
            "vessel_hours": w["vessel_hours"], "vessels": w["vessels"], "n": w["n"], "sim_s": t_sim,
            "detect_s": w["detect_s"]}


# ---- real data -----------------------------------------------------------------------------------------
def _reason(a) -> str:
    e = max(a.events, key=lambda e: e.end)
    keep = []
    for k, v in e.measured.items():
        if isinstance(v, (int, float, str)) and not isinstance(v, bool) and v is not None:
            keep.append(f"{k}={v}")
        if len(keep) == 5:
            break
    return f"{a.summary()} | {', '.join(keep)}"


def run_real(path: Path) -> dict:
    from dkfi.maritime.service import load_records

    recs, _ = load_records([path])
    w = run_watch(recs)
    return {"path": path, "alerts": w["alerts"], "events": w["events"], "vessel_hours": w["vessel_hours"],
            "vessels": w["vessels"], "n": w["n"], "detect_s": w["detect_s"]}


# ---- report ------------------------------------------------------------------------------------------
def _fmt_min(vals: list[float]) -> str:
    if not vals:
        return "-"
    return f"{statistics.median(vals) / 60:.1f} / {max(vals) / 60:.1f}"


def report(results: list[dict], real: list[dict]) -> dict:
    kinds = sorted({m["kind"] for r in results for m in r["matches"]} | {e["kind"] for r in results for e in r["events"]})
    print("\n== Simulated incidents: per kind (all cases) ==")
    hdr = f"{'kind':22s} {'truth':>5s} {'found':>5s} {'recall':>6s} {'events':>6s} {'TP':>4s} {'FP':>4s} {'other':>5s} " \
          f"{'precision':>9s}  {'TTD median/max min':>18s}"
    print(hdr)
    print("-" * len(hdr))
    summary = {}
    for k in kinds:
        ms = [m for r in results for m in r["matches"] if m["kind"] == k]
        es = [e for r in results for e in r["events"] if e["kind"] == k]
        tp = sum(e["class"] == "tp" for e in es)
        fp = sum(e["class"] == "fp" for e in es)
        oth = sum(e["class"] == "other" for e in es)
        found = sum(m["detected"] for m in ms)
        rec = found / len(ms) if ms else None
        prec = tp / (tp + fp) if tp + fp else None
        ttd = [m["ttd_s"] for m in ms if m.get("ttd_s") is not None]
        summary[k] = {"truth": len(ms), "found": found, "recall": rec, "tp": tp, "fp": fp, "other": oth,
                      "precision": prec}
        print(f"{k:22s} {len(ms):5d} {found:5d} {'-' if rec is None else f'{rec:.2f}':>6s} {len(es):6d} {tp:4d} "
              f"{fp:4d} {oth:5d} {'-' if prec is None else f'{prec:.2f}':>9s}  {_fmt_min(ttd):>18s}")
    drags = [m for r in results for m in r["matches"] if m["kind"] == "anchor_drag"]
    if drags:
        print("\n== anchor_drag per incident ==")
        print(f"{'case':26s} {'found':>5s} {'TTD min':>8s} {'dragged km':>10s} {'<10 km':>6s}")
        for m in drags:
            print(f"{m['case']:26s} {'yes' if m['detected'] else 'NO':>5s} "
                  f"{(m['ttd_s'] / 60 if m.get('ttd_s') is not None else float('nan')):8.1f} "
                  f"{m.get('dragged_km', float('nan')):10.2f} {str(m.get('before_10km', False)):>6s}")
        ok = sum(1 for m in drags if m["detected"] and m.get("before_10km"))
        print(f"anchor_drag detected before 10 km: {ok}/{len(drags)} = {ok / len(drags):.2f}")
        summary["anchor_drag_before_10km"] = ok / len(drags)
    fps = [e for r in results for e in r["events"] if e["class"] == "fp"]
    if fps:
        print("\n== false-positive events (vessels without an incident of that kind) ==")
        by = defaultdict(int)
        for e in fps:
            by[(e["kind"], e["case"])] += 1
        for (k, c), n in sorted(by.items()):
            print(f"  {k:22s} {c:26s} {n}")
    print("\n== Alerts per 1,000 vessel-hours (no incident on the vessel) ==")
    print(f"{'data':46s} {'vessels':>7s} {'v-hours':>8s} {'alerts':>6s} {'per 1k vh':>9s} {'detect us/rec':>13s}")
    for r in results:
        if r["case"]["kind"] == "background":
            vh = r["vessel_hours"]
            print(f"{'sim background/' + str(r['case']['seed']):46s} {r['vessels']:7d} {vh:8.1f} {r['fp_alerts']:6d} "
                  f"{1000 * r['fp_alerts'] / vh:9.2f} {1e6 * r['detect_s'] / r['n']:13.1f}")
            summary["sim_background_per_1000vh"] = 1000 * r["fp_alerts"] / vh
    sim_vh = sum(r["vessel_hours"] for r in results)
    sim_fp = sum(r["fp_alerts"] for r in results)
    print(f"{'sim, all cases (vessels without incident)':46s} {sum(r['vessels'] for r in results):7d} {sim_vh:8.1f} "
          f"{sim_fp:6d} {1000 * sim_fp / sim_vh:9.2f}")
    for rr in real:
        vh = rr["vessel_hours"]
        n = len(rr["alerts"])
        print(f"{rr['path'].name:46s} {rr['vessels']:7d} {vh:8.1f} {n:6d} {1000 * n / max(vh, 1e-9):9.2f} "
              f"{1e6 * rr['detect_s'] / rr['n']:13.1f}")
        summary[f"real:{rr['path'].name}"] = {"alerts": n, "per_1000vh": 1000 * n / max(vh, 1e-9),
                                              "kinds": [a.kind for a in rr["alerts"]]}
    for rr in real:
        print(f"\n-- alerts on {rr['path'].name} --")
        for a in rr["alerts"]:
            print(f"  [{a.kind}] {_reason(a)}")
        if not rr["alerts"]:
            print("  (none)")
    return summary


# ---- scenario library ---------------------------------------------------------------------------------------
LIBRARY_SEED0 = 101
SHIPPED = sorted((ROOT / "src/dkfi/data/ais").glob("*.gz"))


def _real_all() -> list[Path]:
    """The recordings the project ships, then the DMA ones beside it that are not the same file."""
    seen = {hashlib.sha1(p.read_bytes()).hexdigest() for p in SHIPPED}
    out = list(SHIPPED)
    for p in REAL + [SHARED / "data/ais/labelled/dma_aisabnormal/538004030_drift_1.ais"]:
        if p.exists() and hashlib.sha1(p.read_bytes()).hexdigest() not in seen:
            out.append(p)
    return out


def frozen_thresholds() -> tuple[dict, str]:
    """Every numeric parameter of every detector (class attributes), and their SHA-1."""
    import json

    from dkfi.watch.service import detector_classes

    params: dict[str, dict] = {}
    for kind, cls in sorted(detector_classes().items()):
        vals = {}
        for klass in reversed(cls.__mro__):
            for k, v in vars(klass).items():
                if not k.startswith("_") and isinstance(v, (int, float, tuple)) and not isinstance(v, bool):
                    vals[k] = v
        params[kind] = vals
    text = json.dumps(params, sort_keys=True, default=str)
    return params, hashlib.sha1(text.encode()).hexdigest()


def run_library_case(args: tuple[str, int]) -> tuple[dict, dict]:
    """One library scenario: its tallies by family, and a line about it."""
    from dkfi.maritime.records import Position, Static
    from dkfi.maritime.sources.nmea import iter_nmea
    from dkfi.sim import library as lib
    from dkfi.watch import evaluation as ev

    fam, seed = args
    res = lib.build(lib.Spec(fam, seed))
    recs = sorted((r for r in iter_nmea(res.lines, source="sim") if isinstance(r, (Position, Static))),
                  key=lambda r: r.ts)
    labels = [ev.Label(t["mmsi"], t["start"], t["end"], t["kind"], fam) for t in res.truth]
    labels += [ev.Label(m, res.start - 3600, res.end + 3600, ev.NEGATIVE, fam) for m in res.negative_mmsis]
    run = ev.run_watch(recs, _ctx(), {lb.mmsi for lb in labels})
    tallies = ev.score(run, labels, "anchor_drag", where=f"{res.spec.name} ")
    crit = [a.kind for a in run.alerts if a.severity == "critical" and a.mmsi in res.negative_mmsis]
    return {k: v for k, v in tallies.items()}, {"scenario": res.spec.name, "records": len(recs),
                                               "alerts": [(a.kind, a.severity) for a in run.alerts],
                                               "critical_on_negatives": crit}


def run_real_case(path: Path) -> tuple[dict, dict]:
    from dkfi.maritime.service import load_records
    from dkfi.watch import evaluation as ev

    recs, _ = load_records([path])
    run = ev.run_watch(recs, _ctx())
    tallies = ev.score(run, [], "anchor_drag")
    t = tallies.get(ev.UNLABELLED) or ev.Tally(ev.UNLABELLED)
    t.family = f"real: {path.name}" + (" (shipped)" if path in SHIPPED else "")
    vh = t.vessel_hours
    return {t.family: t}, {"recording": path.name, "records": len(recs), "vessels": len(run.spans),
                           "vessel_hours": round(vh, 1), "alerts": len(run.alerts),
                           "alerts_per_1000_vh": round(1000 * len(run.alerts) / vh, 2) if vh else None,
                           "anchor_drag_alerts": t.alerts_on_negatives,
                           "kinds": sorted({a.kind for a in run.alerts})}


def library_main(a) -> dict:
    import json

    from dkfi.cli.console import print_table, table
    from dkfi.sim import library as lib
    from dkfi.watch import evaluation as ev

    params, digest = frozen_thresholds()
    print(f"thresholds frozen before generation: sha1 {digest}")
    print("  anchor_drag: " + ", ".join(f"{k}={v}" for k, v in params["anchor_drag"].items()))
    seeds = list(range(LIBRARY_SEED0, LIBRARY_SEED0 + a.seeds))
    cases = [(f, s) for f in lib.families() for s in seeds]
    tallies: dict[str, ev.Tally] = {}
    notes = []
    with ProcessPoolExecutor(a.workers) as ex:
        for part, note in ex.map(run_library_case, cases):
            notes.append(note)
            for fam, t in part.items():
                mine = tallies.setdefault(fam, ev.Tally(fam, t.expected))
                for k in ("positives", "detected", "tp_events", "fp_events", "alerts_on_negatives",
                          "above_low_on_negatives", "critical_on_negatives"):
                    setattr(mine, k, getattr(mine, k) + getattr(t, k))
                mine.vessel_hours += t.vessel_hours
                mine.ttd_s += t.ttd_s
                mine.ttd_km += t.ttd_km
                mine.missed += t.missed
                if t.expected != ev.NEGATIVE:
                    mine.expected = t.expected
        real = list(ex.map(run_real_case, _real_all()))
    if frozen_thresholds()[1] != digest:
        raise SystemExit("detector thresholds changed during the run: the figures are void")
    rows = ev.rows(tallies)
    t = table(*ev.HEADERS, keep=("family",), title=f"scenario library, seeds {seeds[0]}-{seeds[-1]} "
                                                   f"({len(cases)} scenarios): anchor drag")
    for r in rows:
        t.add_row(*ev.cells(r))
    print_table(t)
    real_rows = [ev.rows(part)[0] for part, _ in real]
    t = table(*ev.HEADERS, keep=("family",), title="real recordings (no label: every anchor-drag alert is false)")
    for r in real_rows:
        t.add_row(*ev.cells(r))
    print_table(t)
    for _, info in real:
        print(f"  {info['recording']}: {info['vessels']} vessels, {info['vessel_hours']} vessel-h, "
              f"{info['alerts']} alerts of any kind ({info['alerts_per_1000_vh']} per 1,000 vh: "
              f"{', '.join(info['kinds']) or 'none'}), {info['anchor_drag_alerts']} anchor drag")
    crit = [n for n in notes if n["critical_on_negatives"]]
    print(f"critical alerts on negatives: {sum(len(n['critical_on_negatives']) for n in notes)}"
          + (f" ({', '.join(n['scenario'] for n in crit)})" if crit else ""))
    missed = [m for r in rows[:-1] for m in r["missed"]]
    print(f"missed positives: {', '.join(missed) if missed else 'none'}")
    if a.markdown:
        print()
        print(ev.markdown(rows))
        print()
        print(ev.markdown(real_rows))
    out = {"thresholds_sha1": digest, "thresholds": params, "seeds": seeds, "families": rows, "real": real_rows,
           "real_info": [info for _, info in real]}
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1, default=str))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5, help="library scenarios per family (seeds 101, 102, ...)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--markdown", action="store_true", help="also print the tables as Markdown (docs/watch.md)")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--incidents", action="store_true", help="also the older section on the incident scenarios")
    ap.add_argument("--quick", action="store_true", help="older section: one seed, 100 vessels")
    ap.add_argument("--incident-seeds", type=int, default=2)
    ap.add_argument("--vessels", type=int, default=300)
    ap.add_argument("--no-cache", action="store_true")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    library_main(a)
    if a.incidents:
        incidents_main(a)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    return 0


def incidents_main(a) -> None:
    cases = build_cases(a.quick, a.incident_seeds, a.vessels)
    # the longest first, so the workers finish together
    order = sorted(cases, key=lambda c: 0 if c["kind"] == "mixed" else 1)
    with ProcessPoolExecutor(a.workers) as ex:
        results = list(ex.map(run_case, [(c, not a.no_cache) for c in order]))
        real = list(ex.map(run_real, [p for p in REAL if p.exists()]))
    for r in results:
        c = r["case"]
        print(f"{c['name']:18s} seed {c['seed']} vessels {c['vessels']:4d}: {r['n']:8d} records, sim {r['sim_s']:6.1f} s, "
              f"detect {r['detect_s']:6.1f} s ({1e6 * r['detect_s'] / r['n']:.1f} us/record)", file=sys.stderr)
    report(results, real)


if __name__ == "__main__":
    raise SystemExit(main())
