"""Human texts for AIS codes (ITU-R M.1371): navigation status and ship type."""
from __future__ import annotations

NAV_STATUS = {
    0: "Under way using engine", 1: "At anchor", 2: "Not under command", 3: "Restricted manoeuvrability",
    4: "Constrained by her draught", 5: "Moored", 6: "Aground", 7: "Engaged in fishing",
    8: "Under way sailing", 9: "Reserved (HSC)", 10: "Reserved (WIG)", 11: "Towing astern",
    12: "Pushing ahead or towing alongside", 13: "Reserved", 14: "AIS-SART active", 15: "Not defined",
}

_SPECIFIC = {
    30: "Fishing", 31: "Towing", 32: "Towing (large)", 33: "Dredging or underwater operations",
    34: "Diving operations", 35: "Military operations", 36: "Sailing", 37: "Pleasure craft",
    50: "Pilot vessel", 51: "Search and rescue vessel", 52: "Tug", 53: "Port tender",
    54: "Anti-pollution equipment", 55: "Law enforcement", 58: "Medical transport",
    59: "Noncombatant ship (RR Res. 18)",
}
_DECADE = {2: "Wing in ground", 4: "High-speed craft", 6: "Passenger", 7: "Cargo", 8: "Tanker", 9: "Other type"}


def nav_status_text(code: int | None) -> str | None:
    return None if code is None else NAV_STATUS.get(code, f"Unknown ({code})")


def ship_type_text(code: int | None) -> str | None:
    """'Cargo', 'Tanker, hazardous category A', ... from the two-digit AIS ship-and-cargo type."""
    if code is None or code == 0:
        return None
    if code in _SPECIFIC:
        return _SPECIFIC[code]
    decade, unit = divmod(code, 10)
    base = _DECADE.get(decade)
    if base is None:
        return f"Reserved ({code})"
    hazard = {1: ", hazardous category A", 2: ", hazardous category B", 3: ", hazardous category C",
              4: ", hazardous category D"}.get(unit, "")
    return base + hazard
