"""Fintraffic Digitraffic marine AIS: MQTT v2 messages (live or recorded) and REST JSON files.

Message shapes (see MQTT_V2_SCHEMA.md): topics ``vessels-v2/<mmsi>/location`` and
``vessels-v2/<mmsi>/metadata`` (the MMSI is only in the topic) and ``vessels-v2/status``.

Units and conversions:

* location ``time`` is epoch seconds, metadata ``timestamp`` epoch milliseconds (a value that is
  clearly in the other unit is accepted too); a missing time or one outside 1980-2100 (a clock
  that was never set reads 1970) is ``bad_timestamp``, never 1970-01-01;
* ``rot`` is the raw AIS indicator: ``sign(r) * (r / 4.733) ** 2`` degrees per minute; -128 (not
  available) and +-127 ("turning faster than 5 deg per 30 s, no turn indicator": no usable rate)
  give None, as do values outside -128..127;
* ``sog`` 1023 / 102.3, ``cog`` 3600 / 360, ``heading`` 511 are "not available" -> None; other values
  outside 0..102.2 knots, 0..360 degrees, 0..359 are rejected as out of range;
* ``draught`` decimetres -> metres (0 = n/a); ``refA+refB`` = length, ``refC+refD`` = width (0 = n/a);
  ``imo`` 0 or outside 1..2^30-1 (the AIS field) -> None; ``type`` 0 -> None;
* ``eta`` is the packed AIS field (month << 16 | day << 11 | hour << 6 | minute) -> "MM-DDTHH:MM";
  None when any part is "not available" (month 0, day 0, hour 24, minute 60) or the value is the
  Digitraffic default 2460;
* The station kind is what the MMSI implies (Digitraffic does not say whether a ship is class A
  or B); ``msg_type`` is 0 (the AIS message type is not carried).

Every MQTT message, JSON line, GeoJSON feature or array element is one unit. A JSON line longer than
:data:`~dkfi.maritime.records.MAX_LINE` (never read whole) or nested deeper than Python's JSON reader
allows is one ``malformed_json`` unit; a damaged compressed file yields what was read and an
:class:`~dkfi.maritime.records.Unreadable` for the rest.
"""
from __future__ import annotations

import asyncio
import gzip
import json
import logging
import math
import ssl
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any, AsyncIterator, Iterable, Iterator
from urllib.parse import unquote, urlsplit

from dkfi.maritime.mmsi import is_valid_mmsi, station_for_mmsi
from dkfi.maritime.records import (
    IMO_MAX,
    MAX_LINE,
    REASON_BAD_JSON,
    REASON_BAD_TIMESTAMP,
    REASON_INVALID_MMSI,
    REASON_NO_POSITION,
    REASON_OUT_OF_RANGE,
    REASON_UNKNOWN_SENTENCE,
    REASON_UNSUPPORTED,
    Consumed,
    Item,
    Position,
    Rejected,
    Static,
    Station,
    Unreadable,
    WHITE_SPACE,
    clean_text,
)

__all__ = [
    "parse_message", "read_digitraffic", "looks_like_digitraffic", "subscribe",
    "rot_from_indicator", "decode_eta", "parse_url",
]

log = logging.getLogger(__name__)

DEFAULT_TOPICS = ("vessels-v2/+/location", "vessels-v2/+/metadata")
ETA_NA = 2460


class _Bad(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# --- field conversions -----------------------------------------------------------------------

def _number(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    if not isinstance(v, (int, float, str)):
        return None
    try:
        f = float(v)
    except (ValueError, OverflowError):  # not a number, or an integer beyond any float
        return None
    return f if math.isfinite(f) else None


def rot_from_indicator(raw: Any) -> float | None:
    """Degrees per minute from the raw AIS rate-of-turn indicator (see module doc)."""
    r = _number(raw)
    if r is None:
        return None
    if r <= -127 or r >= 127:  # -128 n/a, +-127 "turning at more than 5 deg/30 s", beyond: invalid
        return None
    deg = (abs(r) / 4.733) ** 2
    return round(math.copysign(deg, r), 3) if r else 0.0


def decode_eta(packed: Any) -> str | None:
    """'MM-DDTHH:MM' from the packed AIS ETA bits; None when not available."""
    v = _number(packed)
    if v is None or v != int(v):
        return None
    v = int(v)
    if v <= 0 or v == ETA_NA or v >= 1 << 20:
        return None
    month, day, hour, minute = (v >> 16) & 0xF, (v >> 11) & 0x1F, (v >> 6) & 0x1F, v & 0x3F
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59):
        return None
    return f"{month:02d}-{day:02d}T{hour:02d}:{minute:02d}"


# Plausible times: 1980-01-01 .. 2100-01-01 (a server or receiver with an unset clock sends 1970).
_T_MIN = 315_532_800.0
_T_MAX = 4_102_444_800.0


def _epoch(v: Any) -> float | None:
    """Epoch seconds from a number in seconds or milliseconds (values above 1e11 are milliseconds:
    1e11 s would be the year 5138); None when missing or outside 1980-2100."""
    t = _number(v)
    if t is None:
        return None
    if t > 1e11:
        t /= 1000.0
    return t if _T_MIN <= t <= _T_MAX else None


def _int_or_none(v: Any) -> int | None:
    f = _number(v)
    if f is None or f != int(f):
        return None
    return int(f)


def _text(v: Any) -> str | None:
    return clean_text(v) if isinstance(v, str) else None


# --- one message -----------------------------------------------------------------------------

def _location(mmsi: int, p: dict, source: str, ts: float | None = None) -> Position:
    if ts is None:
        ts = _epoch(p.get("time"))
    if ts is None:
        raise _Bad(REASON_BAD_TIMESTAMP, f"time {_short(p.get('time'))}: missing or not in 1980-2100")
    lat, lon = _number(p.get("lat")), _number(p.get("lon"))
    if lat is None or lon is None or lat == 91.0 or lon == 181.0:
        raise _Bad(REASON_NO_POSITION, f"lat {_short(p.get('lat'))} lon {_short(p.get('lon'))}")
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise _Bad(REASON_OUT_OF_RANGE, f"lat {lat} lon {lon}")
    sog = _number(p.get("sog"))
    if sog is not None:
        if sog in (1023.0, 102.3):
            sog = None
        elif not 0.0 <= sog < 102.3:
            raise _Bad(REASON_OUT_OF_RANGE, f"sog {sog}")
    cog = _number(p.get("cog"))
    if cog is not None:
        if cog in (3600.0, 360.0):
            cog = None
        elif not 0.0 <= cog < 360.0:
            raise _Bad(REASON_OUT_OF_RANGE, f"cog {cog}")
    heading = _int_or_none(p.get("heading"))
    if p.get("heading") is not None and heading is None:
        raise _Bad(REASON_OUT_OF_RANGE, f"heading {_short(p.get('heading'))}")
    if heading == 511:
        heading = None
    elif heading is not None and not 0 <= heading <= 359:
        raise _Bad(REASON_OUT_OF_RANGE, f"heading {heading}")
    nav = _int_or_none(p.get("navStat"))
    if nav is not None and not 0 <= nav <= 15:
        nav = None
    return Position(
        ts=ts, mmsi=mmsi, lat=lat, lon=lon, sog=sog, cog=cog, heading=heading, nav_status=nav,
        rot=rot_from_indicator(p.get("rot")), station=station_for_mmsi(mmsi, Station.UNKNOWN).value,
        source=source, msg_type=0, time_from_message=True, units=1, dedupe_key=(mmsi, ts, lat, lon),
    )


def _dimension(a: Any, b: Any) -> float | None:
    x, y = _number(a), _number(b)
    if x is None and y is None:
        return None
    total = (x or 0.0) + (y or 0.0)
    return total if 0 < total < math.inf else None  # two huge parts add up to infinity


def _metadata(mmsi: int, p: dict, source: str) -> Static:
    ts = _epoch(p.get("timestamp"))
    if ts is None:
        raise _Bad(REASON_BAD_TIMESTAMP, f"timestamp {_short(p.get('timestamp'))}: missing or not in 1980-2100")
    imo = _int_or_none(p.get("imo"))
    ship_type = _int_or_none(p.get("type", p.get("shipType")))
    draught = _number(p.get("draught"))
    return Static(
        ts=ts, mmsi=mmsi, name=_text(p.get("name")), imo=imo if imo is not None and 0 < imo <= IMO_MAX else None,
        callsign=_text(p.get("callSign")),
        ship_type=ship_type if ship_type is not None and 1 <= ship_type <= 99 else None,
        length=_dimension(p.get("refA"), p.get("refB")), width=_dimension(p.get("refC"), p.get("refD")),
        draught=draught / 10.0 if draught and draught > 0 else None,
        destination=_text(p.get("destination")), eta=decode_eta(p.get("eta")),
        station=station_for_mmsi(mmsi, Station.UNKNOWN).value, source=source, msg_type=0,
        time_from_message=True, units=1,
    )


def _digits(text: str) -> bool:
    """ASCII digits, few enough to be a number of ours (int() refuses long ones and reads other scripts' digits)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def _mmsi(v: Any) -> int:
    if isinstance(v, bool):
        raise _Bad(REASON_INVALID_MMSI, f"mmsi {_short(v)}")
    if isinstance(v, str) and _digits(v.strip()):
        v = int(v.strip())
    if not isinstance(v, int) or not is_valid_mmsi(v):
        raise _Bad(REASON_INVALID_MMSI, f"mmsi {_short(v)}")
    return v


def _short(v: Any) -> str:
    """The value as a detail shows it: short, and only scalars (a nested value is named by its type)."""
    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > 64:
        return f"a {v.bit_length()}-bit integer"  # repr of a long one is slow, and refused past 4,300 digits
    text = repr(v) if isinstance(v, (str, int, float, bool, type(None))) else type(v).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _json(text: bytes | str, what: str) -> Any:
    """``json.loads``, every failure a ``malformed_json`` rejection (a deep nesting too: RecursionError)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise _Bad(REASON_BAD_JSON, f"{what} nested too deeply to read") from None
    except (ValueError, TypeError) as e:
        raise _Bad(REASON_BAD_JSON, f"{what} not JSON ({str(e)[:120]})") from None


def _load(payload: bytes | str | dict) -> dict:
    if isinstance(payload, dict):
        return payload
    obj = _json(payload, "payload")
    if not isinstance(obj, dict):
        raise _Bad(REASON_BAD_JSON, f"payload not a JSON object: {type(obj).__name__}")
    return obj


def parse_message(topic: str, payload: bytes | str | dict, *, source: str = "digitraffic") -> Item:
    """One Digitraffic MQTT message as a Position, Static, Consumed (status) or Rejected. Never raises."""
    if not isinstance(topic, str):
        return Rejected(REASON_UNKNOWN_SENTENCE, 1, f"{source}: topic not a string: {type(topic).__name__}")
    where = topic if len(topic) <= 100 else topic[:97] + "..."
    try:
        parts = topic.strip("/").split("/")
        if parts[0] == "vessels-v2" and len(parts) == 2 and parts[1] == "status":
            _load(payload)
            return Consumed(1, "status")
        v1 = parts[0] == "vessels" and len(parts) == 3 and parts[2] in ("locations", "metadata")
        if not (v1 or (parts[0] == "vessels-v2" and len(parts) == 3 and parts[2] in ("location", "metadata"))):
            raise _Bad(REASON_UNKNOWN_SENTENCE, "unknown topic")
        if not _digits(parts[1]):
            raise _Bad(REASON_UNKNOWN_SENTENCE, "no MMSI in topic")
        mmsi = _mmsi(int(parts[1]))
        p = _load(payload)
        if v1:  # legacy v1: {"type": ..., "data": {...}} with a GeoJSON feature for locations
            data = p.get("data", p)
            if not isinstance(data, dict):
                raise _Bad(REASON_BAD_JSON, "v1 data not an object")
            if parts[2] == "locations":
                return _feature(data, source, mmsi=mmsi)
            return _metadata(mmsi, data, source)
        if parts[2] == "location":
            return _location(mmsi, p, source)
        return _metadata(mmsi, p, source)
    except _Bad as e:
        return Rejected(e.reason, 1, f"{source} {where}: {e.detail}")
    except Exception as e:  # never raise
        return Rejected(REASON_BAD_JSON, 1, f"{source} {where}: {type(e).__name__}: {str(e)[:200]}")


def _feature(f: dict, source: str, mmsi: int | None = None) -> Item:
    """A REST GeoJSON location feature (``mmsi``, ``geometry.coordinates`` [lon, lat], ``properties``)."""
    props = f.get("properties") or {}
    if not isinstance(props, dict):
        raise _Bad(REASON_BAD_JSON, "properties not an object")
    if mmsi is None:
        mmsi = _mmsi(f.get("mmsi", props.get("mmsi")))
    coords = (f.get("geometry") or {}).get("coordinates") if isinstance(f.get("geometry"), dict) else None
    p = dict(props)
    if isinstance(coords, (list, tuple)) and len(coords) >= 2:
        p["lon"], p["lat"] = coords[0], coords[1]
    ts = _epoch(props.get("timestampExternal", props.get("timestamp")))
    if ts is None:
        raise _Bad(REASON_BAD_TIMESTAMP, f"timestamp {_short(props.get('timestampExternal', props.get('timestamp')))}: "
                                         "missing or not in 1980-2100")
    return _location(mmsi, p, source, ts=ts)


def _element(obj: Any, source: str) -> Item:
    """One element of a file: an MQTT record, a GeoJSON feature or a REST metadata object."""
    try:
        if not isinstance(obj, dict):
            raise _Bad(REASON_BAD_JSON, f"not a JSON object: {type(obj).__name__}")
        if "topic" in obj:
            payload = obj.get("payload")
            return parse_message(obj["topic"], payload if payload is not None else "", source=source)
        if obj.get("type") == "Feature" or "geometry" in obj:
            return _feature(obj, source)
        if "mmsi" in obj:
            return _metadata(_mmsi(obj["mmsi"]), obj, source)
        raise _Bad(REASON_UNSUPPORTED, "neither an MQTT record, a location feature nor vessel metadata")
    except _Bad as e:
        return Rejected(e.reason, 1, f"{source}: {e.detail}")
    except Exception as e:
        return Rejected(REASON_BAD_JSON, 1, f"{source}: {type(e).__name__}: {e}")


# --- files -----------------------------------------------------------------------------------

def _open_text(path: Path):
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:2] == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    if magic == b"PK\x03\x04":
        import io

        z = zipfile.ZipFile(path)
        names = [i for i in z.infolist() if not i.is_dir()]
        if not names:
            z.close()
            raise zipfile.BadZipFile("no file in the zip archive")
        return io.TextIOWrapper(z.open(names[0]), encoding="utf-8", errors="replace")
    return open(path, "r", encoding="utf-8", errors="replace")


def _lines(f) -> Iterator[str | int]:
    """The lines of a text stream (ended by CR, LF or CRLF); a line longer than MAX_LINE is never held whole:
    its length (an int) stands for it, and the JSON Lines reader refuses it as one unit."""
    cap = MAX_LINE + 1
    while line := f.readline(cap):
        if len(line) < cap or line[-1] == "\n":
            yield line
            continue
        size = len(line)
        while (more := f.readline(cap)) and more[-1] != "\n":
            size += len(more)
        yield size + len(more.rstrip("\r\n"))


def read_digitraffic(path, *, source: str | None = None) -> Iterator[Item]:
    """Items from a Digitraffic file: JSON Lines of {"topic", "payload"} (as recorded by
    :func:`subscribe`), a JSON array of such records, a REST GeoJSON FeatureCollection of
    locations or a JSON array of REST vessel metadata objects."""
    path = Path(path)
    src = source or f"digitraffic:{path.name}"
    try:
        yield from _read(path, src)
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:  # what was read before is kept
        yield Unreadable(f"{path.name}: file damaged or unreadable ({exc!r}); the rest is unreadable")


def _line_item(line: str | int, lineno: int, src: str) -> Item:
    """The item of one JSON line."""
    if isinstance(line, int):
        return Rejected(REASON_BAD_JSON, 1, f"{src}: line {lineno}: longer than {MAX_LINE:,} characters "
                                            f"({line:,}), not read")
    try:
        o = _json(line, "line")
    except _Bad as e:
        return Rejected(e.reason, 1, f"{src}: line {lineno}: {e.detail}")
    return _element(o, src)


def _read(path: Path, src: str) -> Iterator[Item]:
    with _open_text(path) as f:
        # the first line decides: a record on a line of its own starts JSON Lines; anything else is one document
        # (a REST response is often one line of megabytes, so this line is read whole, as the document would be)
        first = ""
        lineno = 0
        while line := f.readline():
            lineno += 1
            if line.strip(WHITE_SPACE):
                first = line
                break
        if not first:
            return
        head = first.lstrip("\ufeff").strip()
        is_line = False
        obj: Any = None
        if head.startswith("{"):
            try:
                obj = json.loads(head)
                is_line = isinstance(obj, dict) and ("topic" in obj or "mmsi" in obj or obj.get("type") == "Feature")
            except RecursionError:  # a line nested this deep is no document's first line
                is_line = True
            except ValueError:
                pass
        if is_line:  # JSON Lines
            yield _element(obj, src) if isinstance(obj, dict) else _line_item(head, lineno, src)
            for line in _lines(f):
                lineno += 1
                if isinstance(line, str):
                    line = line.strip(WHITE_SPACE)
                    if not line:
                        continue
                yield _line_item(line, lineno, src)
            return
        text = first + f.read()
    try:
        doc = _json(text.lstrip("\ufeff"), "file")
    except _Bad as e:
        yield Rejected(e.reason, 1, f"{src}: {e.detail}")
        return
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        features = doc.get("features")
        if features is None:
            features = []
        if not isinstance(features, list):
            yield Rejected(REASON_BAD_JSON, 1, f"{src}: features not a list: {type(features).__name__}")
            return
        for feat in features:
            yield _element(feat if isinstance(feat, dict) else None, src)
    elif isinstance(doc, list):
        for el in doc:
            yield _element(el, src)
    else:
        yield _element(doc, src)


def looks_like_digitraffic(first_bytes: bytes) -> bool:
    """True for Digitraffic JSON: MQTT records, a location FeatureCollection or vessel metadata."""
    if first_bytes[:2] == b"\x1f\x8b":
        import zlib

        try:
            first_bytes = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(first_bytes, 65536)
        except zlib.error:
            return False
    text = first_bytes[:65536].decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if not text.startswith(("{", "[")):
        return False
    if '"topic"' in text and ("vessels-v2/" in text or "vessels/" in text):
        return True
    if '"FeatureCollection"' in text and '"mmsi"' in text:
        return True
    return '"mmsi"' in text and '"timestamp"' in text and any(
        k in text for k in ('"callSign"', '"navStat"', '"destination"', '"name"', '"sog"'))


# --- MQTT ------------------------------------------------------------------------------------

def parse_url(url: str) -> dict:
    """aiomqtt.Client keyword arguments for an mqtt://, mqtts://, ws:// or wss:// URL."""
    u = urlsplit(url if "://" in url else f"mqtt://{url}")
    scheme = u.scheme.lower()
    if scheme not in ("mqtt", "mqtts", "tcp", "ssl", "ws", "wss"):
        raise ValueError(f"unsupported MQTT URL scheme {u.scheme!r} (mqtt, mqtts, ws, wss)")
    tls = scheme in ("mqtts", "ssl", "wss")
    ws = scheme in ("ws", "wss")
    default_port = {"mqtt": 1883, "tcp": 1883, "mqtts": 8883, "ssl": 8883, "ws": 80, "wss": 443}[scheme]
    kw: dict[str, Any] = {"hostname": u.hostname or "127.0.0.1", "port": u.port or default_port}
    if u.username:
        kw["username"] = unquote(u.username)
    if u.password:
        kw["password"] = unquote(u.password)
    if ws:
        kw["transport"] = "websockets"
        kw["websocket_path"] = u.path or "/mqtt"
    if tls:
        kw["tls_context"] = ssl.create_default_context()
    return kw


async def _wait_or_stop(stop: asyncio.Event, delay: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=delay)
    except asyncio.TimeoutError:
        pass


async def subscribe(
    url: str = "mqtt://127.0.0.1:1883",
    topics: Iterable[str] = DEFAULT_TOPICS,
    *,
    stop: asyncio.Event | None = None,
    record_to: Path | None = None,
    source: str | None = None,
) -> AsyncIterator[Item]:
    """Items from a Digitraffic-shaped MQTT broker as messages arrive.

    Reconnects after a lost or refused connection, waiting 1 s, then doubling up to 60 s (reset
    after a successful connection). With ``record_to`` each raw message is appended as a JSON line
    ``{"topic": ..., "payload": ...}`` that :func:`read_digitraffic` reads back. Ends when ``stop``
    is set.
    """
    import aiomqtt

    stop = stop or asyncio.Event()
    kw = parse_url(url)
    src = source or f"mqtt:{kw['hostname']}:{kw['port']}"
    topics = list(topics)
    headers = {"User-Agent": "dkfi", "Digitraffic-User": "dkfi"}
    if kw.get("transport") == "websockets":
        kw["websocket_headers"] = headers
    record = open(record_to, "a", encoding="utf-8") if record_to else None
    delay = 1.0
    try:
        while not stop.is_set():
            try:
                async with aiomqtt.Client(**kw, timeout=10) as client:
                    for t in topics:
                        await client.subscribe(t)
                    log.info("MQTT %s: connected, subscribed to %s", url, ", ".join(topics))
                    delay = 1.0
                    messages = client.messages
                    stopper = asyncio.ensure_future(stop.wait())
                    try:
                        while not stop.is_set():
                            nxt = asyncio.ensure_future(messages.__anext__())
                            done, _ = await asyncio.wait({nxt, stopper}, return_when=asyncio.FIRST_COMPLETED)
                            if nxt not in done:
                                nxt.cancel()
                                try:
                                    await nxt
                                except (asyncio.CancelledError, Exception):
                                    pass
                                break
                            msg = nxt.result()
                            topic = str(msg.topic)
                            payload = msg.payload if isinstance(msg.payload, (bytes, str)) else b""
                            item = parse_message(topic, payload, source=src)
                            if record is not None:
                                _record(record, topic, payload)
                            yield item
                    finally:
                        stopper.cancel()
            except aiomqtt.MqttError as e:
                if stop.is_set():
                    break
                log.warning("MQTT %s: %s; reconnecting in %.0f s", url, e, delay)
                await _wait_or_stop(stop, delay)
                delay = min(delay * 2, 60.0)
    finally:
        if record is not None:
            record.close()


def _record(f, topic: str, payload: bytes | str) -> None:
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    try:
        value: Any = json.loads(text)
    except ValueError:
        value = text
    f.write(json.dumps({"topic": topic, "payload": value, "received": round(time.time(), 3)},
                       separators=(",", ":")) + "\n")
    f.flush()
