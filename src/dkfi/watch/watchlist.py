"""Watch lists: vessels of interest imported from a CSV file (sanctions lists, "shadow fleet" lists ...).

``WatchList.from_csv(path)`` reads a CSV with any subset of the columns ``imo``, ``mmsi``, ``name``,
``list`` (the list's name, e.g. "EU sanctions"), ``reason`` (header names are case-insensitive; extra
columns are ignored). A row needs at least one identifier (IMO, MMSI or name). Bad rows (an IMO number
failing its check digit, an MMSI that is not 9 digits, no identifier at all) are skipped and reported in
``errors`` as ``(row number, message)``; row numbers count the header as row 1, as a spreadsheet shows them.

``match(mmsi, static)`` returns the entries that match a vessel by MMSI, IMO number (from its static data)
or normalised name; ``matches`` also says which identifier matched. Name matches are weak (ship names are
not unique) and are reported as such (``matched_by="name"``).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, NamedTuple

NAME_JUNK = re.compile(r"[^0-9A-Z]+")


def normalise_name(name: str | None) -> str | None:
    """Upper case, punctuation and repeated blanks folded to one blank, AIS '@' padding removed."""
    if not name:
        return None
    out = NAME_JUNK.sub(" ", name.replace("@", " ").upper()).strip()
    return out or None


def imo_valid(imo: int) -> bool:
    """A 7-digit IMO ship number whose last digit is its check digit (weights 7..2 on the first six)."""
    if not 1_000_000 <= imo <= 9_999_999:
        return False
    digits = [int(c) for c in str(imo)]
    return sum(d * w for d, w in zip(digits[:6], range(7, 1, -1))) % 10 == digits[6]


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed vessel."""

    list: str
    imo: int | None = None
    mmsi: int | None = None
    name: str | None = None
    reason: str = ""
    row: int = 0

    @property
    def norm_name(self) -> str | None:
        return normalise_name(self.name)

    def as_dict(self) -> dict:
        return {"list": self.list, "imo": self.imo, "mmsi": self.mmsi, "name": self.name,
                "reason": self.reason, "row": self.row}


class Match(NamedTuple):
    entry: Entry
    matched_by: str  # "mmsi" | "imo" | "name"


@dataclass
class WatchList:
    entries: list[Entry] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    source: str = ""

    def __post_init__(self) -> None:
        self._index()

    def _index(self) -> None:
        self._by_mmsi: dict[int, list[Entry]] = {}
        self._by_imo: dict[int, list[Entry]] = {}
        self._by_name: dict[str, list[Entry]] = {}
        for e in self.entries:
            if e.mmsi is not None:
                self._by_mmsi.setdefault(e.mmsi, []).append(e)
            if e.imo is not None:
                self._by_imo.setdefault(e.imo, []).append(e)
            if e.norm_name:
                self._by_name.setdefault(e.norm_name, []).append(e)

    def __len__(self) -> int:
        return len(self.entries)

    # --- reading ---------------------------------------------------------------------------------
    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, Any]], default_list: str = "watch list",
                  source: str = "", first_row: int = 2) -> "WatchList":
        entries: list[Entry] = []
        errors: list[tuple[int, str]] = []
        for n, raw in enumerate(rows, start=first_row):
            row = {str(k).strip().lower(): (str(v).strip() if v is not None else "") for k, v in raw.items()
                   if k is not None}
            try:
                entries.append(_entry(row, n, default_list))
            except ValueError as exc:
                errors.append((n, str(exc)))
        return cls(entries, errors, source)

    @classmethod
    def from_csv(cls, path: str | Path, default_list: str | None = None) -> "WatchList":
        path = Path(path)
        with path.open(newline="", encoding="utf-8-sig") as f:
            return cls.from_text(f.read(), default_list or path.stem, source=str(path))

    @classmethod
    def from_text(cls, text: str, default_list: str = "watch list", source: str = "") -> "WatchList":
        """The CSV as text (an upload); the delimiter (comma, semicolon or tab) is sniffed."""
        text = text.lstrip("\ufeff")
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return cls.from_rows(csv.DictReader(io.StringIO(text, newline=""), dialect=dialect), default_list,
                             source=source)

    def report(self) -> str:
        """One line per bad row plus a summary."""
        lines = [f"{len(self.entries)} entries read, {len(self.errors)} bad rows skipped"
                 + (f" from {self.source}" if self.source else "")]
        lines += [f"  row {n}: {msg}" for n, msg in self.errors]
        return "\n".join(lines)

    # --- matching --------------------------------------------------------------------------------
    def matches(self, mmsi: int | None, static: Any = None) -> list[Match]:
        """Entries matching the vessel, strongest identifier first (IMO, MMSI, name); each entry once."""
        out: list[Match] = []
        seen: set[int] = set()

        def add(entries: list[Entry] | None, how: str) -> None:
            for e in entries or ():
                if id(e) not in seen:
                    seen.add(id(e))
                    out.append(Match(e, how))

        imo = getattr(static, "imo", None) if static is not None else None
        if imo:
            add(self._by_imo.get(int(imo)), "imo")
        if mmsi is not None:
            add(self._by_mmsi.get(int(mmsi)), "mmsi")
        name = normalise_name(getattr(static, "name", None)) if static is not None else None
        if name:
            add(self._by_name.get(name), "name")
        return out

    def match(self, mmsi: int | None, static: Any = None) -> list[Entry]:
        """Entries matching the vessel by MMSI, IMO (from ``static``) or normalised name."""
        return [m.entry for m in self.matches(mmsi, static)]


def _entry(row: dict[str, str], n: int, default_list: str) -> Entry:
    imo = mmsi = None
    text = row.get("imo", "")
    if text:
        t = text.upper().removeprefix("IMO").strip()
        if not t.isdigit():
            raise ValueError(f"IMO {text!r} is not a number")
        imo = int(t)
        if not imo_valid(imo):
            raise ValueError(f"IMO {text!r} is not a valid 7-digit IMO number (check digit)")
    text = row.get("mmsi", "")
    if text:
        if not text.isdigit() or len(text) != 9:
            raise ValueError(f"MMSI {text!r} is not 9 digits")
        mmsi = int(text)
    name = row.get("name") or None
    if imo is None and mmsi is None and not normalise_name(name):
        raise ValueError("no identifier (imo, mmsi or name)")
    return Entry(list=row.get("list") or default_list, imo=imo, mmsi=mmsi, name=name,
                 reason=row.get("reason", ""), row=n)
