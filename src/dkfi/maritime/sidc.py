"""Symbol codes (SIDC) of vessels: MIL-STD-2525C / APP-6(B) letter codes from the AIS ship type and identity.

A letter SIDC has 15 positions::

    1  coding scheme      S (warfighting)
    2  standard identity  P pending, U unknown, A assumed friend, F friend, N neutral, S suspect, H hostile
    3  battle dimension   S (sea surface)
    4  status             P (present)
    5-10 function         e.g. XMC--- cargo ship, XF---- fishing vessel, C----- combatant
    11-12 symbol modifier --
    13-14 country         --
    15 order of battle    -

The function follows the AIS ship-and-cargo type (ITU-R M.1371, 0-99) after MIL-STD-2525C's sea-surface
hierarchy, the same grouping as the Cursor-on-Target types (:mod:`dkfi.maritime.exports`): cargo 70-79 ``XMC``,
tanker 80-89 ``XMO``, passenger 60-69 ``XMP``, fishing 30 ``XF``, towing 31-32 ``XMTO``, tug 52 ``XMTU``,
sailing and pleasure 36-37 ``XR``, law enforcement 55 ``XL``, high-speed craft 40-49 and other 90-99 ``XM``
(merchant), military operations 35 ``C`` (combatant), non-combatant per RR Res. 18 (59) ``N``; the remaining
civilian types (wing in ground, dredging, diving, pilot, search and rescue, port tender, anti-pollution, medical,
spare) ``X`` (non-military); no type, 0 and the reserved 1-19 the bare sea-surface track ``------``.

Identity (:func:`vessel_identity`): a vessel on a watch list is *suspect*, or *hostile* when the operator sets it;
otherwise a civilian AIS type is *neutral*, and a military vessel (35, 59) or one without a known type *unknown*.
Used by the NVG export now (``symbol="2525c:<sidc>"``) and by symbol rendering (milsymbol) later.
"""
from __future__ import annotations

import re

SCHEME_WARFIGHTING = "S"
DIMENSION_SEA_SURFACE = "S"
STATUS_PRESENT = "P"
UNFILLED = "-"

#: standard identity -> its SIDC letter (position 2)
IDENTITIES: dict[str, str] = {
    "pending": "P", "unknown": "U", "assumed_friend": "A", "friend": "F", "neutral": "N", "suspect": "S",
    "hostile": "H",
}
#: what a watch list may make of a vessel (the operator's choice; suspect unless set)
WATCH_IDENTITIES = ("suspect", "hostile")

TRACK = "------"          # sea-surface track, no further function
NON_MILITARY = "X-----"
MERCHANT = "XM----"

_SPECIFIC: dict[int, str] = {
    30: "XF----",         # fishing -> fishing vessel
    31: "XMTO--",         # towing -> towing vessel
    32: "XMTO--",         # towing, length > 200 m or breadth > 25 m
    35: "C-----",         # military operations -> combatant
    36: "XR----",         # sailing -> leisure craft
    37: "XR----",         # pleasure craft -> leisure craft
    52: "XMTU--",         # tug
    55: "XL----",         # law enforcement vessel
    59: "N-----",         # non-combatant ship according to RR Resolution No. 18 -> navy non-combatant
}
_BY_DECADE: dict[int, str] = {
    2: NON_MILITARY,      # wing in ground
    4: MERCHANT,          # high-speed craft
    6: "XMP---",          # passenger
    7: "XMC---",          # cargo
    8: "XMO---",          # tanker -> oiler/tanker
    9: MERCHANT,          # other types
}
_MILITARY = frozenset({35, 59})

#: letter SIDC (2525B/C, APP-6A/B): scheme, identity, dimension, status, function, modifiers, country, OOB
SIDC_RE = re.compile(r"^[SGWIOE][PUAFNSHGWMDLJKO-][A-Z*-][APCDXF*-][A-Z0-9*-]{6}[A-Z0-9*-]{2}[A-Z*-]{2}[A-Z*-]$")


def ship_function(ship_type: int | None) -> str:
    """The 6-character function of a vessel's symbol from its AIS ship-and-cargo type (see the module doc)."""
    if ship_type is None or not 0 <= ship_type <= 99:
        return TRACK
    if ship_type in _SPECIFIC:
        return _SPECIFIC[ship_type]
    decade = ship_type // 10
    if decade in _BY_DECADE:
        return _BY_DECADE[decade]
    if decade == 5:       # pilot, SAR, port tender, anti-pollution, spare, medical
        return NON_MILITARY
    if decade == 3:       # dredging, diving, reserved
        return NON_MILITARY
    return TRACK          # 0 (not available) and 1-19 (reserved)


def vessel_identity(ship_type: int | None, watch_listed: bool = False, watch_identity: str = "suspect") -> str:
    """The standard identity of a vessel: ``watch_identity`` (suspect or hostile) when it is watch-listed,
    else neutral for a civilian AIS type and unknown for a military one or an unknown type."""
    if watch_listed:
        if watch_identity not in WATCH_IDENTITIES:
            raise ValueError(f"a watch-listed vessel is {' or '.join(WATCH_IDENTITIES)}; got {watch_identity!r}")
        return watch_identity
    if ship_type is None or ship_type in _MILITARY or ship_function(ship_type) == TRACK:
        return "unknown"
    return "neutral"


def sidc(function: str, identity: str = "unknown", *, scheme: str = SCHEME_WARFIGHTING,
         dimension: str = DIMENSION_SEA_SURFACE, status: str = STATUS_PRESENT) -> str:
    """A 15-character letter SIDC (ValueError for an unknown identity or a malformed function)."""
    if identity not in IDENTITIES:
        raise ValueError(f"unknown standard identity {identity!r}; expected one of {', '.join(IDENTITIES)}")
    if len(function) != 6:
        raise ValueError(f"a symbol function has 6 characters; got {function!r}")
    code = f"{scheme}{IDENTITIES[identity]}{dimension}{status}{function}{UNFILLED * 5}"
    if not SIDC_RE.match(code):
        raise ValueError(f"not a valid letter SIDC: {code!r}")
    return code


def vessel_sidc(ship_type: int | None, watch_listed: bool = False, watch_identity: str = "suspect") -> str:
    """The SIDC of a vessel from its AIS ship type and watch-list status, e.g. 70 -> ``SNSPXMC--------``."""
    return sidc(ship_function(ship_type), vessel_identity(ship_type, watch_listed, watch_identity))


def identity_of(code: str) -> str:
    """The standard identity a letter SIDC carries (``SNSPXMC--------`` -> ``neutral``)."""
    if not SIDC_RE.match(code):
        raise ValueError(f"not a valid letter SIDC: {code!r}")
    letter = code[1]
    for name, ch in IDENTITIES.items():
        if ch == letter:
            return name
    raise ValueError(f"SIDC {code!r} has a standard identity {letter!r} this module does not name")
