"""Watch benchmark: position reports/s through ingest plus all detectors against the ingest path alone.

Run: ``.venv/bin/python bench/watch_speed.py [--repeat 40] [--rounds 2] [--only-breakdown]``

(A) the NMEA ingest path alone (``service.import_paths`` into a temporary SQLite + Parquet store);
(B) the same path with a ``WatchRunner(make_context())`` hanging off the pipeline as listener for positions
    and static reports, as ``service.LiveFeed`` attaches it (records handed over in ``WatchBatches`` of 2,000);
(C) the same with the watch in a second process (``WatchWorker``, as ``dkfi serve --watch-process`` runs
    it): ingest and detection overlap on the machine's two cores; the clock stops only when the worker has
    processed every record.
Each is measured in a fresh child process, alternately, in the same run; medians are compared. Printed:
reports/s of A, B and C, the ratios B/A and C/A (target >= 0.5: all detectors together cost at most half of
the ingest throughput), peak RSS of each child; for C where the time went (the worker's busy, waiting and
garbage-collection seconds, and how long ingest waited on the full queue or at the end for the worker);
and a per-detector breakdown (µs per position, measured in-process over the 5-minute DMA sample with each
detector alone, best of 3 passes with warm land/asset caches; "engine" is DetectionEngine with no
detectors, "all" the nine together through WatchRunner, once with the cyclic garbage collector as it is
and once with it off as the worker runs it; the context has a small watch list, every 50th MMSI of the
sample, so the watchlist detector does real work).

Input: ``bench/ingest.py``'s ``make_nmea(repeat)`` (the bundled 5-minute DMA recording repeated with
``$PGHP`` times shifted by 300 s per copy; 40 copies = 1.05 M sentences).

Looping. Every copy puts the ships back where they were 5 minutes of data time earlier. Left alone, the
spoofing detector would flag every ship of the recording (an impossible jump) at each copy boundary, and
the alert builder would do work no real feed causes. So (B) forgets the recording's vessels at each copy
boundary, as the looping replay of the live demo does (``WatchRunner.forget``): the listener watches
the data time, and when a report falls into a new copy (``(ts - t0) // 300`` grows; ``t0`` is the first
report's time) it calls ``runner.forget(all MMSIs seen so far)`` before processing the report. Reports of a
copy are not exactly time-ordered across the boundary (receivers' timestamps lag by a few seconds), so a
handful of late reports of the previous copy land after the reset: these are then the vessel's first
report again, which is harmless. The cost of ``forget`` itself (a few hundred dict deletes per 5 minutes of
data) is counted in (B).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from ingest import SAMPLE, make_nmea, peak_rss_mb  # noqa: E402

COPY_S = 300.0  # make_nmea shifts each copy by 300 s


def _attach_watch(pipeline, runner) -> dict:
    """Hang the runner off the pipeline; forget the looped ships at each copy boundary (module doc)."""
    from dkfi.watch.service import WatchRunner

    info = {"t0": None, "copy": 0, "forgets": 0, "alerts": 0}
    seen: set[int] = set()
    process = runner.process

    def on_record(r) -> None:
        t0 = info["t0"]
        if t0 is None:
            info["t0"] = t0 = r.ts
        k = int((r.ts - t0) // COPY_S)
        if k > info["copy"]:
            info["copy"] = k
            runner.forget(seen)
            info["forgets"] += 1
        seen.add(r.mmsi)
        if process(r):
            info["alerts"] += 1

    if isinstance(runner, WatchRunner):  # in-process: in batches, as LiveFeed hands records to its runner
        from dkfi.watch.live import WatchBatches

        info["batches"] = batches = WatchBatches(on_record)
        on_record = batches.add
    pipeline.listeners.append(on_record)
    pipeline.static_listeners.append(on_record)
    return info


def child(kind: str, path: str) -> None:
    """One measurement in a fresh process, printed as JSON."""
    os.environ["DKFI_DATA_DIR"] = tempfile.mkdtemp(prefix="dkfi-bench-")
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine
    from dkfi.maritime import service

    settings = get_settings()
    engine = get_engine(settings.effective_database_url)
    info: dict = {}
    runner = worker = None
    if kind == "ingest+watch":
        from dkfi.watch.service import WatchRunner, make_context

        runner = WatchRunner(make_context())  # assets, land and ports loaded outside the timing
    elif kind == "ingest+watch-process":
        from dkfi.watch.worker import WatchWorker

        worker = WatchWorker()  # started (assets, land, ports loaded) outside the timing
    detector = runner or worker
    if detector is not None:
        real = service.Pipeline

        def pipeline_with_watch(*a, **kw):
            p = real(*a, **kw)
            info["live"] = _attach_watch(p, detector)
            return p

        service.Pipeline = pipeline_with_watch
    if kind not in ("ingest", "ingest+watch", "ingest+watch-process"):
        raise SystemExit(f"unknown child kind {kind}")
    t0 = time.perf_counter()  # the database is created and migrated outside the timing
    report = service.import_paths(engine, [Path(path)], settings, fmt="nmea")
    if runner is not None:
        info["live"]["batches"].run()  # the last batch is detected before the clock stops
    if kind == "ingest+watch-process":
        t_close = time.perf_counter()
        info["worker"] = worker.close()  # every record detected before the clock stops
        info["close_s"] = time.perf_counter() - t_close
    seconds = time.perf_counter() - t0
    assert not report.errors, report.errors
    out = {"kind": kind, "seconds": seconds, "received": report.total.received,
           "positions": report.total.positions, "statics": report.total.statics,
           "peak_rss_mb": round(peak_rss_mb(), 1)}
    if kind == "ingest+watch-process":
        w = info["worker"]
        out.update(events=w["events"], alerts=w["alerts"], forgets=info["live"]["forgets"],
                   worker_busy_s=w["busy_s"], worker_wait_s=w["wait_s"], worker_gc_s=w["gc_s"],
                   ingest_blocked_s=round(worker.blocked_s, 3), close_wait_s=round(info["close_s"], 3))
    if runner is not None:
        out["events"] = len(runner.engine.events)
        out["alerts"] = len(runner.builder.alerts)
        out["forgets"] = info["live"]["forgets"]
    print(json.dumps(out))


def run_child(kind: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def breakdown(rounds: int = 3) -> list[tuple[str, float, int]]:
    """µs per position of each detector alone over the 5-minute DMA sample (best of ``rounds``)."""
    from dkfi.maritime import service
    from dkfi.watch.detectors.base import Context, DetectionEngine
    from dkfi.maritime.records import Position
    from dkfi.watch.service import WatchRunner, detector_classes, make_context, make_detectors

    records, _ = service.load_records([SAMPLE])
    n_pos = sum(1 for r in records if type(r) is Position)
    from dkfi.watch.watchlist import Entry, WatchList

    ctx0 = make_context()
    land, ports, assets = ctx0.land, ctx0.ports, ctx0.assets
    # a small watch list (every 50th MMSI of the sample) so the watchlist detector does its real work
    listed = sorted({r.mmsi for r in records})[::50]
    watchlist = WatchList([Entry("bench list", mmsi=m, reason="benchmark") for m in listed])

    def timed(make, gc_off: bool = False) -> tuple[float, int]:
        best, events = float("inf"), 0
        for _ in range(rounds):
            ctx = Context(assets=assets, land=land, ports=ports, watchlist=watchlist)  # warm caches, fresh state
            proc, get_events = make(ctx)
            if gc_off:  # as the watch worker runs (watch_worker's module doc)
                gc.collect()
                gc.freeze()
                gc.disable()
            try:
                t = time.perf_counter()
                for r in records:
                    proc(r)
                best = min(best, time.perf_counter() - t)
            finally:
                if gc_off:
                    gc.enable()
                    gc.unfreeze()
            events = get_events()
        return best / n_pos * 1e6, events

    rows = []

    def engine_of(dets):
        def make(ctx):
            eng = DetectionEngine(dets(), ctx)
            return eng.process, lambda: len(eng.events)
        return make

    rows.append(("engine (no detectors)", *timed(engine_of(lambda: []))))
    for kind in detector_classes():
        rows.append((kind, *timed(engine_of(lambda k=kind: make_detectors([k])))))

    def runner(ctx):
        w = WatchRunner(ctx)
        return w.process, lambda: len(w.engine.events)

    rows.append(("all nine (WatchRunner)", *timed(runner)))
    rows.append(("all nine, gc off", *timed(runner, gc_off=True)))
    return rows, n_pos


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=40, help="copies of the 5-minute recording (40 = 1.05 M sentences)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds; medians are compared")
    ap.add_argument("--only-breakdown", action="store_true", help="just the per-detector µs/position table")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    rows, n_pos = breakdown()
    print(f"per-detector cost over the 5-minute DMA sample ({n_pos:,} positions), each detector alone:")
    for name, us, ev in rows:
        print(f"  {name:<24} {us:7.2f} µs/position  ({ev} events)")
    if a.only_breakdown:
        return
    nmea, sentences = make_nmea(a.repeat)
    print(f"\ninput: {nmea.name} ({sentences:,} VDM sentences)")
    res: dict[str, list[dict]] = {"ingest": [], "ingest+watch": [], "ingest+watch-process": []}
    for r in range(a.rounds):
        for kind in res:
            res[kind].append(run_child(kind, nmea))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]['seconds']:.2f} s" for k, v in res.items()))

    def rate(kind):
        return statistics.median(x["received"] / x["seconds"] for x in res[kind])

    def peak(kind):
        return max(x["peak_rss_mb"] for x in res[kind])

    last = res["ingest+watch"][-1]
    ra, rb = rate("ingest"), rate("ingest+watch")
    per_report_us = (1 / rb - 1 / ra) * 1e6
    per_pos_us = per_report_us * last["received"] / max(1, last["positions"])
    print()
    print(f"reports: {last['received']:,} received, {last['positions']:,} positions, {last['statics']:,} statics; "
          f"watch: {last['events']} events, {last['alerts']} alerts, {last['forgets']} copy-boundary resets")
    print(f"(A) ingest alone:          {ra:,.0f} reports/s   peak RSS {peak('ingest')} MB")
    print(f"(B) ingest + 9 detectors:  {rb:,.0f} reports/s   peak RSS {peak('ingest+watch')} MB")
    print(f"ratio B/A {rb / ra:.2f} (target >= 0.50); detectors add {per_pos_us:.1f} µs per position")
    rc = rate("ingest+watch-process")
    c = res["ingest+watch-process"][-1]
    print(f"(C) ingest + 9 detectors in a second process (WatchWorker, `dkfi serve --watch-process`): "
          f"{rc:,.0f} reports/s, parent peak RSS {peak('ingest+watch-process')} MB; {c['events']} events, "
          f"{c['alerts']} alerts (same as B: {c['events'] == last['events'] and c['alerts'] == last['alerts']})")
    print(f"ratio C/A {rc / ra:.2f} (target >= 0.50)")
    med = {k: statistics.median(x[k] for x in res["ingest+watch-process"])
           for k in ("seconds", "worker_busy_s", "worker_wait_s", "worker_gc_s", "ingest_blocked_s", "close_wait_s")}
    print(f"(C) where the time went (medians): {med['seconds']:.1f} s in all; worker busy {med['worker_busy_s']:.1f} s "
          f"(of which gc {med['worker_gc_s']:.1f} s), idle {med['worker_wait_s']:.1f} s; ingest waited "
          f"{med['ingest_blocked_s']:.1f} s on the full queue and {med['close_wait_s']:.1f} s at the end for the "
          "worker")


if __name__ == "__main__":
    main()
