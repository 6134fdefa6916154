"""core/tabular.read_header: the one header check of every table importer (calendar, acquisition plans)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dkfi.core.tabular import header_name, read_header


class FileError(ValueError):
    pass


@pytest.mark.parametrize("records,message", [
    ([], "the file is empty: expected a header row naming name, start"),
    ([(1, ["", " "]), (2, [])], "the file has only blank rows: expected a header row naming name, start"),
    ([(1, ["Name", "NAME", "start"])], "the header names column(s) more than once: name"),
    ([(1, ["name", "end"])], "the header lacks required column(s) start (it has: name, end)"),
    ([(1, ["", ""]), (2, [" ", "x"])], "the header lacks required column(s) name, start (it has: x)"),
])
def test_a_bad_header_raises_the_importers_error_naming_the_reason(records, message):
    with pytest.raises(FileError) as exc:
        read_header(iter(records), ["name", "start"], FileError)
    assert str(exc.value) == message


def test_the_records_are_left_at_the_first_row_after_the_header():
    records = iter([(1, []), (2, [" Start ", "Releasable to", "name"]), (3, ["2026-01-01", "FIN", "Cold Response"])])
    head = read_header(records, ["name", "start"], FileError)
    assert head.names == ["start", "releasable_to", "name"]
    assert head.written == ["Start", "Releasable to", "name"]
    assert next(records) == (3, ["2026-01-01", "FIN", "Cold Response"])


@given(st.lists(st.text(alphabet="abAB _-", max_size=6), min_size=1, max_size=6))
def test_any_header_either_passes_with_every_required_column_once_or_says_why(cells):
    required = ["a", "b"]
    names = [header_name(c) for c in cells]
    try:
        head = read_header(iter([(1, cells)]), required, FileError)
    except FileError as exc:
        named = [n for n in names if n]
        assert (not any(c.strip() for c in cells) or len(set(named)) < len(named)
                or not set(required) <= set(names)), str(exc)
    else:
        assert head.names == names and set(required) <= set(names)
        named = [n for n in names if n]
        assert len(set(named)) == len(named)
