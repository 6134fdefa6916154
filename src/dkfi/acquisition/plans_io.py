"""Procurement plan files in: spreadsheet CSV and XLSX, validated row by row.

Pure I/O on plain dataclasses: no database, no HTTP. `read_plan` takes a path or the uploaded bytes and returns
the good rows, the rejected rows (spreadsheet row number and a reason naming the column) and how many rows it
received. Only a file that cannot be read as a plan at all raises `PlanFileError`: not CSV or XLSX, corrupt,
empty, not UTF-8, or lacking a required column.

Both formats go through one path: every cell becomes text first (an XLSX date becomes `YYYY-MM-DD`, a whole
number `12`, never `12.0`), then the column table `COLUMNS` reads each cell. Rules, decided here:

- `id` must be non-empty and unique in the file; every later row repeating an id is rejected.
- `nsn` and `cpv` may each be empty, but not both: a plan line with no item code cannot be matched with a
  partner's. Codes are read by `dkfi.acquisition.codes` (the CPV check digit is kept but not verified).
- `quantity` is a whole number > 0; `budget` a number >= 0 with `.` for decimals and optional thousands
  separators ` ` or `_` (`1 234 567.50`). A `,` is refused rather than guessed: `1,234` is 1.234 in Denmark and
  Finland and 1234 elsewhere.
- `currency` is an active ISO 4217 code (DKK, EUR, USD, ...); lower case is accepted and upper-cased.
- `delivery_start` and `delivery_end` are dates, `YYYY-MM-DD` or `DD.MM.YYYY`; the end may not be before the start.
- Optional known columns: status, requirements, variant (text), classification (a marking dkfi.core.labels
  knows), releasable_to (nation codes separated by `,` `/` `|` or spaces). Other columns are kept as text in
  `PlanRow.extra`, keyed by their header as written (empty cells left out).
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator

from dkfi.acquisition.codes import Cpv, CpvError, Nsn, NsnError, parse_cpv, parse_nsn
from dkfi.core.tabular import (CellError, Column, RejectedRow, csv_records, parse_date, read_header,
                                 parse_label_classification, parse_nations, parse_text, sniff_delimiter)

__all__ = [
    "COLUMNS", "CURRENCIES", "REQUIRED_COLUMNS", "PlanFileError", "PlanImport", "PlanRow", "RejectedRow",
    "read_plan",
]

# Active ISO 4217 currency codes (funds, precious metals and testing codes left out).
CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF
CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL
HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON
RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split())


# ---- records -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PlanRow:
    """One accepted plan line, validated and normalised; `line` is its spreadsheet row number (header = 1)."""

    line: int
    id: str
    description: str
    capability_area: str
    nsn: Nsn | None
    cpv: Cpv | None
    quantity: int
    budget: Decimal
    currency: str
    delivery_start: date
    delivery_end: date
    status: str | None = None
    requirements: str | None = None
    variant: str | None = None
    classification: str | None = None
    releasable_to: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlanImport:
    """The outcome of reading a plan file: `received == len(rows) + len(rejected)` (blank rows not counted)."""

    rows: list[PlanRow]
    rejected: list[RejectedRow]
    received: int


class PlanFileError(ValueError):
    """A file that cannot be read as a plan at all; the message names the file and the reason."""


# ---- cells ---------------------------------------------------------------------------------------

# Thousands separators: space, `_`, no-break space and narrow no-break space (what Danish and Finnish
# spreadsheets write), in groups of three.
_SEP = "[ _\u00a0\u202f]"
_NUMBER = re.compile(rf"[0-9]{{1,3}}(?:{_SEP}[0-9]{{3}})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")
_INTEGER = re.compile(rf"[0-9]{{1,3}}(?:{_SEP}[0-9]{{3}})+|[0-9]+")


def _nsn(column: str, raw: str) -> Nsn:
    try:
        return parse_nsn(raw)
    except NsnError as e:
        raise CellError(f"{column}: {e}") from None


def _cpv(column: str, raw: str) -> Cpv:
    try:
        return parse_cpv(raw)
    except CpvError as e:
        raise CellError(f"{column}: {e}") from None


def _quantity(column: str, raw: str) -> int:
    if raw.startswith("-") and _INTEGER.fullmatch(raw[1:]):
        raise CellError(f"{column} {raw} must be greater than 0")
    if not _INTEGER.fullmatch(raw):
        raise CellError(f"{column} {raw!r} is not a whole number")
    value = int(re.sub(_SEP, "", raw))
    if value <= 0:
        raise CellError(f"{column} {raw} must be greater than 0")
    return value


def _budget(column: str, raw: str) -> Decimal:
    if raw.startswith("-") and _NUMBER.fullmatch(raw[1:]):
        raise CellError(f"{column} {raw} is negative (must be 0 or more)")
    if "," in raw:
        raise CellError(f"{column} {raw!r}: use '.' for decimals and ' ' or '_' between thousands, not ','")
    if not _NUMBER.fullmatch(raw):
        raise CellError(f"{column} {raw!r} is not a number (e.g. 1234567.50 or 1 234 567.50)")
    return Decimal(re.sub(_SEP, "", raw))


def _currency(column: str, raw: str) -> str:
    code = raw.upper()
    if code not in CURRENCIES:
        raise CellError(f"{column} {raw!r} is not an ISO 4217 currency code (e.g. DKK, EUR, USD)")
    return code


COLUMNS: tuple[Column, ...] = (
    Column("id", True, parse_text),
    Column("description", True, parse_text),
    Column("capability_area", True, parse_text),
    Column("nsn", True, _nsn, may_be_empty=True),
    Column("cpv", True, _cpv, may_be_empty=True),
    Column("quantity", True, _quantity),
    Column("budget", True, _budget),
    Column("currency", True, _currency),
    Column("delivery_start", True, parse_date),
    Column("delivery_end", True, parse_date),
    Column("status", False, parse_text),
    Column("requirements", False, parse_text),
    Column("variant", False, parse_text),
    Column("classification", False, parse_label_classification),
    Column("releasable_to", False, parse_nations),
)
REQUIRED_COLUMNS = tuple(c.name for c in COLUMNS if c.required)
_KNOWN = {c.name for c in COLUMNS}


# ---- sources: every format becomes (spreadsheet row number, cells as text) ----------------------

def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data:
        raise PlanFileError(f"{name}: not a CSV or XLSX file (binary content)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PlanFileError(f"{name}: the file is not UTF-8 ({e}); save it as 'CSV UTF-8' or XLSX") from None


def _csv_records(data: bytes, name: str) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data, name)
    return csv_records(text, sniff_delimiter(text, _KNOWN), lambda msg: PlanFileError(f"{name}: {msg}"))


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text a person would have typed into a CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value)


def _xlsx_records(data: bytes, name: str) -> Iterator[tuple[int, list[str]]]:
    """The first worksheet's rows; the row number is the sheet's own, so it matches what Excel shows."""
    import openpyxl  # imported here: only XLSX uploads need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for a damaged file; all mean "cannot read it"
        raise PlanFileError(f"{name}: not a readable XLSX workbook ({type(e).__name__}: {e})") from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise PlanFileError(f"{name}: the workbook has no worksheet")
        try:
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [_cell_text(v) for v in row]
        except PlanFileError:
            raise
        except Exception as e:
            raise PlanFileError(f"{name}: not a readable XLSX workbook ({type(e).__name__}: {e})") from None
    finally:
        book.close()


_XLSX_EXT = (".xlsx", ".xlsm")
_CSV_EXT = (".csv", ".tsv", ".txt")


def _records(data: bytes, name: str) -> Iterator[tuple[int, list[str]]]:
    """Pick the reader by file extension; without a known one, by content (a ZIP is XLSX, anything else CSV)."""
    suffix = Path(name).suffix.lower()
    is_zip = data[:4] == b"PK\x03\x04"
    if suffix in _XLSX_EXT:
        if not (is_zip and zipfile.is_zipfile(io.BytesIO(data))):
            raise PlanFileError(f"{name}: not a readable XLSX workbook (not a ZIP archive)")
        return _xlsx_records(data, name)
    if suffix == ".xls":
        raise PlanFileError(f"{name}: old Excel .xls files are not read; save it as .xlsx or CSV UTF-8")
    if suffix in _CSV_EXT:
        if is_zip:
            raise PlanFileError(f"{name}: named CSV but is a ZIP archive (an XLSX? name it .xlsx)")
        return _csv_records(data, name)
    if suffix:
        raise PlanFileError(f"{name}: not a CSV or XLSX file (extension {suffix!r})")
    return _xlsx_records(data, name) if is_zip else _csv_records(data, name)


# ---- rows ----------------------------------------------------------------------------------------

def _row(line: int, values: dict[str, str], extra: dict[str, str]) -> PlanRow | RejectedRow:
    problems: list[str] = []
    parsed: dict[str, Any] = {}
    for column in COLUMNS:
        raw = values.get(column.name, "").strip()
        if not raw:
            if column.required and not column.may_be_empty:
                problems.append(f"missing {column.name}")
            continue
        try:
            parsed[column.name] = column.parse(column.name, raw)
        except CellError as e:
            problems.append(str(e))
    if not values.get("nsn", "").strip() and not values.get("cpv", "").strip():
        problems.append("nsn and cpv are both empty (give at least one item code)")
    start, end = parsed.get("delivery_start"), parsed.get("delivery_end")
    if start and end and end < start:
        problems.append(f"delivery_end {end.isoformat()} is before delivery_start {start.isoformat()}")
    if problems:
        return RejectedRow(line, "; ".join(problems))
    return PlanRow(
        line=line, id=parsed["id"], description=parsed["description"], capability_area=parsed["capability_area"],
        nsn=parsed.get("nsn"), cpv=parsed.get("cpv"), quantity=parsed["quantity"], budget=parsed["budget"],
        currency=parsed["currency"], delivery_start=parsed["delivery_start"], delivery_end=parsed["delivery_end"],
        status=parsed.get("status"), requirements=parsed.get("requirements"), variant=parsed.get("variant"),
        classification=parsed.get("classification"), releasable_to=parsed.get("releasable_to", ()), extra=extra,
    )


def _read(records: Iterable[tuple[int, list[str]]], name: str) -> PlanImport:
    records = iter(records)
    head = read_header(records, REQUIRED_COLUMNS, lambda message: PlanFileError(f"{name}: {message}"))
    header, written = head.names, head.written

    rows: list[PlanRow] = []
    rejected: list[RejectedRow] = []
    first_line: dict[str, int] = {}
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        surplus = [c for c in cells[len(header):] if c.strip()]
        if surplus:
            rejected.append(RejectedRow(line, f"{len(cells)} cells but the header has {len(header)} "
                                              "(quote a value that contains the separator)"))
            continue
        values = {h: c for h, c in zip(header, cells) if h in _KNOWN}
        extra = {w: c.strip() for w, h, c in zip(written, header, cells) if h and h not in _KNOWN and c.strip()}
        result = _row(line, values, extra)
        row_id = values.get("id", "").strip()
        if row_id:
            if row_id in first_line:
                reason = f"id {row_id!r} is already used on line {first_line[row_id]}"
                if isinstance(result, RejectedRow):
                    reason = f"{result.reason}; {reason}"
                result = RejectedRow(line, reason)
            else:
                first_line[row_id] = line
        if isinstance(result, PlanRow):
            rows.append(result)
        else:
            rejected.append(result)
    return PlanImport(rows=rows, rejected=rejected, received=len(rows) + len(rejected))


def read_plan(source: str | Path | bytes, *, filename: str | None = None) -> PlanImport:
    """The lines of a procurement plan file (CSV or XLSX): good rows validated, bad rows with line and reason.

    `source` is a path or the file's bytes; `filename` names it in messages and, by its extension, picks the
    format (for a path it defaults to the path's name; without an extension the content decides). CSV may use
    `,` `;` or tab, UTF-8 with or without a byte-order mark; XLSX is read from its first worksheet. Raises
    PlanFileError, naming the file, when the file as a whole cannot be read as a plan.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = filename or "uploaded file"
    else:
        path = Path(source)
        name = filename or path.name
        try:
            data = path.read_bytes()
        except OSError as e:
            raise PlanFileError(f"{name}: cannot be read ({e.strerror or e})") from None
    return _read(_records(data, name), name)
