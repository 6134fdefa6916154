"""Reading tables that planners keep in spreadsheets (CSV, or XLSX turned into rows of text): the cell readers,
the column declaration, the delimiter sniffing and the rejected-row record every domain's importer shares, so a
bad cell reads the same ("line 4: end 2026-03-01 is not ...") whichever file it is in."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable, Iterator, Sequence

from dkfi.core.labels import parse_classification


class CellError(ValueError):
    """One cell's problem, worded in full (column name included) for the rejection reason."""


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row kept out of an import, with its spreadsheet row number (header = 1) and why."""

    line: int
    reason: str

    def __iter__(self) -> Iterator[Any]:  # unpacks as (line, reason)
        return iter((self.line, self.reason))

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its header name, whether the header must have it, how its cell is read, and whether a row may
    leave a required column's cell empty."""

    name: str
    required: bool
    parse: Callable[[str, str], Any]
    may_be_empty: bool = False


_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_NORDIC = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")


def parse_text(column: str, raw: str) -> str:
    return raw


def parse_date(column: str, raw: str) -> date:
    """ISO (2026-03-09) or the Nordic day.month.year (09.03.2026)."""
    if m := _ISO.fullmatch(raw):
        y, mo, d = m.groups()
    elif m := _NORDIC.fullmatch(raw):
        d, mo, y = m.groups()
    else:
        raise CellError(f"{column} {raw!r} is not a date (YYYY-MM-DD or DD.MM.YYYY)")
    try:
        return date(int(y), int(mo), int(d))
    except ValueError as e:
        raise CellError(f"{column} {raw!r} is not a valid date: {e}") from None


def parse_label_classification(column: str, raw: str) -> str:
    try:
        return parse_classification(raw).name
    except ValueError as e:  # the core's message names the classification and what is accepted
        raise CellError(f"{column}: {e}") from None


def parse_nations(column: str, raw: str) -> tuple[str, ...]:
    """Nation codes separated by `|`, `/`, `,` or spaces, in the order a label keeps them."""
    codes: set[str] = set()
    for part in re.split(r"[|/,\s]+", raw):
        if not part:
            continue
        code = part.upper()
        if not (len(code) == 3 and code.isascii() and code.isalpha()):
            raise CellError(f"{column} {part!r} is not a nation code (ISO 3166 alpha-3, e.g. DNK, FIN)")
        codes.add(code)
    return tuple(sorted(codes))


def header_name(cell: str) -> str:
    """"Releasable to", "releasable-to" and "RELEASABLE_TO" are the same column."""
    return re.sub(r"[\s\-]+", "_", cell.strip().casefold())


@dataclass(frozen=True)
class Header:
    """A table's header row: each column's ``names`` (normalised by :func:`header_name`) and as ``written``."""

    names: list[str]
    written: list[str]


def read_header(records: Iterator[tuple[int, list[str]]], required: Sequence[str],
                error: Callable[[str], Exception]) -> Header:
    """Take the first non-blank record of ``records`` as the header and check it: a column named twice, or a
    ``required`` column missing, raises ``error(message)`` naming them (and what the header has); so does a file
    with no header at all. ``records`` is left at the first row after the header."""
    seen = False
    for _, cells in records:
        seen = True
        if any(c.strip() for c in cells):
            header = Header([header_name(c) for c in cells], [c.strip() for c in cells])
            break
    else:
        what = "has only blank rows" if seen else "is empty"
        raise error(f"the file {what}: expected a header row naming {', '.join(required)}")
    named = [h for h in header.names if h]
    duplicates = sorted({h for h in named if named.count(h) > 1})
    if duplicates:
        raise error(f"the header names column(s) more than once: {', '.join(duplicates)}")
    missing = [c for c in required if c not in header.names]
    if missing:
        raise error(f"the header lacks required column(s) {', '.join(missing)} "
                    f"(it has: {', '.join(named) or 'nothing'})")
    return header


def sniff_delimiter(text: str, known: Iterable[str]) -> str:
    """The delimiter under which the header line names the most known columns (`,` on a tie)."""
    names = set(known)
    header = next((ln for ln in io.StringIO(text, newline=None) if ln.strip()), "")
    best, best_score = ",", -1
    for delimiter in (",", ";", "\t"):
        try:
            cells = next(csv.reader([header], delimiter=delimiter), [])
        except csv.Error:
            continue
        score = sum(header_name(c) in names for c in cells)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def csv_records(text: str, delimiter: str, error: Callable[[str], Exception]) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) for each record; a quoted cell may span lines but stays one row. A record
    that cannot be read raises ``error(message)``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise error(f"line {line + 1}: cannot be read as CSV: {e}") from None
        line += 1
        yield line, cells
