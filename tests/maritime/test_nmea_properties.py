"""Property tests: whatever happens to valid NMEA input, every non-blank line is accounted once."""
from __future__ import annotations

import pyais
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dkfi.maritime.records import Consumed, Position, Rejected, Static
from dkfi.maritime.sources.nmea import NmeaParser, iter_nmea, nmea_checksum


def _tag(body: str) -> str:
    return f"\\{body}*{nmea_checksum(body.encode()):02X}\\"


def _ghp(sec: int) -> str:
    body = f"PGHP,1,2013,11,12,12,0,{sec},11,219,,2190067,1,62"
    return f"${body}*{nmea_checksum(body.encode()):02X}"


_STATIC = {"type": 5, "mmsi": 219000001, "shipname": "ALPHA", "callsign": "OXAB2", "imo": 9074729,
           "destination": "AARHUS", "month": 11, "day": 12, "hour": 13, "minute": 45}
MULTI_A = pyais.encode_dict(_STATIC, radio_channel="A", seq_id=1)
MULTI_B = pyais.encode_dict({**_STATIC, "mmsi": 219000002}, radio_channel="B", seq_id=1)
def _s(body: str) -> str:
    return f"!{body}*{nmea_checksum(body.encode()):02X}"


SINGLE = [
    _s("AIVDM,1,1,,A,13@:`L001N0ded0O6Fp8wW<00<0t,0"),
    _s("BSVDM,1,1,,B,13@o1IgP@P0UNwtORnu=Drej0802,0"),
    _s("AIVDM,1,1,,B,B5NIeAP00=qmw14cRKvQSwm5WP06,0"),
    _s("AIVDM,1,1,,A,403OtUAv6gEcaoNubBCQ2wO028HW,0"),
    "!AIVDM,1,1,,A,14eGrSPP00ncMJTO5C6aBwvP2D0?,0*7A,1357134218",
    _tag("s:rcv1,c:1364272372") + "!AIVDM,1,1,,C,18153ogP?w1dD@@`JiRN4?wp0000,0*48",
]
META = [_tag("si:AISD"), _ghp(1), _ghp(2), _tag("c:1364272372")]

line = st.sampled_from(SINGLE + META + MULTI_A + MULTI_B)
clean_lines = st.lists(line, min_size=0, max_size=40)


@st.composite
def mutated(draw) -> list:
    lines = list(draw(clean_lines))
    # whole multi-part messages, possibly with parts dropped, duplicated or shuffled
    for parts in draw(st.lists(st.sampled_from([MULTI_A, MULTI_B]), max_size=4)):
        parts = list(parts)
        op = draw(st.sampled_from(["keep", "drop", "dup", "shuffle"]))
        if op == "drop":
            parts.pop(draw(st.integers(0, len(parts) - 1)))
        elif op == "dup":
            parts.insert(0, parts[draw(st.integers(0, len(parts) - 1))])
        elif op == "shuffle":
            parts = draw(st.permutations(parts))
        at = draw(st.integers(0, len(lines)))
        lines[at:at] = parts
    out: list = []
    for text in lines:
        data = bytearray(text.encode())
        op = draw(st.sampled_from(["keep", "keep", "flip", "truncate", "insert", "bytes"]))
        if op == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif op == "insert":
            i = draw(st.integers(0, len(data)))
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "bytes":
            data = bytearray(draw(st.binary(max_size=100)))
        as_str = draw(st.booleans())
        out.append(data.decode("latin-1") if as_str else bytes(data))
    # random extra lines, including blank ones and arbitrary text
    for _ in range(draw(st.integers(0, 3))):
        extra = draw(st.one_of(st.binary(max_size=60), st.text(max_size=60), st.just(""), st.just("   ")))
        out.insert(draw(st.integers(0, len(out))), extra)
    return out


def _non_blank(lines) -> int:
    """Lines with more than ASCII white space (as the parser judges them, text or bytes alike)."""
    return sum(1 for x in lines if (x.encode("latin-1", "replace") if isinstance(x, str) else x).strip())


def _check(items, lines) -> None:
    assert sum(i.units for i in items) == _non_blank(lines)
    for i in items:
        assert type(i) in (Position, Static, Consumed, Rejected)
        assert i.units >= 0
        if type(i) is Rejected:
            assert i.detail.startswith("line")


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(mutated(), st.integers(1, 30))
def test_units_identity_under_mutation(lines, stale) -> None:
    _check(list(iter_nmea(lines, receive_time=lambda: 1.0, stale_lines=stale)), lines)


@SETTINGS
@given(clean_lines)
def test_clean_input_yields_no_rejections_except_incomplete(lines) -> None:
    items = list(iter_nmea(lines))
    _check(items, lines)
    # only interleaving / repeating multi-part messages can leave parts incomplete
    assert all(i.reason == "incomplete_multipart" for i in items if type(i) is Rejected)


@SETTINGS
@given(mutated())
def test_streaming_parser_equals_iterator(lines) -> None:
    parser = NmeaParser(receive_time=lambda: 1.0)
    streamed = []
    for x in lines:
        streamed.extend(parser.feed_line(x))
    streamed.extend(parser.finish())
    assert streamed == list(iter_nmea(lines, receive_time=lambda: 1.0))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=200), st.text(max_size=200)), max_size=30))
def test_arbitrary_input_never_raises(lines) -> None:
    _check(list(iter_nmea(lines)), lines)
