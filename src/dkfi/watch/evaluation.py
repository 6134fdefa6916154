"""Measure the watch against labelled incidents: recall, precision, time-to-detect and false alarms per family.

One code path for ``dkfi watch evaluate RECORDING --incidents labelled.csv`` (a ministry's own archive) and
``bench/watch_quality.py`` (the scenario library): labels in, a table per family out.

Labels (:class:`Label`): a vessel (MMSI) and a time window, with the kind of incident (``anchor_drag`` by
default) or ``negative`` (a window known to be normal: a false alarm there is charged to that row's family),
and a family to group rows in the table. The CSV format is in :func:`read_labels` and docs/watch.md.

Matching. An event of the evaluated kind matches a positive label when the MMSI is the label's and its span
overlaps the label's window widened by ``slack_s`` (15 min) each side. Recall = positive labels with a matching
event / positive labels. An event that matches no positive label is a false positive, charged to the family of
a negative label it overlaps, else to the family of the vessel's positive label (the same ship at another time)
or to ``unlabelled``. Precision = matched events / all events of the kind. Time-to-detect: data time of the first
emission of a matching event minus the label's start, and the distance the ship covered over ground between them
(from its reported positions). False alarms per 1,000 vessel-hours: alerts of the kind on vessels without a
positive label, over the hours those vessels were observed (first to last report, within their negative label's
window when they have one). Critical alerts of any kind on negatives are counted apart (the watch must not cry
"critical" at a convoy).
"""
from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from dkfi.maritime.records import Position, Static
from dkfi.watch.detectors.base import haversine_m

SLACK_S = 900.0
NEGATIVE = "negative"
UNLABELLED = "unlabelled"
COLUMNS = ("mmsi", "start", "end", "kind", "family", "note")


class LabelError(ValueError):
    """A labelled-incident file that cannot be used; ``errors`` lists each bad row (line, reason)."""

    def __init__(self, path: str, errors: list[tuple[int, str]]) -> None:
        self.path = path
        self.errors = errors
        lines = "; ".join(f"line {n}: {why}" for n, why in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"{path}: {len(errors)} bad row{'s' if len(errors) != 1 else ''}: {lines}{more}")


@dataclass
class Label:
    mmsi: int
    start: float
    end: float
    kind: str = "anchor_drag"
    family: str = "labelled"
    line: int = 0

    @property
    def negative(self) -> bool:
        return self.kind == NEGATIVE


def _time(text: str) -> float:
    t = text.strip()
    try:
        return float(t)
    except ValueError:
        pass
    dt = datetime.fromisoformat(t.replace("Z", "+00:00").replace(" ", "T", 1))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def read_labels(path: str | Path, text: str | None = None, skip_bad: bool = False) -> tuple[list[Label], list]:
    """Labels from a CSV with a header row: ``mmsi``, ``start``, ``end`` (required: ISO 8601, UTC unless an offset
    is given, or Unix seconds), ``kind`` (a detector kind, default ``anchor_drag``, or ``negative`` for a window
    known to be normal), ``family`` (a group for the table; default ``labelled``, or ``negative`` for negative
    rows) and ``note`` (ignored). Comma, semicolon or tab separated. Returns (labels, bad rows); a bad row raises
    :class:`LabelError` naming every bad row by line unless ``skip_bad``. A missing required column, or a file
    with no row, raises it too."""
    name = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LabelError(name, [(0, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
        delim = dialect.delimiter
    except csv.Error:
        delim = ","
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    rows = list(reader)
    if not rows:
        raise LabelError(name, [(1, "the file is empty: a header row (mmsi,start,end,kind,family) is needed")])
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("mmsi", "start", "end") if c not in header]
    if missing:
        raise LabelError(name, [(1, f"the header lacks the column{'s' if len(missing) > 1 else ''} "
                                    f"{', '.join(missing)} (found: {', '.join(header) or 'nothing'})")])
    idx = {h: i for i, h in enumerate(header)}
    labels: list[Label] = []
    bad: list[tuple[int, str]] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))

        def cell(col: str) -> str:
            return row[idx[col]].strip() if col in idx else ""

        mmsi_s = cell("mmsi")
        if not (mmsi_s.isdigit() and len(mmsi_s) == 9):
            bad.append((n, f"mmsi {mmsi_s!r} is not a 9-digit MMSI"))
            continue
        times = []
        for col in ("start", "end"):
            try:
                times.append(_time(cell(col)))
            except ValueError:
                bad.append((n, f"{col} {cell(col)!r} is neither an ISO 8601 time nor Unix seconds"))
                break
        if len(times) < 2:
            continue
        if times[1] < times[0]:
            bad.append((n, f"end {cell('end')!r} is before start {cell('start')!r}"))
            continue
        kind = (cell("kind") or "anchor_drag").lower().replace(" ", "_")
        if kind in ("none", "normal"):
            kind = NEGATIVE
        fam = cell("family") or (NEGATIVE if kind == NEGATIVE else "labelled")
        labels.append(Label(int(mmsi_s), times[0], times[1], kind, fam, n))
    if bad and not skip_bad:
        raise LabelError(name, bad)
    if not labels:
        raise LabelError(name, bad or [(2, "no labelled row")])
    return labels, bad


# ---- running the watch ---------------------------------------------------------------------------------------
@dataclass
class Run:
    """What one pass of the watch over records gave."""

    events: list                       # the final events (not withdrawn)
    first: dict[tuple, float]          # event key -> data time of its first emission
    alerts: list
    spans: dict[int, list[float]]      # mmsi -> [first, last] report time
    tracks: dict[int, list[tuple[float, float, float]]]  # mmsi -> [(ts, lat, lon)] (labelled vessels only)


def run_watch(records: Iterable[Position | Static], ctx: Any, track_mmsis: set[int] | None = None,
              detectors: list | None = None, progress: Any = None) -> Run:
    """All detectors and the alert builder over records in time order (``WatchRunner``), noting when each event
    was first emitted. ``progress(i)`` is called every 5,000 records."""
    from dkfi.watch.service import WatchRunner

    runner = WatchRunner(ctx, detectors)
    eng = runner.engine
    first: dict[tuple, float] = {}
    spans: dict[int, list[float]] = {}
    tracks: dict[int, list[tuple[float, float, float]]] = {}
    want = track_mmsis or set()
    for i, r in enumerate(records):
        if type(r) is Position:
            s = spans.get(r.mmsi)
            if s is None:
                spans[r.mmsi] = [r.ts, r.ts]
            elif r.ts > s[1]:
                s[1] = r.ts
            if r.mmsi in want:
                tracks.setdefault(r.mmsi, []).append((r.ts, r.lat, r.lon))
        for e in eng.process(r):
            if e.status != "withdrawn":
                first.setdefault(e.key, r.ts)
            runner.builder.add(e)
        if progress is not None and i % 5000 == 0:
            progress(i)
    for e in eng.finish():
        if e.status != "withdrawn":
            first.setdefault(e.key, eng.now)
        runner.builder.add(e)
    return Run(eng.final_events(), first, runner.alerts(), spans, tracks)


# ---- scoring -----------------------------------------------------------------------------------------------------
@dataclass
class Tally:
    """Raw counts of one family, summed over runs."""

    family: str
    expected: str = NEGATIVE        # what the family's positives are (a kind), or "negative"
    positives: int = 0
    detected: int = 0
    ttd_s: list[float] = field(default_factory=list)
    ttd_km: list[float] = field(default_factory=list)
    tp_events: int = 0
    fp_events: int = 0
    alerts_on_negatives: int = 0
    above_low_on_negatives: int = 0  # of those, alerts of medium severity or more (not a low-severity note)
    critical_on_negatives: int = 0
    vessel_hours: float = 0.0
    missed: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        ev = self.tp_events + self.fp_events

        def med_max(v: list[float], scale: float) -> tuple[float | None, float | None]:
            return (round(statistics.median(v) / scale, 2), round(max(v) / scale, 2)) if v else (None, None)

        tm, tx = med_max(self.ttd_s, 60.0)
        km, kx = med_max(self.ttd_km, 1.0)
        return {"family": self.family, "expected": self.expected, "positives": self.positives,
                "detected": self.detected, "recall": round(self.detected / self.positives, 3) if self.positives else None,
                "events": ev, "true_events": self.tp_events, "false_events": self.fp_events,
                "precision": round(self.tp_events / ev, 3) if ev else None,
                "ttd_min_median": tm, "ttd_min_max": tx, "km_median": km, "km_max": kx,
                "false_alarms": self.alerts_on_negatives, "false_alarms_above_low": self.above_low_on_negatives,
                "critical_on_negatives": self.critical_on_negatives,
                "vessel_hours": round(self.vessel_hours, 1),
                "false_alarms_per_1000_vh": round(1000 * self.alerts_on_negatives / self.vessel_hours, 2)
                if self.vessel_hours > 0 else None,
                "missed": list(self.missed)}


def _overlaps(a0: float, a1: float, b0: float, b1: float, slack: float) -> bool:
    return a0 <= b1 + slack and a1 >= b0 - slack


def score(run: Run, labels: list[Label], kind: str = "anchor_drag", tallies: dict[str, Tally] | None = None,
          slack_s: float = SLACK_S, where: str = "") -> dict[str, Tally]:
    """Add one run's figures to ``tallies`` (by family); returns them."""
    tallies = {} if tallies is None else tallies
    pos = [lb for lb in labels if lb.kind == kind]
    neg = [lb for lb in labels if lb.negative]
    by_mmsi_pos: dict[int, list[Label]] = {}
    for lb in pos:
        by_mmsi_pos.setdefault(lb.mmsi, []).append(lb)

    def tally(fam: str, expected: str | None = None) -> Tally:
        t = tallies.get(fam)
        if t is None:
            t = tallies[fam] = Tally(fam)
        if expected is not None and expected != NEGATIVE:
            t.expected = expected
        return t

    events = [e for e in run.events if e.kind == kind]
    matched: set[tuple] = set()
    for lb in pos:
        t = tally(lb.family, kind)
        t.positives += 1
        hits = [e for e in events if lb.mmsi in (e.mmsi, e.other_mmsi)
                and _overlaps(e.start, e.end, lb.start, lb.end, slack_s)]
        matched.update(e.key for e in hits)
        if not hits:
            t.missed.append(f"{where}MMSI {lb.mmsi} (line {lb.line})" if lb.line else f"{where}MMSI {lb.mmsi}")
            continue
        t.detected += 1
        emit = min(run.first.get(e.key, e.end) for e in hits)
        t.ttd_s.append(emit - lb.start)
        pts = [p for p in run.tracks.get(lb.mmsi, []) if lb.start <= p[0] <= emit]
        t.ttd_km.append(sum(haversine_m(a[1], a[2], b[1], b[2]) for a, b in zip(pts, pts[1:])) / 1000.0)

    def family_of(mmsi: int, t0: float, t1: float) -> str:
        for lb in neg:
            if lb.mmsi == mmsi and _overlaps(t0, t1, lb.start, lb.end, 0.0):
                return lb.family
        if mmsi in by_mmsi_pos:
            return by_mmsi_pos[mmsi][0].family
        return UNLABELLED

    for e in events:
        fam = family_of(e.mmsi, e.start, e.end)
        if e.key in matched:
            tally(fam).tp_events += 1
        else:
            tally(fam).fp_events += 1

    def is_positive(mmsi: int, t0: float, t1: float) -> bool:
        return any(_overlaps(t0, t1, lb.start, lb.end, slack_s) for lb in by_mmsi_pos.get(mmsi, ()))

    for a in run.alerts:
        if is_positive(a.mmsi, a.start, a.end):
            continue
        fam = family_of(a.mmsi, a.start, a.end)
        if a.kind == kind or kind in a.kinds:
            tally(fam).alerts_on_negatives += 1
            if a.severity != "low":
                tally(fam).above_low_on_negatives += 1
        if a.severity == "critical":
            tally(fam).critical_on_negatives += 1
    # vessel-hours of the vessels without a positive label
    for mmsi, (t0, t1) in run.spans.items():
        if mmsi in by_mmsi_pos:
            continue
        lbs = [lb for lb in neg if lb.mmsi == mmsi]
        if lbs:
            for lb in lbs:
                a, b = max(t0, lb.start), min(t1, lb.end)
                if b > a:
                    tally(lb.family).vessel_hours += (b - a) / 3600.0
        else:
            tally(UNLABELLED).vessel_hours += (t1 - t0) / 3600.0
    return tallies


def rows(tallies: dict[str, Tally]) -> list[dict[str, Any]]:
    """Rows of the table: positive families first, then negatives, then the unlabelled rest; plus totals."""
    order = sorted(tallies.values(), key=lambda t: (t.expected == NEGATIVE, t.family == UNLABELLED, t.family))
    out = [t.row() for t in order]
    total = Tally("all")
    for t in tallies.values():
        total.positives += t.positives
        total.detected += t.detected
        total.ttd_s += t.ttd_s
        total.ttd_km += t.ttd_km
        total.tp_events += t.tp_events
        total.fp_events += t.fp_events
        total.alerts_on_negatives += t.alerts_on_negatives
        total.above_low_on_negatives += t.above_low_on_negatives
        total.critical_on_negatives += t.critical_on_negatives
        total.vessel_hours += t.vessel_hours
        total.missed += t.missed
    total.expected = "all"
    out.append(total.row())
    return out


HEADERS = ("family", "expected", "pos", "found", "recall", "prec", "TTD min med/max", "km med/max", "false alarms",
           "FA >= medium", "critical on neg", "vessel-h", "FA/1k vh")


def cells(r: dict[str, Any]) -> list[str]:
    """One row of the table as text (``HEADERS``)."""
    def f(v: Any, fmt: str = "{:.2f}") -> str:
        return "-" if v is None else fmt.format(v)

    return [r["family"], r["expected"], str(r["positives"]), str(r["detected"]), f(r["recall"]),
            f(r["precision"]), f"{f(r['ttd_min_median'], '{:.1f}')} / {f(r['ttd_min_max'], '{:.1f}')}",
            f"{f(r['km_median'])} / {f(r['km_max'])}", str(r["false_alarms"]), str(r["false_alarms_above_low"]),
            str(r["critical_on_negatives"]),
            f(r["vessel_hours"], "{:.1f}"), f(r["false_alarms_per_1000_vh"])]


def markdown(table_rows: list[dict[str, Any]]) -> str:
    """The table as Markdown (docs/watch.md)."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in table_rows]
    return "\n".join(lines)
