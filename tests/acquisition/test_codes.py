"""Item codes: NATO Stock Numbers and CPV codes, parsed and normalised, with reasons for what is refused."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dkfi.acquisition.codes import Cpv, CpvError, Nsn, NsnError, cpv_prefix, parse_cpv, parse_nsn

PROPS = settings(max_examples=300, deadline=None)


# ---- NSN -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["1005-12-345-6789", "1005123456789", "1005 12 345 6789", "  1005-12-345-6789 "])
def test_nsn_forms_normalise_alike(text: str) -> None:
    nsn = parse_nsn(text)
    assert nsn == Nsn("1005", "12", "3456789")
    assert str(nsn) == "1005-12-345-6789"
    assert nsn.supply_group == "10"
    assert nsn.niin == "123456789"


def test_nsn_country_codes_keep_leading_zero() -> None:
    # 00 and 01 are the United States, 22 Denmark, 53 Finland (NCB codes)
    assert parse_nsn("2320-01-123-4567").ncb == "01"
    assert str(parse_nsn("5820 22 000 0001")) == "5820-22-000-0001"


@pytest.mark.parametrize(("text", "words"), [
    ("", "empty"),
    ("   ", "empty"),
    ("1005-12-345-678", "12 digits, expected 13"),
    ("10051234567890", "14 digits"),
    ("1005-12-345-678X", "non-digits 'X'"),
    ("1005/12/345/6789", "non-digits '/'"),
    ("１００５１２３４５６７８９", "non-digits"),  # full-width digits are not ASCII digits
    ("100-512-345-6789", "grouped wrongly"),
    ("1005--12-345-6789", "grouped wrongly"),
    ("0000-12-345-6789", "supply class 0000"),
    ("0512-12-345-6789", "supply class 0512"),
])
def test_nsn_refusals_say_why(text: str, words: str) -> None:
    with pytest.raises(NsnError, match=words):
        parse_nsn(text)


def test_nsn_error_is_a_value_error() -> None:
    assert issubclass(NsnError, ValueError)
    with pytest.raises(ValueError):
        parse_nsn(1005123456789)


@PROPS
@given(st.from_regex(r"[1-9][0-9]{12}", fullmatch=True))
def test_nsn_round_trips(digits: str) -> None:
    nsn = parse_nsn(digits)
    assert parse_nsn(str(nsn)) == nsn
    assert str(nsn).replace("-", "") == digits


@PROPS
@given(st.text())
def test_nsn_random_text_raises_only_nsn_error(text: str) -> None:
    try:
        nsn = parse_nsn(text)
    except NsnError:
        return
    assert len(str(nsn)) == 16


# ---- CPV -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code", "check"), [
    ("35000000-4", "35000000", 4),
    ("35000000", "35000000", None),
    ("03113100-7", "03113100", 7),
    (" 35300000 - 6 ", "35300000", 6),
])
def test_cpv_valid(text: str, code: str, check: int | None) -> None:
    cpv = parse_cpv(text)
    assert cpv == Cpv(code, check)
    assert str(cpv) == (code if check is None else f"{code}-{check}")


def test_cpv_check_digit_is_kept_not_verified() -> None:
    # the published list does not follow the published algorithm (see the module docstring)
    assert parse_cpv("35000000-9").check == 9


@pytest.mark.parametrize(("text", "words"), [
    ("", "empty"),
    ("3500000-4", "7 digits .* leading zero"),
    ("350000000", "9 digits"),
    ("35000000-", "one digit"),
    ("35000000-44", "one digit"),
    ("35000000 4", "not 8 digits"),
    ("35A00000", "non-digits 'A'"),
    ("00000000", "division 00"),
])
def test_cpv_refusals_say_why(text: str, words: str) -> None:
    with pytest.raises(CpvError, match=words):
        parse_cpv(text)


@pytest.mark.parametrize(("level", "expected"), [
    (2, "35000000"), ("division", "35000000"), (3, "35300000"), ("group", "35300000"),
    (4, "35320000"), ("class", "35320000"), (5, "35321000"), ("category", "35321000"), (8, "35321100"),
])
def test_cpv_prefix_levels(level: int | str, expected: str) -> None:
    assert cpv_prefix("35321100-3", level) == expected
    assert parse_cpv("35321100").prefix(level) == expected


@pytest.mark.parametrize("level", [1, 9, "section", True])
def test_cpv_prefix_refuses_unknown_levels(level: object) -> None:
    with pytest.raises(CpvError, match="level"):
        cpv_prefix("35321100", level)


@PROPS
@given(st.text())
def test_cpv_random_text_raises_only_cpv_error(text: str) -> None:
    try:
        cpv = parse_cpv(text)
    except CpvError:
        return
    assert len(cpv.code) == 8 and cpv.code.isdigit()


@PROPS
@given(st.text(alphabet="0123456789- ", max_size=20))
def test_codes_from_digit_soup_raise_only_their_errors(text: str) -> None:
    for parse, error in ((parse_nsn, NsnError), (parse_cpv, CpvError)):
        try:
            parse(text)
        except error:
            pass
