"""Ingest benchmark: the whole NMEA ingest path against a bare pyais decode loop, and DMA CSV rows/s.

Run: ``.venv/bin/python bench/ingest.py [--repeat 40] [--csv-rows 2000000] [--rounds 2]``

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
        report = import_paths(engine, [Path(path)], settings, fmt="nmea" if kind == "dkfi-nmea" else "dma-csv")
        units = report.total.received
        assert not report.errors, report.errors
    else:
        raise SystemExit(f"unknown child kind {kind}")
    seconds = time.perf_counter() - t0
    rss_mb = peak_rss_mb()
    print(json.dumps({"kind": kind, "seconds": seconds, "units": units, "peak_rss_mb": round(rss_mb, 1)}))


def run_child(kind: str, path: Path, one_core: bool = False) -> dict:
    env = dict(os.environ)
    if one_core:
        env["POLARS_MAX_THREADS"] = "1"
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=40, help="copies of the 5-minute recording (40 = 1.05 M sentences)")
    ap.add_argument("--csv-rows", type=int, default=2_000_000)
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds; medians are compared")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return
    nmea, sentences = make_nmea(a.repeat)
    csv, rows = make_csv(a.csv_rows)
    print(f"inputs: {nmea.name} ({sentences:,} VDM sentences), {csv.name} ({rows:,} rows)")
    res: dict[str, list[dict]] = {k: [] for k in ("bare-pyais", "dkfi-nmea", "bare-polars", "dkfi-csv")}
    for r in range(a.rounds):
        for kind in ("bare-pyais", "dkfi-nmea"):
            res[kind].append(run_child(kind, nmea))
        for kind in ("bare-polars", "dkfi-csv"):
            res[kind].append(run_child(kind, csv, one_core=True))
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


if __name__ == "__main__":
    main()
