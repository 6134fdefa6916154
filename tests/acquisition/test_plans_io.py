"""Procurement plan files: CSV and XLSX read row by row, bad rows rejected with line and reason."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Sequence

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dkfi.acquisition.codes import Cpv, Nsn
from dkfi.acquisition.plans_io import REQUIRED_COLUMNS, PlanFileError, PlanRow, read_plan

HEADER = "id,description,capability_area,nsn,cpv,quantity,budget,currency,delivery_start,delivery_end"
GOOD = "p-1,Rifle 5.56,land,1005-12-345-6789,35321100-3,1200,12 500 000.50,dkk,2026-01-01,31.12.2027"


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    return (("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n").encode("utf-8")


def test_a_good_csv_row_is_read_and_normalised() -> None:
    result = read_plan(csv_bytes(HEADER, GOOD), filename="plan.csv")
    assert result.rejected == [] and result.received == 1
    assert result.rows == [PlanRow(
        line=2, id="p-1", description="Rifle 5.56", capability_area="land", nsn=Nsn("1005", "12", "3456789"),
        cpv=Cpv("35321100", 3), quantity=1200, budget=Decimal("12500000.50"), currency="DKK",
        delivery_start=date(2026, 1, 1), delivery_end=date(2027, 12, 31),
    )]


def test_semicolons_bom_header_case_optional_and_extra_columns(tmp_path: Path) -> None:
    header = ("\ufeffID;Description;Capability area;NSN;CPV;Quantity;Budget;Currency;Delivery start;Delivery end;"
              "Status;Releasable to;Classification;Variant;Requirements;Programme office")
    row = "p-2;Radio;C4ISR;;32344000;4;1_000;EUR;2026-02-01;2026-02-01;planned;fin dnk;UNCLASSIFIED;v2;MIL-STD;DALO"
    path = tmp_path / "plan.csv"
    path.write_bytes(csv_bytes(header, row))
    result = read_plan(path)  # the filename defaults to the path's name
    assert result.rejected == []
    (r,) = result.rows
    assert (r.nsn, r.cpv, r.budget, r.status, r.variant, r.requirements) == (
        None, Cpv("32344000"), Decimal(1000), "planned", "v2", "MIL-STD")
    assert r.releasable_to == ("DNK", "FIN") and r.classification == "UNCLASSIFIED"
    assert r.extra == {"Programme office": "DALO"}


@pytest.mark.parametrize(("cells", "words"), [
    ({"id": ""}, "missing id"),
    ({"nsn": "", "cpv": ""}, "nsn and cpv are both empty"),
    ({"nsn": "1005-12-345-678"}, "nsn: NSN '1005-12-345-678' has 12 digits"),
    ({"cpv": "3532110"}, "cpv: .*leading zero"),
    ({"quantity": "0"}, "quantity 0 must be greater than 0"),
    ({"quantity": "-3"}, "quantity -3 must be greater than 0"),
    ({"quantity": "2.5"}, "quantity '2.5' is not a whole number"),
    ({"budget": "-1"}, "budget -1 is negative"),
    ({"budget": "1 234 567,50"}, "budget .* not ','"),
    ({"budget": "1,234,567.50"}, "budget .* not ','"),
    ({"budget": "12 34"}, "budget '12 34' is not a number"),
    ({"budget": ""}, "missing budget"),
    ({"currency": "EURO"}, "currency 'EURO' is not an ISO 4217"),
    ({"currency": "XYZ"}, "currency 'XYZ'"),
    ({"delivery_start": "2026-02-30"}, "delivery_start '2026-02-30' is not a valid date"),
    ({"delivery_end": "next year"}, "delivery_end 'next year' is not a date"),
    ({"delivery_start": "2027-01-01", "delivery_end": "2026-01-01"}, "delivery_end 2026-01-01 is before"),
    ({"classification": "VERY SECRET-ISH"}, "classification"),
    ({"releasable_to": "DK"}, "releasable_to 'DK' is not a nation code"),
])
def test_bad_rows_are_rejected_with_line_and_column(cells: dict[str, str], words: str) -> None:
    columns = HEADER.split(",") + ["classification", "releasable_to"]
    values = dict(zip(columns, GOOD.split(",") + ["", ""]))
    values["id"] = "p-bad"
    values.update(cells)
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([values[c] for c in columns])
    bad = out.getvalue()
    result = read_plan(csv_bytes(",".join(columns), GOOD.replace("p-1", "p-0"), bad, GOOD), filename="p.csv")
    assert [r.line for r in result.rows] == [2, 4]
    ((line, reason),) = result.rejected
    assert line == 3
    assert re.search(words, reason), reason
    assert result.received == 3


def test_duplicate_ids_keep_the_first() -> None:
    result = read_plan(csv_bytes(HEADER, GOOD, "", GOOD), filename="p.csv")
    assert [r.line for r in result.rows] == [2]
    assert [tuple(r) for r in result.rejected] == [(4, "id 'p-1' is already used on line 2")]
    assert result.received == 2  # the blank row is not counted


def test_a_row_with_too_many_cells_is_rejected() -> None:
    result = read_plan(csv_bytes(HEADER, GOOD + ",surplus"), filename="p.csv")
    assert result.rows == [] and result.rejected[0].line == 2 and "11 cells" in result.rejected[0].reason


def test_missing_required_columns_are_named() -> None:
    with pytest.raises(PlanFileError, match=r"p\.csv: .*lacks required column\(s\) cpv, currency"):
        read_plan(csv_bytes(HEADER.replace(",cpv", "").replace(",currency", "")), filename="p.csv")


@pytest.mark.parametrize(("data", "filename", "words"), [
    (b"", "p.csv", "p.csv: the file is empty"),
    (b"\xff\xfe\x00i\x00d", "p.csv", "p.csv: not a CSV or XLSX file"),
    ("id;x\n".encode("latin-1") + "æ".encode("latin-1"), "p.csv", "p.csv: the file is not UTF-8"),
    (b"PK\x03\x04 not really a zip", "p.xlsx", "p.xlsx: not a readable XLSX"),
    (b"PK\x03\x04 not really a zip", "uploaded", "uploaded: not a readable XLSX"),
    (b"%PDF-1.7", "p.pdf", "p.pdf: not a CSV or XLSX file"),
    (b"\xd0\xcf\x11\xe0", "p.xls", r"p\.xls: old Excel"),
])
def test_unreadable_files_name_the_file(data: bytes, filename: str, words: str) -> None:
    with pytest.raises(PlanFileError, match=words):
        read_plan(data, filename=filename)


def test_a_missing_path_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="nope.csv: cannot be read"):
        read_plan(tmp_path / "nope.csv")


def xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_with_typed_cells() -> None:
    header = HEADER.split(",") + ["Owner"]
    data = xlsx([
        header,
        ["p-1", "Rifle", "land", 1005123456789, None, 1200.0, 12500000.5, "DKK",
         datetime(2026, 1, 1), date(2027, 12, 31), "DALO"],
        [None] * len(header),  # a blank row keeps its place in the numbering
        ["p-2", "Radio", "C4ISR", None, "32344000-4", 3, -5, "EUR", "2026-01-01", "01.02.2026", None],
        ["p-3", "Lost zero", "land", None, 3113100, 1, 1, "EUR", "2026-01-01", "2026-01-02", None],
    ])
    result = read_plan(data, filename="plan.xlsx")
    (row,) = result.rows
    assert (row.line, row.nsn, row.cpv, row.quantity, row.budget) == (
        2, Nsn("1005", "12", "3456789"), None, 1200, Decimal("12500000.5"))
    assert (row.delivery_start, row.delivery_end, row.extra) == (date(2026, 1, 1), date(2027, 12, 31),
                                                                 {"Owner": "DALO"})
    assert [(r.line, r.reason) for r in result.rejected] == [
        (4, "budget -5 is negative (must be 0 or more)"),
        (5, "cpv: CPV '3113100' has 7 digits before the check digit, expected 8 (a spreadsheet may have dropped "
            "a leading zero: format the cell as text)"),
    ]
    assert result.received == 3


def test_xlsx_missing_columns_and_no_extension() -> None:
    with pytest.raises(PlanFileError, match="budget"):
        read_plan(xlsx([[c for c in REQUIRED_COLUMNS if c != "budget"]]), filename="upload")


def test_xlsx_disguised_as_csv_is_refused() -> None:
    with pytest.raises(PlanFileError, match="a ZIP archive"):
        read_plan(xlsx([HEADER.split(",")]), filename="plan.csv")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.text(max_size=12), min_size=10, max_size=12), max_size=6))
def test_random_rows_are_accounted_for(rows: list[list[str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER.split(","))
    writer.writerows(rows)
    try:
        result = read_plan(out.getvalue().encode("utf-8"), filename="p.csv")
    except PlanFileError:
        return  # e.g. a NUL byte or a cell that breaks CSV quoting
    assert result.received == len(result.rows) + len(result.rejected)
    assert len({r.id for r in result.rows}) == len(result.rows)
