"""Decoders side by side: correctness on the decoder test vectors, speed on 1 million sentences of the DMA recording.

Run: ``.venv/bin/python bench/decoders.py [--rounds 3] [--sentences 1000000] [--only correctness|speed]``

Decoders: ``pyais`` (the reference), ``dkfi-columnar`` (dkfi's default: numpy over whole blocks for one-sentence
type 1, 2, 3, 18 reports, pyais for every other message), ``aiscat`` (AIS-catcher's C++ decoder) and ``marlin``
(marlin-py, Rust). aiscat and marlin come with the ``dev`` extra.

(1) Correctness, on ../shared/data/ais/decoder_vectors (pyais's and libais's test files): every message (tag blocks
    and trailers stripped, checksums checked, multi-part messages assembled by sequence id and channel) is decoded
    by each decoder and its fields are read into the form dkfi stores (not available -> None): per message type,
    messages, messages decoded, fields compared with pyais and fields equal, and every disagreement listed.
    libais's typeexamples.json (its expected values) is compared with pyais as well. Floats are equal at the
    stored resolution: lat/lon at 6 decimals (the AIS unit is 1/600,000 degree), speed, course and draught at 0.1.
(2) Speed, on one file of exactly ``--sentences`` sentence lines: the VDM/VDO lines of the bundled 5-minute DMA
    recording (ais-sample.txt.gz), repeated. Each decoder decodes every message and collects the position
    reports' fields (type, MMSI, lat, lon, sog, cog, heading) into columns.
    (a) alone: each decoder in a fresh process, in interleaved rounds (the order rotates), with its peak RSS;
    (b) side by side in one run: one process runs all decoders, interleaved, round after round.
    Medians of CPU seconds (the machine may be shared; wall seconds are shown too), messages/s and the ratio to
    pyais.
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DKFI_SHARED", ROOT.parent / "shared"))
VECTORS = SHARED / "data" / "ais" / "decoder_vectors"
SAMPLE = ROOT / "src" / "dkfi" / "data" / "ais" / "ais-sample.txt.gz"
DECODERS = ("pyais", "dkfi-columnar", "aiscat", "marlin")
BLOCK = 2 << 20

# ---- messages of the vector files ----------------------------------------------------------------------------


def _checksum_ok(s: bytes) -> bool:
    star = s.find(b"*")
    if star < 0 or len(s) < star + 3:
        return False
    c = 0
    for ch in s[1:star]:
        c ^= ch
    try:
        return c == int(s[star + 1:star + 3], 16)
    except ValueError:
        return False


def vector_messages() -> list[tuple[str, int, list[bytes]]]:
    """(file, line, sentences) of every complete message with good checksums in the vector files."""
    out = []
    for path in sorted(VECTORS.rglob("*")):
        if not path.is_file() or path.suffix == ".json" or path.name == "LICENSE":
            continue
        held: dict[tuple, list[bytes]] = {}
        for no, raw in enumerate(path.read_bytes().splitlines(), 1):
            s = raw.strip()
            if s.startswith(b"\\"):
                end = s.find(b"\\", 1)
                s = s[end + 1:] if end > 0 else b""
            i = s.find(b"!")
            if i < 0 or s[i + 3:i + 6] not in (b"VDM", b"VDO"):
                continue
            s = s[i:]
            star = s.find(b"*")
            s = s[:star + 3]
            if not _checksum_ok(s):
                continue
            f = s.split(b",")
            if len(f) != 7 or not f[1].isdigit() or not f[2].isdigit():
                continue
            count, num = int(f[1]), int(f[2])
            if count == 1:
                out.append((f"{path.parent.name}/{path.name}", no, [s]))
                continue
            key = (f[3], f[4])
            parts = held.setdefault(key, [])
            if num != len(parts) + 1:
                held[key] = parts = [] if num != 1 else parts
                if num != 1:
                    continue
            parts.append(s)
            if len(parts) == count:
                out.append((f"{path.parent.name}/{path.name}", no, parts))
                del held[key]
    return out


# ---- each decoder's fields in the stored form -------------------------------------------------------------------

POSITION = ("mmsi", "lat", "lon", "sog", "cog", "heading", "nav_status", "rot")
FIELDS_BY_TYPE: dict[int, tuple[str, ...]] = {
    1: POSITION, 2: POSITION, 3: POSITION,
    18: ("mmsi", "lat", "lon", "sog", "cog", "heading"),
    19: ("mmsi", "lat", "lon", "sog", "cog", "heading", "name", "ship_type", "to_bow", "to_stern", "to_port",
         "to_starboard"),
    4: ("mmsi", "lat", "lon"), 11: ("mmsi", "lat", "lon"),
    9: ("mmsi", "lat", "lon", "sog", "cog"),
    21: ("mmsi", "lat", "lon", "name", "to_bow", "to_stern", "to_port", "to_starboard"),
    27: ("mmsi", "lat", "lon", "sog", "cog", "nav_status"),
    5: ("mmsi", "name", "callsign", "imo", "ship_type", "to_bow", "to_stern", "to_port", "to_starboard", "draught",
        "destination"),
    24: ("mmsi", "partno", "name", "callsign", "ship_type"),
}


def _text(v: Any) -> str | None:
    if v is None:
        return None
    v = str(v).replace("@", " ").strip()
    return v or None


def _na(t: int, f: str, v: Any) -> Any:
    """The stored form of one raw value: "not available" -> None (as dkfi.maritime.normalise)."""
    if v is None:
        return None
    if f in ("name", "callsign", "destination"):
        return _text(v)
    if f == "lat":
        return None if v == 91 or (t == 27 and v == 91) else v
    if f == "lon":
        return None if v == 181 else v
    if f == "sog":
        if t == 9:
            return None if v >= 1023 else float(v)
        if t == 27:
            return None if v >= 63 else float(v)
        return None if v >= 102.25 else v
    if f == "cog":
        return None if v >= 359.95 else v
    if f == "heading":
        return None if v > 359 else int(v)
    if f in ("imo", "ship_type", "draught"):  # 0: not available
        return (int(v) if f != "draught" else v) or None
    if f in ("nav_status", "to_bow", "to_stern", "to_port", "to_starboard", "partno", "mmsi"):
        return int(v)
    return v


def pyais_fields(parts: list[bytes]) -> tuple[int, dict] | None:
    import pyais

    m = pyais.decode(*parts)
    t = m.msg_type
    out = {}
    for f in FIELDS_BY_TYPE.get(t, ("mmsi",)):
        src = {"sog": "speed", "cog": "course", "nav_status": "status", "rot": "turn", "name": "shipname",
               "ship_type": "ship_type"}.get(f, f)
        if t == 21 and f == "name":
            v = (m.name or "") + (getattr(m, "name_ext", "") or "")
        else:
            v = getattr(m, src, None)
        if f == "rot":
            v = v if type(v) is float else None
        elif f in ("nav_status", "ship_type") and v is not None:
            v = int(v)
        out[f] = _na(t, f, v)
    return t, out


def aiscat_fields(parts: list[bytes]) -> tuple[int, dict] | None:
    import aiscat

    m = aiscat.decode(*parts)
    t = m["type"]
    out = {}
    for f in FIELDS_BY_TYPE.get(t, ("mmsi",)):
        src = {"sog": "speed", "cog": "course", "nav_status": "status", "rot": "turn", "name": "shipname",
               "ship_type": "shiptype"}.get(f, f)
        if t == 21 and f == "name":
            v = (m.get("name") or "") + (m.get("name_ext") or "")
        else:
            v = m.get(src)
        if f == "rot":
            u = m.get("turn_unscaled")
            v = None if u is None or abs(u) >= 127 else v
        if f in ("lat", "lon") and v is not None:
            v = round(v, 6)
        if f in ("sog", "cog", "draught") and v is not None:
            v = round(v, 1)
        if f == "imo" and v == 0:
            v = None
        out[f] = _na(t, f, v)
    return t, out


def marlin_fields(parts: list[bytes]) -> tuple[int, dict] | None:
    from marlin.ais import AisParser, Other, RateOfTurn, Type24BExtent

    p = AisParser.streaming()
    p.feed(b"\r\n".join(parts) + b"\r\n")
    msgs = list(p)
    if not msgs:
        return None
    b = msgs[0].body
    if isinstance(b, Other):
        return None  # a type marlin does not decode
    tag = msgs[0].type_tag
    t = int("".join(ch for ch in tag if ch.isdigit()))
    out: dict[str, Any] = {}

    def val(name: str) -> Any:
        x = getattr(b, name, None)
        return getattr(x, "value", x)

    dims = getattr(b, "dimensions", None)
    if t == 24:
        ext = getattr(b, "extent", None)
        if isinstance(ext, Type24BExtent.Dimensions):
            dims = ext.dimensions
    for f in FIELDS_BY_TYPE.get(t, ("mmsi",)):
        if f in ("to_bow", "to_stern", "to_port", "to_starboard"):
            v = getattr(dims, f + "_m").value if dims is not None else None
            v = 0 if v is None else v
        elif f == "partno":
            v = 0 if "24a" in tag.lower() else 1
        else:
            src = {"lat": "latitude_deg", "lon": "longitude_deg", "sog": "speed_over_ground",
                   "cog": "course_over_ground", "heading": "true_heading", "nav_status": "navigation_status",
                   "rot": "rate_of_turn", "name": "vessel_name" if t != 21 else "name", "callsign": "call_sign",
                   "imo": "imo_number", "ship_type": "ship_type", "draught": "draught_m"}.get(f, f)
            v = val(src)
            if f == "rot":
                v = round(v.deg_per_min) if isinstance(v, RateOfTurn.DegPerMin) else None
            elif f == "nav_status":
                v = 15 if v is None else int(v)
            elif f in ("lat", "lon") and v is not None:
                v = round(v, 6)
            elif f in ("sog", "cog", "draught") and v is not None:
                v = round(v, 1)
            elif f == "ship_type" and v is None:
                v = 0
        out[f] = _na(t, f, v)
    return t, out


def columnar_fields(parts: list[bytes]) -> tuple[int, dict] | None:
    """dkfi's default: the column decoder where it applies (one sentence, 168 bits, types 1-3 and 18), else pyais."""
    from dkfi.maritime.sources.nmea_batch import decode_sentences

    if len(parts) == 1:
        cols, rest = decode_sentences(parts[0] + b"\n", "columnar")
        if not rest:
            t = int(cols["msg_type"][0])
            out = {}
            for f in FIELDS_BY_TYPE[t]:
                v = cols[f][0].item()
                if f in ("sog", "cog", "rot") and math.isnan(v):
                    v = None
                elif f in ("heading", "nav_status") and v < 0:
                    v = None
                out[f] = _na(t, f, v)
            COLUMNAR_USED[0] += 1
            return t, out
    return pyais_fields(parts)


COLUMNAR_USED = [0]
FIELD_READERS: dict[str, Callable[[list[bytes]], tuple[int, dict] | None]] = {
    "pyais": pyais_fields, "dkfi-columnar": columnar_fields, "aiscat": aiscat_fields, "marlin": marlin_fields}


def _equal(f: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if f in ("lat", "lon"):
        return abs(round(a, 6) - round(b, 6)) < 5e-7
    if f in ("sog", "cog", "draught"):
        return abs(a - b) < 0.05 + 1e-9
    return a == b


def correctness() -> dict:
    msgs = vector_messages()
    print(f"correctness: {len(msgs):,} messages with good checksums in {VECTORS}")
    ref = {}
    for i, (_, _, parts) in enumerate(msgs):
        try:
            ref[i] = pyais_fields(parts)
        except Exception:
            ref[i] = None
    result: dict[str, Any] = {}
    for name in DECODERS:
        reader = FIELD_READERS[name]
        try:
            reader(msgs[0][2])
        except ImportError as exc:
            print(f"  {name}: not installed ({exc}); skipped")
            continue
        except Exception:
            pass
        by_type: dict[Any, Counter] = defaultdict(Counter)
        disagree: list[str] = []
        for i, (file, line, parts) in enumerate(msgs):
            r = ref[i]
            rt = r[0] if r else "undecodable"
            c = by_type[rt]
            c["messages"] += 1
            try:
                got = reader(parts)
            except Exception:
                got = None
            if got is None:
                if r is not None:
                    disagree.append(f"{file}:{line} type {rt}: not decoded")
                continue
            c["decoded"] += 1
            if r is None:
                continue
            t, fields = got
            if t != r[0]:
                disagree.append(f"{file}:{line}: type {t}, pyais {r[0]}")
                continue
            for f, want in r[1].items():
                c["fields"] += 1
                have = fields.get(f)
                if _equal(f, have, want):
                    c["equal"] += 1
                else:
                    c[f"differ:{f}"] += 1
                    disagree.append(f"{file}:{line} type {t} {f}: {have!r}, pyais {want!r}")
        result[name] = {"by_type": {str(k): dict(v) for k, v in by_type.items()}, "disagreements": disagree}
        tot = Counter()
        for v in by_type.values():
            tot.update(v)
        print(f"\n  {name}: {tot['decoded']:,} of {tot['messages']:,} messages decoded; fields equal to pyais "
              f"{tot['equal']:,} of {tot['fields']:,}; {len(disagree)} disagreements"
              + (f" (column decoder used for {COLUMNAR_USED[0]} messages)" if name == "dkfi-columnar" else ""))
        print(f"    {'type':>11} {'messages':>9} {'decoded':>8} {'fields':>7} {'equal':>7}  differing fields")
        for k in sorted(by_type, key=lambda x: (isinstance(x, str), x)):
            v = by_type[k]
            diff = ", ".join(f"{key[7:]} {n}" for key, n in sorted(v.items()) if key.startswith("differ:"))
            print(f"    {k!s:>11} {v['messages']:>9} {v['decoded']:>8} {v['fields']:>7} {v['equal']:>7}  {diff}")
        for d in disagree[:12]:
            print(f"    - {d}")
        if len(disagree) > 12:
            print(f"    ... and {len(disagree) - 12} more")
    result["libais_vs_pyais"] = libais_expectations()
    return result


def libais_expectations() -> list[str]:
    """pyais against libais's expected values (typeexamples.json: one JSON object per message of the .nmea)."""
    lines = [ln for ln in (VECTORS / "libais" / "typeexamples.json").read_text().splitlines() if ln.strip()]
    expected = [json.loads(ln) for ln in lines]
    msgs = [m for m in vector_messages() if m[0] == "libais/typeexamples.nmea"]
    out = []
    names = {"sog": "speed", "cog": "course", "nav_status": "status", "rot": "turn", "name": "shipname",
             "ship_type": "shiptype"}
    compared = equal = 0
    for exp, (_, line, parts) in zip(expected, msgs):
        try:
            got = pyais_fields(parts)
        except Exception as exc:
            out.append(f"typeexamples.nmea:{line}: pyais fails ({exc!r})")
            continue
        assert got is not None
        t, fields = got
        if exp.get("type") != t:
            out.append(f"typeexamples.nmea:{line}: libais type {exp.get('type')}, pyais {t} (files out of step)")
            continue
        for f, have in fields.items():
            key = names.get(f, f)
            if key not in exp:
                continue
            want = exp[key]
            if f == "imo":
                want = int(want) or None
            if f in ("lat", "lon") and want is not None:
                want = round(want, 6)
            want = _na(t, f, want)
            compared += 1
            tol_equal = _equal(f, have, want) or (f in ("lat", "lon") and have is not None and want is not None
                                                  and abs(have - want) < 1e-5)  # libais keeps float32
            if tol_equal:
                equal += 1
            else:
                out.append(f"typeexamples.nmea:{line} type {t} {f}: pyais {have!r}, libais {want!r}")
    print(f"\n  libais expectations (typeexamples.json) vs pyais: {equal} of {compared} fields equal "
          f"(lat/lon within 1e-5: libais stores float32)")
    for d in out[:12]:
        print(f"    - {d}")
    return out


# ---- speed -----------------------------------------------------------------------------------------------------

def make_input(sentences: int) -> Path:
    """Exactly ``sentences`` sentence lines: the recording's VDM/VDO lines, repeated (a temporary file)."""
    path = Path(tempfile.gettempdir()) / f"dkfi-bench-decoders-{sentences}.nmea"
    if path.exists():
        return path
    lines = [ln for ln in gzip.open(SAMPLE, "rb").read().splitlines() if ln[3:6] in (b"VDM", b"VDO")]
    with open(path, "wb") as f:
        left = sentences
        while left > 0:
            part = lines[:left]
            f.write(b"\n".join(part) + b"\n")
            left -= len(part)
    return path


def peak_rss_mb() -> float:
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _blocks(path: Path):
    with open(path, "rb") as f:
        carry = b""
        while chunk := f.read(BLOCK):
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            yield data[:cut]
            carry = data[cut:]
        if carry:
            yield carry + b"\n"


def decode_file(name: str, path: Path) -> tuple[int, int]:
    """Decode every message of the file with decoder ``name``; (messages, position reports in columns)."""
    cols: dict[str, list] = {k: [] for k in ("msg_type", "mmsi", "lat", "lon", "sog", "cog", "heading")}
    msgs = 0
    if name == "pyais":
        import pyais

        for raw in pyais.FileReaderStream(str(path)):
            try:
                m = raw.decode()
            except Exception:
                continue
            msgs += 1
            if m.msg_type in (1, 2, 3, 18):
                for k, a in (("msg_type", "msg_type"), ("mmsi", "mmsi"), ("lat", "lat"), ("lon", "lon"),
                             ("sog", "speed"), ("cog", "course"), ("heading", "heading")):
                    cols[k].append(getattr(m, a))
        return msgs, len(cols["mmsi"])
    if name == "aiscat":
        import aiscat

        dec = aiscat.Decoder()
        for block in _blocks(path):
            dec.feed(block)
            while (m := dec.next()) is not None:
                msgs += 1
                if m["type"] in (1, 2, 3, 18):
                    cols["msg_type"].append(m["type"])
                    cols["mmsi"].append(m["mmsi"])
                    cols["lat"].append(m["lat"])
                    cols["lon"].append(m["lon"])
                    cols["sog"].append(m.get("speed"))
                    cols["cog"].append(m.get("course"))
                    cols["heading"].append(m.get("heading"))
        return msgs, len(cols["mmsi"])
    if name == "marlin":
        from marlin.ais import AisParser, PositionReportA, PositionReportB

        p = AisParser.streaming()
        with open(path, "rb") as f:
            while chunk := f.read(32 << 10):  # marlin's stream buffer holds 64 KB
                p.feed(chunk)
                for msg in p:
                    msgs += 1
                    b = msg.body
                    if type(b) is PositionReportA or type(b) is PositionReportB:
                        cols["msg_type"].append(msg.type_tag)
                        cols["mmsi"].append(b.mmsi)
                        cols["lat"].append(b.latitude_deg.value)
                        cols["lon"].append(b.longitude_deg.value)
                        cols["sog"].append(b.speed_over_ground.value)
                        cols["cog"].append(b.course_over_ground.value)
                        cols["heading"].append(b.true_heading.value)
        return msgs, len(cols["mmsi"])
    if name == "dkfi-columnar":
        import pyais

        from dkfi.maritime.sources.nmea_batch import decode_sentences

        positions = 0
        for block in _blocks(path):
            c, rest = decode_sentences(block, "columnar")
            mt = c["msg_type"]
            positions += int(((mt <= 3) | (mt == 18)).sum())  # the base stations' 4 and 11 come in columns too
            msgs += len(mt)
            for raw in pyais.stream.IterMessages(rest):  # the per-message fallback: every other message
                try:
                    m = raw.decode()
                except Exception:
                    continue
                msgs += 1
                if m.msg_type in (1, 2, 3, 18):  # (a 168-bit report with a trailer, say)
                    positions += 1
        return msgs, positions
    raise SystemExit(f"unknown decoder {name}")


def _load(name: str) -> None:
    """Import what a decoder needs before the clock starts (polars, numpy and pyais for dkfi's)."""
    if name == "aiscat":
        import aiscat  # noqa: F401
    elif name == "marlin":
        import marlin.ais  # noqa: F401
    else:
        import pyais  # noqa: F401
        if name == "dkfi-columnar":
            from dkfi.maritime.sources.decoders import get_decoder

            get_decoder("columnar")
            import dkfi.maritime.sources.nmea_batch  # noqa: F401


def timed(name: str, path: Path) -> dict:
    _load(name)
    w0, c0 = time.perf_counter(), time.process_time()
    msgs, positions = decode_file(name, path)
    return {"decoder": name, "wall": time.perf_counter() - w0, "cpu": time.process_time() - c0,
            "messages": msgs, "positions": positions}


def available() -> list[str]:
    out = []
    for name in DECODERS:
        try:
            if name == "aiscat":
                import aiscat  # noqa: F401
            elif name == "marlin":
                import marlin.ais  # noqa: F401
        except ImportError:
            print(f"  {name}: not installed; left out of the speed runs")
            continue
        out.append(name)
    return out


def child(kind: str, path: str, rounds: int) -> None:
    if kind == "side-by-side":
        names = available()
        res = []
        for r in range(rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                res.append(timed(name, Path(path)))
        print(json.dumps({"runs": res, "peak_rss_mb": round(peak_rss_mb(), 1)}))
        return
    out = timed(kind, Path(path))
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(out))


def run_child(kind: str, path: Path, rounds: int = 1) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(path), str(rounds)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def speed(sentences: int, rounds: int) -> dict:
    path = make_input(sentences)
    print(f"\nspeed: {path} ({sentences:,} sentence lines of the DMA recording, {path.stat().st_size / 1e6:.0f} MB)")
    names = available()
    alone: dict[str, list[dict]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            alone[name].append(run_child(name, path))
        print(f"  round {r + 1} (alone): " + ", ".join(f"{n} {alone[n][-1]['cpu']:.2f} s" for n in names))
    side = run_child("side-by-side", path, rounds)
    together: dict[str, list[dict]] = defaultdict(list)
    for x in side["runs"]:
        together[x["decoder"]].append(x)

    def med(runs: list[dict], key: str) -> float:
        return statistics.median(x[key] for x in runs)

    out: dict[str, Any] = {"sentences": sentences, "alone": {}, "side_by_side": {}}
    base_alone = med(alone["pyais"], "cpu")
    base_side = med(together["pyais"], "cpu")
    print(f"\n  {'decoder':<14} {'messages':>9} {'positions':>9}  {'alone: cpu s':>12} {'wall s':>7} {'msg/s':>10} "
          f"{'x pyais':>7} {'peak MB':>8}  {'side by side: cpu s':>19} {'msg/s':>10} {'x pyais':>7}")
    for n in names:
        a, s = alone[n], together[n]
        ca, cs = med(a, "cpu"), med(s, "cpu")
        msgs = a[-1]["messages"]
        row = {"messages": msgs, "positions": a[-1]["positions"], "cpu_s": round(ca, 3), "wall_s": round(med(a, "wall"), 3),
               "msgs_per_s": round(msgs / ca), "x_pyais": round(base_alone / ca, 2),
               "peak_rss_mb": max(x["peak_rss_mb"] for x in a)}
        out["alone"][n] = row
        out["side_by_side"][n] = {"cpu_s": round(cs, 3), "msgs_per_s": round(msgs / cs),
                                  "x_pyais": round(base_side / cs, 2)}
        print(f"  {n:<14} {msgs:>9,} {row['positions']:>9,}  {ca:>12.2f} {row['wall_s']:>7.2f} {msgs / ca:>10,.0f} "
              f"{base_alone / ca:>7.2f} {row['peak_rss_mb']:>8.1f}  {cs:>19.2f} {msgs / cs:>10,.0f} {base_side / cs:>7.2f}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentences", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are compared")
    ap.add_argument("--only", choices=("correctness", "speed"))
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    ap.add_argument("--child", nargs=3, metavar=("KIND", "PATH", "ROUNDS"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child[0], a.child[1], int(a.child[2]))
        return
    results: dict[str, Any] = {}
    if a.only != "speed":
        results["correctness"] = correctness()
    if a.only != "correctness":
        results["speed"] = speed(a.sentences, a.rounds)
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
