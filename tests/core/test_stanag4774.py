"""Labels as STANAG 4774 XML: writing, reading, round trips and refusing bad input."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dkfi.core.labels import Classification, Label
from dkfi.core.stanag4774 import NS, from_xml, to_xml

N = f"{{{NS}}}"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)

xml_text = st.text(
    alphabet=st.one_of(st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, exclude_characters=";:|"),
                       st.sampled_from("\t\n\r")),
    min_size=1, max_size=12,
).filter(lambda s: bool(s.split()))  # raw: Label normalises white space
tag_names = st.builds(lambda s: " ".join(s.split()), xml_text).filter(
    lambda t: bool(t) and t.casefold() != "releasable to")
categories = st.lists(
    st.builds(lambda t, ty, v: f"{t}:{ty}:{v}", tag_names,
              st.sampled_from(["PERMISSIVE", "RESTRICTIVE", "INFORMATIVE"]), xml_text),
    max_size=5)
labels = st.builds(
    Label,
    classification=st.sampled_from(list(Classification)),
    releasable_to=st.lists(st.sampled_from(["DNK", "FIN", "SWE", "NOR", "DEU", "USA", "POL"]), max_size=5).map(tuple),
    policy=st.sampled_from(["NATO", "DNK", "FIN", "SWE"]),
    categories=categories.map(tuple),
    privacy_mark=st.one_of(st.none(), xml_text),
)
times = st.one_of(st.none(), st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])))


def _el(xml: str) -> ET.Element:
    return ET.fromstring(xml)


def test_writes_the_stanag_shape():
    lab = Label(Classification.RESTRICTED, ("FIN", "DNK"), "NATO", ("Ops:RESTRICTIVE:A",), "STAFF")
    root = _el(to_xml(lab, T0, T0 + timedelta(days=365)))
    assert root.tag == N + "ConfidentialityLabel"
    info = root.find(N + "ConfidentialityInformation")
    assert info.findtext(N + "PolicyIdentifier") == "NATO"
    assert info.findtext(N + "Classification") == "RESTRICTED"
    assert info.findtext(N + "PrivacyMark") == "STAFF"
    cats = info.findall(N + "Category")
    rel = [c for c in cats if c.get("TagName") == "Releasable To"]
    assert len(rel) == 1 and rel[0].get("Type") == "PERMISSIVE"
    assert [v.text for v in rel[0].findall(N + "GenericValue")] == ["DNK", "FIN"]
    ops = [c for c in cats if c.get("TagName") == "Ops"]
    assert ops[0].get("Type") == "RESTRICTIVE" and ops[0].findtext(N + "GenericValue") == "A"
    assert root.findtext(N + "CreationDateTime") == "2024-05-01T12:00:00Z"
    assert root.findtext(N + "ReviewDateTime") == "2025-05-01T12:00:00Z"


def test_national_policy_writes_the_national_marking():
    root = _el(to_xml(Label(Classification.RESTRICTED, ("DNK",), "DNK")))
    assert root.find(f"{N}ConfidentialityInformation/{N}Classification").text == "TIL TJENESTEBRUG"
    root = _el(to_xml(Label(Classification.CONFIDENTIAL, ("FIN",), "FIN")))
    assert root.find(f"{N}ConfidentialityInformation/{N}Classification").text == "LUOTTAMUKSELLINEN"


def test_no_privacy_mark_and_no_times_are_omitted():
    root = _el(to_xml(Label()))
    assert root.find(f"{N}ConfidentialityInformation/{N}PrivacyMark") is None
    assert root.find(N + "CreationDateTime") is None and root.find(N + "ReviewDateTime") is None


def test_naive_times_are_utc():
    _, created, _ = from_xml(to_xml(Label(), datetime(2024, 5, 1, 12, 0)))
    assert created == T0 and created.tzinfo is not None


@settings(max_examples=300, deadline=None)
@given(labels, times, times)
def test_round_trip(label, created, reviewed):
    back, c, r = from_xml(to_xml(label, created, reviewed))
    assert back == label
    assert c == created and r == reviewed  # same instants
    assert (c is None or c.tzinfo is not None) and (r is None or r.tzinfo is not None)


def _doc(info: str, extra: str = "", ns: str = NS) -> str:
    return (f'<ConfidentialityLabel xmlns="{ns}"><ConfidentialityInformation>{info}'
            f"</ConfidentialityInformation>{extra}</ConfidentialityLabel>")


def test_reads_a_hand_written_label():
    text = _doc('<PolicyIdentifier>FIN</PolicyIdentifier><Classification>KÄYTTÖ RAJOITETTU</Classification>'
                '<Category TagName="Releasable to" Type="PERMISSIVE"><GenericValue>dnk</GenericValue>'
                "<GenericValue>FIN</GenericValue></Category>"
                '<Category TagName="Ops" Type="RESTRICTIVE"><GenericValue>A</GenericValue></Category>',
                "<CreationDateTime>2024-05-01T14:00:00+02:00</CreationDateTime>")
    label, created, reviewed = from_xml(text.encode("utf-8"))
    assert label == Label(Classification.RESTRICTED, ("DNK", "FIN"), "FIN", ("Ops:RESTRICTIVE:A",))
    assert created == T0 and reviewed is None


def test_missing_releasable_to_means_owner_only():
    label, _, _ = from_xml(_doc("<PolicyIdentifier>NATO</PolicyIdentifier><Classification>NS</Classification>"))
    assert label == Label(Classification.SECRET, ())


GOOD_INFO = "<PolicyIdentifier>NATO</PolicyIdentifier><Classification>SECRET</Classification>"


@pytest.mark.parametrize("text,message", [
    ("", "well-formed"),
    ("<ConfidentialityLabel", "well-formed"),
    (_doc("<PolicyIdentifier>NATO</PolicyIdentifier>"), "no Classification"),
    (_doc("<PolicyIdentifier>NATO</PolicyIdentifier><Classification> </Classification>"), "no Classification"),
    (_doc("<Classification>SECRET</Classification>"), "no PolicyIdentifier"),
    (_doc("<PolicyIdentifier>NATO</PolicyIdentifier><Classification>MOSTLY SECRET</Classification>"),
     "unknown classification"),
    (_doc("<PolicyIdentifier>NATO</PolicyIdentifier><Classification>COSMIC TOP SECRET</Classification>"),
     "top secret"),
    (_doc(GOOD_INFO + '<Category TagName="Releasable To" Type="PERMISSIVE"><GenericValue>DK</GenericValue>'
          "</Category>"), "alpha-3"),
    (_doc(GOOD_INFO + '<Category TagName="Releasable To" Type="RESTRICTIVE"><GenericValue>DNK</GenericValue>'
          "</Category>"), "PERMISSIVE"),
    (_doc(GOOD_INFO + '<Category TagName="Ops" Type="MANDATORY"><GenericValue>A</GenericValue></Category>'),
     "Type"),
    (_doc(GOOD_INFO + '<Category Type="RESTRICTIVE"><GenericValue>A</GenericValue></Category>'), "TagName"),
    (_doc(GOOD_INFO + '<Category TagName="Ops" Type="RESTRICTIVE"><IntegerValue>1</IntegerValue></Category>'),
     "GenericValue"),
    (_doc(GOOD_INFO + '<Category TagName="Ops" Type="RESTRICTIVE"></Category>'), "no GenericValue"),
    (_doc(GOOD_INFO + '<Category TagName="Ops" Type="RESTRICTIVE"><GenericValue>a;b</GenericValue></Category>'),
     "';'"),
    (_doc(GOOD_INFO, "<CreationDateTime>yesterday</CreationDateTime>"), "CreationDateTime"),
    (_doc(GOOD_INFO + GOOD_INFO), "more than one"),
    (_doc(GOOD_INFO, ns="urn:example:other"), "namespace"),
    ("<Label xmlns='urn:nato:stanag:4774:confidentialitymetadatalabel:1:0'/>", "root element"),
    (f"<ConfidentialityLabel xmlns='{NS}'/>", "no ConfidentialityInformation"),
])
def test_bad_xml_raises_value_error(text, message):
    with pytest.raises(ValueError, match=message):
        from_xml(text)


@pytest.mark.parametrize("text", [
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>' + _doc(GOOD_INFO),
    '<!doctype ConfidentialityLabel SYSTEM "file:///etc/passwd">' + _doc(GOOD_INFO),
    '<!ENTITY x "y">',
])
def test_dtds_and_entities_are_refused(text):
    with pytest.raises(ValueError, match="DTD or entity"):
        from_xml(text)


def test_oversized_and_non_utf8_input_is_refused():
    with pytest.raises(ValueError, match="larger than"):
        from_xml(_doc(GOOD_INFO + "<!--" + "x" * 70_000 + "-->"))
    with pytest.raises(ValueError, match="UTF-8"):
        from_xml(b"\xff\xfe" + _doc(GOOD_INFO).encode("utf-16-le"))


def test_text_xml_cannot_carry_is_refused_on_writing():
    with pytest.raises(ValueError, match="XML 1.0"):
        to_xml(Label(privacy_mark="bell\x07"))
