"""Ingest benchmark: the whole NMEA ingest path against a bare pyais decode loop, and DMA CSV rows/s.

Run: ``.venv/bin/python bench/ingest.py [--repeat 40] [--csv-rows 2000000] [--rounds 2] [--baseline-src DIR]
[--decoder NAME]``

``--baseline-src DIR``: also run the NMEA and CSV paths of another copy of dkfi's ``src`` (an earlier version,
say) in the same interleaved rounds (``PYTHONPATH=DIR``), printed beside these as "before" with the ratio.
``--decoder``: the AIS decoder of the dkfi NMEA path (``DKFI_AIS_DECODER``; default: the default).

(a) NMEA sentences/s through dkfi's whole ingest path (parse, assemble, decode, normalise, de-duplicate,
    latest state into SQLite, history into Parquet, the file's SHA-256 fingerprint in a second thread) against
    ``for msg in pyais.FileReaderStream(f): msg.decode()`` over the same file, measured alternately in the same
    run; printed as a ratio (target >= 0.7).
(b) DMA CSV rows/s on one core (POLARS_MAX_THREADS=1), whole path, with a bare ``polars.read_csv`` of the same
    file as the baseline (target >= 1,000,000 rows/s).
(c) peak memory (max RSS) of each child process.
Inputs are the bundled files repeated with shifted times, generated once under var/bench/.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "src" / "dkfi" / "data" / "ais" / "ais-sample.txt.gz"
CSV_SAMPLE = Path(os.environ.get("DKFI_SHARED", ROOT.parent / "shared")) / "data/ais/dma_csv/aisdk_2018-06-01_first_rows.csv"
OUT = ROOT / "var" / "bench"


def _nmea_checksum(body: str) -> str:
    c = 0
    for ch in body:
        c ^= ord(ch)
    return f"{c:02X}"


def make_nmea(repeat: int) -> tuple[Path, int]:
    """The 5-minute DMA recording ``repeat`` times, each copy 5 minutes later ($PGHP times rewritten)."""
    path = OUT / f"dma-x{repeat}.nmea"
    lines = gzip.open(SAMPLE, "rt", encoding="latin-1").read().splitlines()
    sentences = sum(1 for ln in lines if "VDM," in ln or "VDO," in ln) * repeat
    if path.exists():
        return path, sentences
    OUT.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="latin-1") as f:
        for k in range(repeat):
            shift = timedelta(seconds=300 * k)
            for ln in lines:
                if ln.startswith("$PGHP,1,") and "*" in ln:
                    body = ln[1:ln.index("*")].split(",")
                    try:
                        t = datetime(*map(int, body[2:8]), tzinfo=timezone.utc) + shift
                    except ValueError:
                        f.write(ln + "\n")
                        continue
                    body[2:8] = [str(t.year), str(t.month), str(t.day), str(t.hour), str(t.minute), str(t.second)]
                    b = ",".join(body)
                    ln = f"${b}*{_nmea_checksum(b)}"
                f.write(ln + "\n")
    return path, sentences


def make_csv(rows: int) -> tuple[Path, int]:
    """The DMA CSV sample repeated to ``rows`` rows, each copy one minute later."""
    import polars as pl

    path = OUT / f"aisdk-{rows}.csv"
    if path.exists():
        return path, rows
    OUT.mkdir(parents=True, exist_ok=True)
    base = pl.read_csv(CSV_SAMPLE, infer_schema=False)
    tcol = base.columns[0]
    parsed = base.with_columns(pl.col(tcol).str.strptime(pl.Datetime, "%d/%m/%Y %H:%M:%S").alias("_t"))
    copies = -(-rows // base.height)
    frames = []
    for k in range(copies):
        frames.append(parsed.with_columns((pl.col("_t") + pl.duration(minutes=k)).dt.strftime("%d/%m/%Y %H:%M:%S")
                                         .alias(tcol)).drop("_t"))
    pl.concat(frames).head(rows).write_csv(path)
    return path, rows


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, path: str) -> None:
    """One measurement in a fresh process, printed as JSON."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    units = 0
    if kind == "bare-pyais":
        import pyais

        for msg in pyais.FileReaderStream(path):
            try:
                msg.decode()
            except Exception:
                pass
            units += 1
    elif kind == "bare-polars":
        import polars as pl

        units = pl.read_csv(path, infer_schema=False).height
    elif kind in ("dkfi-nmea", "dkfi-csv"):
        os.environ["DKFI_DATA_DIR"] = tempfile.mkdtemp(prefix="dkfi-bench-")
        from dkfi.core.config import get_settings
        from dkfi.core.db import get_engine
        from dkfi.maritime.service import import_paths

        settings = get_settings()
        engine = get_engine(settings.effective_database_url)
        t0 = time.perf_counter()  # the database is created and migrated outside the timing
        c0 = time.process_time()
        report = import_paths(engine, [Path(path)], settings, fmt="nmea" if kind == "dkfi-nmea" else "dma-csv")
        units = report.total.received
        assert not report.errors, report.errors
    else:
        raise SystemExit(f"unknown child kind {kind}")
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0  # all threads: a shared machine slows the clock, not the work
    rss_mb = peak_rss_mb()
    print(json.dumps({"kind": kind, "seconds": seconds, "cpu": cpu, "units": units, "peak_rss_mb": round(rss_mb, 1)}))


def run_child(kind: str, path: Path, one_core: bool = False, src: Path | None = None) -> dict:
    env = dict(os.environ)
    if one_core:
        env["POLARS_MAX_THREADS"] = "1"
    if src is not None:
        env["PYTHONPATH"] = str(src)
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=40, help="copies of the 5-minute recording (40 = 1.05 M sentences)")
    ap.add_argument("--csv-rows", type=int, default=2_000_000)
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds; medians are compared")
    ap.add_argument("--baseline-src", type=Path, help="another dkfi src folder to measure beside this one")
    ap.add_argument("--decoder", help="AIS decoder of the dkfi NMEA path (DKFI_AIS_DECODER)")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    if a.decoder:
        os.environ["DKFI_AIS_DECODER"] = a.decoder
    nmea, sentences = make_nmea(a.repeat)
    csv, rows = make_csv(a.csv_rows)
    print(f"inputs: {nmea.name} ({sentences:,} VDM sentences), {csv.name} ({rows:,} rows)")
    kinds = ["bare-pyais", "dkfi-nmea", "bare-polars", "dkfi-csv"]
    if a.baseline_src:
        kinds += ["before-nmea", "before-csv"]
    res: dict[str, list[dict]] = {k: [] for k in kinds}
    for r in range(a.rounds):
        nmea_kinds = ["bare-pyais", "dkfi-nmea"] + (["before-nmea"] if a.baseline_src else [])
        for kind in nmea_kinds[r % len(nmea_kinds):] + nmea_kinds[:r % len(nmea_kinds)]:
            src = a.baseline_src if kind.startswith("before") else None
            res[kind].append(run_child(kind.replace("before", "dkfi"), nmea, src=src))
        for kind in ("bare-polars", "dkfi-csv") + (("before-csv",) if a.baseline_src else ()):
            src = a.baseline_src if kind.startswith("before") else None
            res[kind].append(run_child(kind.replace("before", "dkfi"), csv, one_core=True, src=src))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]['seconds']:.2f} s" for k, v in res.items()))

    def med(kind):
        return statistics.median(x["seconds"] for x in res[kind])

    def peak(kind):
        return max(x["peak_rss_mb"] for x in res[kind])

    bare, ours = sentences / med("bare-pyais"), sentences / med("dkfi-nmea")
    pol, csv_rate = rows / med("bare-polars"), rows / med("dkfi-csv")
    print()
    print(f"(a) NMEA: dkfi whole ingest path {ours:,.0f} sentences/s vs bare pyais loop {bare:,.0f} /s"
          f"  -> ratio {ours / bare:.2f} (target >= 0.70)")
    print(f"(b) DMA CSV on one core: dkfi {csv_rate:,.0f} rows/s (target >= 1,000,000) vs bare polars.read_csv "
          f"{pol:,.0f} rows/s -> ratio {csv_rate / pol:.2f}")
    print(f"(c) peak RSS: bare pyais {peak('bare-pyais')} MB, dkfi NMEA {peak('dkfi-nmea')} MB, "
          f"bare polars {peak('bare-polars')} MB, dkfi CSV {peak('dkfi-csv')} MB")
    def cpu(kind):
        return statistics.median(x["cpu"] for x in res[kind])

    print(f"    by CPU seconds (medians): dkfi NMEA {sentences / cpu('dkfi-nmea'):,.0f} sentences/s, bare pyais "
          f"{sentences / cpu('bare-pyais'):,.0f} /s -> ratio {cpu('bare-pyais') / cpu('dkfi-nmea'):.2f}; dkfi CSV "
          f"{rows / cpu('dkfi-csv'):,.0f} rows/s, bare polars {rows / cpu('bare-polars'):,.0f} rows/s -> ratio "
          f"{cpu('bare-polars') / cpu('dkfi-csv'):.2f}")
    if a.baseline_src:
        print(f"    by CPU seconds, before: NMEA {sentences / cpu('before-nmea'):,.0f} sentences/s -> now "
              f"{cpu('before-nmea') / cpu('dkfi-nmea'):.2f}x; DMA CSV {rows / cpu('before-csv'):,.0f} rows/s -> "
              f"now {cpu('before-csv') / cpu('dkfi-csv'):.2f}x")
        before, before_csv = sentences / med("before-nmea"), rows / med("before-csv")
        print(f"(d) before ({a.baseline_src}): NMEA {before:,.0f} sentences/s, peak {peak('before-nmea')} MB -> now "
              f"{ours / before:.2f}x; DMA CSV {before_csv:,.0f} rows/s, peak {peak('before-csv')} MB -> now "
              f"{csv_rate / before_csv:.2f}x")


if __name__ == "__main__":
    main()
