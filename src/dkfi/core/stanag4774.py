"""Confidentiality labels as NATO STANAG 4774 XML (confidentiality metadata label syntax).

Written and read shape (namespace ``urn:nato:stanag:4774:confidentialitymetadatalabel:1:0``)::

    <ConfidentialityLabel xmlns="urn:nato:stanag:4774:confidentialitymetadatalabel:1:0">
      <ConfidentialityInformation>
        <PolicyIdentifier>NATO</PolicyIdentifier>
        <Classification>RESTRICTED</Classification>
        <PrivacyMark>STAFF</PrivacyMark>                          (optional)
        <Category TagName="Releasable To" Type="PERMISSIVE">
          <GenericValue>DNK</GenericValue><GenericValue>FIN</GenericValue>
        </Category>
        <Category TagName="..." Type="RESTRICTIVE|PERMISSIVE|INFORMATIVE">
          <GenericValue>...</GenericValue>
        </Category>
      </ConfidentialityInformation>
      <CreationDateTime>2024-05-01T12:00:00Z</CreationDateTime>   (optional)
      <ReviewDateTime>2025-05-01T12:00:00Z</ReviewDateTime>       (optional)
    </ConfidentialityLabel>

The Classification element carries the level's name in the label's policy: the NATO names
(UNCLASSIFIED ... SECRET) for policy NATO and unknown policies, the national markings for DNK and FIN
(e.g. TIL TJENESTEBRUG, KÄYTTÖ RAJOITETTU). Reading accepts any marking `parse_classification` knows.

Our label model has no "releasable to everybody": an empty `releasable_to` means the owner nation only.
It is written as a "Releasable To" category without values, and a label without that category reads
as releasable to nobody but the owner. A permissive category whose value set is empty is written the
same way. Times are written in UTC with a "Z"; naive datetimes are taken as UTC.

Reading refuses DTDs and entity declarations (no defusedxml here), input over 64 KiB, other namespaces
and value elements other than GenericValue; every problem is a ValueError that says what is wrong.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from dkfi.core.labels import (
    _DISPLAY, RELEASABLE_TO_TAG, Classification, Label, _is_releasable_tag, _norm_nations, make_category,
    parse_category, parse_classification,
)

NS = "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"
MAX_BYTES = 64 * 1024
_ROOTS = ("ConfidentialityLabel", "originatorConfidentialityLabel", "alternativeConfidentialityLabel")
_FORBIDDEN = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str, what: str) -> str:
    if _NOT_XML.search(value):
        raise ValueError(f"{what} {value!r} has characters XML 1.0 cannot carry")
    return value


def _fmt_time(t: datetime) -> str:
    if not isinstance(t, datetime):
        raise TypeError(f"expected a datetime, got {type(t).__name__}")
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    t = t.astimezone(timezone.utc)
    return t.isoformat(timespec="microseconds" if t.microsecond else "seconds").replace("+00:00", "Z")


def _parse_time(text: str | None, what: str) -> datetime:
    s = (text or "").strip()
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"{what} {s!r} is not an ISO 8601 date and time (e.g. 2024-05-01T12:00:00Z)") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc)


def _xml_classification(label: Label) -> str:
    pol = label.policy.strip().upper()
    if pol in ("DNK", "FIN"):
        return _DISPLAY[pol][label.classification]
    return label.classification.name


def to_xml(label: Label, created: datetime | None = None, reviewed: datetime | None = None) -> str:
    """The label as a STANAG 4774 XML document (UTF-8 text, with an XML declaration)."""
    # Unqualified names under a default-namespace declaration: ElementTree's default_namespace option
    # refuses the unqualified attributes (TagName, Type) the schema uses.
    root = ET.Element("ConfidentialityLabel", {"xmlns": NS})
    info = ET.SubElement(root, "ConfidentialityInformation")
    ET.SubElement(info, "PolicyIdentifier").text = _text(label.policy, "policy")
    ET.SubElement(info, "Classification").text = _xml_classification(label)
    if label.privacy_mark:
        ET.SubElement(info, "PrivacyMark").text = _text(label.privacy_mark, "privacy mark")
    rel = ET.SubElement(info, "Category", {"TagName": RELEASABLE_TO_TAG, "Type": "PERMISSIVE"})
    for nation in label.releasable_to:
        ET.SubElement(rel, "GenericValue").text = nation
    groups: dict[tuple[str, str], list[str]] = {}
    for c in label.categories:
        cat = parse_category(c)
        vals = groups.setdefault((cat.tag, cat.type.value), [])
        if cat.value:
            vals.append(cat.value)
    for (tag, ctype), values in sorted(groups.items()):
        el = ET.SubElement(info, "Category", {"TagName": _text(tag, "category tag"), "Type": ctype})
        for v in sorted(values):
            ET.SubElement(el, "GenericValue").text = _text(v, "category value")
    if created is not None:
        ET.SubElement(root, "CreationDateTime").text = _fmt_time(created)
    if reviewed is not None:
        ET.SubElement(root, "ReviewDateTime").text = _fmt_time(reviewed)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _local(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return None, tag


def _child(parent: ET.Element, name: str) -> ET.Element | None:
    found = parent.findall(_q(name))
    if len(found) > 1:
        raise ValueError(f"STANAG 4774 label has more than one {name}")
    return found[0] if found else None


def from_xml(text: str | bytes) -> tuple[Label, datetime | None, datetime | None]:
    """Read a STANAG 4774 label: (label, creation time, review time). Raises ValueError on bad input."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise ValueError(f"STANAG 4774 label is larger than {MAX_BYTES} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("STANAG 4774 label is not UTF-8") from None
    if not isinstance(text, str):
        raise ValueError(f"STANAG 4774 label must be text, got {type(text).__name__}")
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"STANAG 4774 label is larger than {MAX_BYTES} bytes")
    if _FORBIDDEN.search(text):
        raise ValueError("STANAG 4774 label contains a DTD or entity declaration (<!DOCTYPE/<!ENTITY); refused")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise ValueError(f"STANAG 4774 label is not well-formed XML: {e}") from None

    ns, local = _local(root.tag)
    if local not in _ROOTS:
        raise ValueError(f"root element is {local!r}, expected ConfidentialityLabel")
    if ns != NS:
        raise ValueError(f"root element is in namespace {ns!r}, expected {NS!r}")
    info = _child(root, "ConfidentialityInformation")
    if info is None:
        raise ValueError("STANAG 4774 label has no ConfidentialityInformation")

    pol_el = _child(info, "PolicyIdentifier")
    policy = (pol_el.text or "").strip() if pol_el is not None else ""
    if not policy:
        raise ValueError("STANAG 4774 label has no PolicyIdentifier")
    cls_el = _child(info, "Classification")
    cls_text = cls_el.text if cls_el is not None else None
    if cls_text is None or not cls_text.strip():
        raise ValueError("STANAG 4774 label has no Classification")
    classification: Classification = parse_classification(cls_text)
    mark_el = _child(info, "PrivacyMark")
    privacy_mark = ((mark_el.text or "").strip() or None) if mark_el is not None else None

    releasable: set[str] = set()
    categories: list[str] = []
    for cat in info.findall(_q("Category")):
        tag = " ".join((cat.get("TagName") or "").split())
        ctype = (cat.get("Type") or "").strip().upper()
        if not tag:
            raise ValueError("Category without a TagName")
        if ctype not in ("PERMISSIVE", "RESTRICTIVE", "INFORMATIVE"):
            raise ValueError(f"Category {tag!r} has Type {cat.get('Type')!r}; expected PERMISSIVE, "
                             "RESTRICTIVE or INFORMATIVE")
        values = []
        for v in cat:
            vns, vlocal = _local(v.tag)
            if vns != NS or vlocal != "GenericValue":
                raise ValueError(f"Category {tag!r} has a {vlocal} value; only GenericValue is supported")
            value = (v.text or "").strip()
            if not value:
                raise ValueError(f"Category {tag!r} has an empty GenericValue")
            values.append(value)
        if _is_releasable_tag(tag):
            if ctype != "PERMISSIVE":
                raise ValueError(f"'Releasable To' must be a PERMISSIVE category, not {ctype}")
            try:
                releasable |= set(_norm_nations(values))
            except ValueError as e:
                raise ValueError(f"Releasable To: {e}") from None
            continue
        if not values:
            if ctype != "PERMISSIVE":
                raise ValueError(f"{ctype} Category {tag!r} has no GenericValue")
            categories.append(make_category(tag, ctype, ""))
        categories.extend(make_category(tag, ctype, v) for v in values)

    created_el, reviewed_el = _child(root, "CreationDateTime"), _child(root, "ReviewDateTime")
    created = _parse_time(created_el.text, "CreationDateTime") if created_el is not None else None
    reviewed = _parse_time(reviewed_el.text, "ReviewDateTime") if reviewed_el is not None else None
    label = Label(classification, tuple(releasable), policy, tuple(categories), privacy_mark)
    return label, created, reviewed
