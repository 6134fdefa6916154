"""Item codes of a procurement plan: NATO Stock Numbers (NSN) and EU Common Procurement Vocabulary (CPV) codes.

Pure parsing, no I/O. Each parser takes what people type or paste from a spreadsheet, returns a small frozen
record with a normalised `str()`, and raises its own ValueError subclass with a reason a person can act on.

NSN
---
13 digits: a 4-digit NATO Supply Class (FSC), a 2-digit NATO country code (NCB) and a 7-digit serial; NCB and
serial together are the NIIN. Written `1005-12-345-6789`, `1005 12 345 6789` or `1005123456789`. Supply groups
run 10..99 (the first two digits of the class), so a class below 1000 (0000 included) does not exist.

CPV
---
8 digits, optionally `-` and a check digit: `35000000-4` or `35000000`. Division, group, class and category
are the first 2, 3, 4 and 5 digits (`cpv_prefix`). The check digit is read and kept but NOT verified: the
algorithm published with Regulation (EC) 213/2008 (weights 7-1-3 per level) does not reproduce the check
digits of the published list, which the EU Publications Office acknowledged (OP-TED/ePO discussion #589), and
no other rule we tried (mod 10/11 weighted sums, Luhn, ISO 7064) matches them either. A wrong check digit is
therefore not an error; comparing codes should use `Cpv.code` only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CPV_LEVELS", "Cpv", "CpvError", "Nsn", "NsnError", "cpv_prefix", "parse_cpv", "parse_nsn",
]


class NsnError(ValueError):
    """Text that is not a NATO Stock Number; the message says why."""


class CpvError(ValueError):
    """Text that is not a CPV code; the message says why."""


# ---- NSN -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Nsn:
    """A NATO Stock Number: supply class (4 digits), country code (2) and serial (7), all as digit strings."""

    fsc: str
    ncb: str
    serial: str

    @property
    def supply_group(self) -> str:
        """The NATO supply group: the first two digits of the supply class (e.g. 10 = weapons)."""
        return self.fsc[:2]

    @property
    def niin(self) -> str:
        """The National Item Identification Number: country code and serial, 9 digits."""
        return self.ncb + self.serial

    def __str__(self) -> str:
        return f"{self.fsc}-{self.ncb}-{self.serial[:3]}-{self.serial[3:]}"


# Separators, when used, must sit where the printed form puts them (4-2-3-4): a stray `-` inside a group is
# more likely a typo in a neighbouring code than a harmless variant.
_NSN_GROUPED = re.compile(r"([0-9]{4})[- ]([0-9]{2})[- ]([0-9]{3})[- ]([0-9]{4})")
_NSN_PLAIN = re.compile(r"[0-9]{13}")
_NSN_CHARS = re.compile(r"[0-9\- ]*")


def parse_nsn(text: str) -> Nsn:
    """The NSN in `text` (`1005-12-345-6789`, `1005 12 345 6789` or `1005123456789`); NsnError says why not."""
    if not isinstance(text, str):
        raise NsnError(f"an NSN is text, not {type(text).__name__}")
    raw = text.strip()
    if not raw:
        raise NsnError("the NSN is empty")
    if not _NSN_CHARS.fullmatch(raw):
        bad = sorted({c for c in raw if not (c in "- " or "0" <= c <= "9")})
        raise NsnError(f"NSN {raw!r} contains non-digits {''.join(bad)!r} (only digits, '-' and ' ' allowed)")
    digits = re.sub(r"[- ]", "", raw)
    if len(digits) != 13:
        raise NsnError(f"NSN {raw!r} has {len(digits)} digits, expected 13 (4 supply class + 2 country + 7 serial)")
    if _NSN_PLAIN.fullmatch(raw):
        fsc, ncb, serial = digits[:4], digits[4:6], digits[6:]
    elif m := _NSN_GROUPED.fullmatch(raw):
        fsc, ncb, serial = m[1], m[2], m[3] + m[4]
    else:
        raise NsnError(f"NSN {raw!r} is grouped wrongly: write 1005-12-345-6789 or 1005123456789")
    if int(fsc[:2]) < 10:
        raise NsnError(f"NSN {raw!r}: supply class {fsc} does not exist (supply groups run 10..99)")
    return Nsn(fsc, ncb, serial)


# ---- CPV -----------------------------------------------------------------------------------------

CPV_LEVELS = {"division": 2, "group": 3, "class": 4, "category": 5}


@dataclass(frozen=True, slots=True)
class Cpv:
    """A CPV main-vocabulary code: 8 digits, and the check digit when one was given (kept, not verified)."""

    code: str
    check: int | None = None

    def prefix(self, level: int | str) -> str:
        """`cpv_prefix(self.code, level)`."""
        return cpv_prefix(self.code, level)

    def __str__(self) -> str:
        return self.code if self.check is None else f"{self.code}-{self.check}"


_CPV = re.compile(r"([0-9]+)(?:\s*-\s*([0-9]*))?")
_CPV_CHARS = re.compile(r"[0-9\-\s]*")


def parse_cpv(text: str) -> Cpv:
    """The CPV code in `text` (`35000000-4` or `35000000`); CpvError says why not. The check digit is not verified."""
    if not isinstance(text, str):
        raise CpvError(f"a CPV code is text, not {type(text).__name__}")
    raw = text.strip()
    if not raw:
        raise CpvError("the CPV code is empty")
    if not _CPV_CHARS.fullmatch(raw):
        bad = sorted({c for c in raw if not (c in "-" or c.isspace() or "0" <= c <= "9")})
        raise CpvError(f"CPV {raw!r} contains non-digits {''.join(bad)!r} (write 35000000-4 or 35000000)")
    m = _CPV.fullmatch(raw)
    if m is None:
        raise CpvError(f"CPV {raw!r} is not 8 digits with an optional '-' and check digit (e.g. 35000000-4)")
    code, check = m[1], m[2]
    if len(code) != 8:
        hint = " (a spreadsheet may have dropped a leading zero: format the cell as text)" if len(code) == 7 else ""
        raise CpvError(f"CPV {raw!r} has {len(code)} digits before the check digit, expected 8{hint}")
    if check is not None and len(check) != 1:
        raise CpvError(f"CPV {raw!r}: the check digit after '-' must be one digit")
    if code[:2] == "00":
        raise CpvError(f"CPV {raw!r}: division 00 does not exist (divisions run 03..98)")
    return Cpv(code, None if check is None else int(check))


def cpv_prefix(code: str | Cpv, level: int | str) -> str:
    """The 8-digit code of the division (2), group (3), class (4) or category (5) that `code` belongs to.

    `level` is a number of significant digits (2..8) or one of the names in CPV_LEVELS;
    `cpv_prefix("35321100", "group") == "35300000"`.
    """
    digits = code.code if isinstance(code, Cpv) else parse_cpv(code).code
    n = CPV_LEVELS.get(level) if isinstance(level, str) else level
    if n is None or isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= 8:
        raise CpvError(f"CPV level {level!r} is not 2..8 or one of {', '.join(CPV_LEVELS)}")
    return digits[:n].ljust(8, "0")
