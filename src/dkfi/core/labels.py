"""Confidentiality labels (after NATO STANAG 4774) carried by every stored record.

This module holds the label value type, the label algebra (pure code) and the columns every table
mixes in; `dkfi.core.stanag4774` reads and writes labels as STANAG 4774 XML.

Classification levels and their national equivalents
----------------------------------------------------
All policies map onto one ordered scale, `Classification` (NATO names). `parse_classification` accepts
any of these markings (case, spacing, "_"/"-" and Unicode composition do not matter); `display_name`
gives the marking of a level in a policy ("NATO", "DNK", "FIN").

=============  ====================  ==================================  ===============================
level          NATO (abbreviation)   Denmark (sikkerhedscirkulæret)      Finland (TL = turvallisuusluokka)
=============  ====================  ==================================  ===============================
UNCLASSIFIED   NATO UNCLASSIFIED NU  UKLASSIFICERET, MÅ OFFENTLIGGØRES   JULKINEN
RESTRICTED     NATO RESTRICTED NR    TIL TJENESTEBRUG                    KÄYTTÖ RAJOITETTU, TL IV,
                                                                         SUOJAUSTASO IV, BEGRÄNSAD TILLGÅNG
CONFIDENTIAL   NATO CONFIDENTIAL NC  FORTROLIGT                          LUOTTAMUKSELLINEN, TL III,
                                                                         SUOJAUSTASO III, KONFIDENTIELL
SECRET         NATO SECRET NS        HEMMELIGT                           SALAINEN, TL II, SUOJAUSTASO II,
                                                                         HEMLIG
=============  ====================  ==================================  ===============================

Sources: the Danish security circular (Statsministeriets cirkulære om sikkerhedsbeskyttelse af
informationer af fælles interesse for landene i NATO eller EU, 2014) names the grades YDERST HEMMELIGT,
HEMMELIGT, FORTROLIGT and TIL TJENESTEBRUG as the equivalents of COSMIC TOP SECRET, NATO SECRET, NATO
CONFIDENTIAL and NATO RESTRICTED; Danish open data (data.gov.dk) calls the unclassified grade "må
offentliggøres", and "UKLASSIFICERET" is the usual marking. Finland marks security-classified documents
with turvallisuusluokka TL I-IV: ERITTÄIN SALAINEN, SALAINEN, LUOTTAMUKSELLINEN, KÄYTTÖ RAJOITETTU
(Swedish: YTTERST HEMLIG, HEMLIG, KONFIDENTIELL, BEGRÄNSAD TILLGÅNG), equivalent to TOP SECRET, SECRET,
CONFIDENTIAL, RESTRICTED; the older protection levels (suojaustaso I-IV) map level by level. "JULKINEN"
(public) stands for unclassified. Top secret (COSMIC TOP SECRET, YDERST HEMMELIGT, ERITTÄIN SALAINEN,
TL I) is recognised but refused: this platform does not hold top secret data.

Categories
----------
`Label.categories` is a sorted tuple of strings "TAGNAME:TYPE:VALUE", TYPE one of PERMISSIVE,
RESTRICTIVE, INFORMATIVE (`LabelledMixin` stores them joined by ";", so no part may contain ";" and a
tag name may not contain ":"). The "Releasable To" permissive category is *not* a category here: it is
`Label.releasable_to`. A permissive tag whose value set is empty (nobody qualifies, e.g. after
combining labels with disjoint values) is written "TAG:PERMISSIVE:" (empty value).

Access semantics: an empty `releasable_to` means "the owner nation only". A reader qualifies for a
permissive tag by holding one of its values and for a restrictive tag by holding all of its values;
informative categories and the privacy mark do not restrict access.

The algebra
-----------
`dominates(a, b)` — a is at least as restrictive as b — holds iff
  * a.classification >= b.classification (policies are compared on the common scale above),
  * set(a.releasable_to) is a subset of set(b.releasable_to),
  * a's restrictive categories (tag, value) include all of b's, and
  * every permissive tag of b is also a permissive tag of a, with a's values a subset of b's.
Informative categories, policy and privacy mark are ignored, so `dominates` is a preorder on labels
and a partial order on their access-relevant part (`access_key`).
`combine(*labels)` is the least label that dominates all inputs (on the access-relevant part): max
classification, intersection of releasable-to, union of restrictive categories, per permissive tag
the intersection of the values of the inputs that carry that tag, union of informative categories;
policy kept when all inputs agree, else "NATO"; privacy marks merged (see `combine`).
`meets` is the access predicate; `validate_change` enforces who may change a label and how.
"""
from __future__ import annotations

import dataclasses

import unicodedata
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import ClassVar, Iterable, NamedTuple

from datetime import datetime, timezone

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column


class Classification(IntEnum):
    """Ordered classification levels (NATO names; national equivalents map onto these)."""

    UNCLASSIFIED = 0
    RESTRICTED = 1
    CONFIDENTIAL = 2
    SECRET = 3

    @classmethod
    def parse(cls, text: str) -> "Classification":
        try:
            return cls[text.strip().upper().replace(" ", "_")]
        except KeyError:
            raise ValueError(
                f"unknown classification {text!r}; expected one of {', '.join(c.name for c in cls)}"
            ) from None


def _norm_nations(codes) -> tuple[str, ...]:
    out = set()
    for c in codes:
        c = c.strip().upper()
        if not c:
            continue
        if len(c) != 3 or not c.isalpha():
            raise ValueError(f"nation code {c!r} is not ISO 3166 alpha-3 (e.g. DNK, FIN)")
        out.add(c)
    return tuple(sorted(out))


@dataclass(frozen=True, slots=True)
class Label:
    """A confidentiality label: policy, classification, releasable-to nations, categories."""

    classification: Classification = Classification.UNCLASSIFIED
    releasable_to: tuple[str, ...] = ()
    policy: str = "NATO"
    categories: tuple[str, ...] = field(default=())
    privacy_mark: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "releasable_to", _norm_nations(self.releasable_to))
        object.__setattr__(self, "categories", _norm_categories(self.categories))
        mark = " ".join((self.privacy_mark or "").split())  # one line: runs of white space become one space
        object.__setattr__(self, "privacy_mark", mark or None)

    @classmethod
    def from_text(cls, classification: str, releasable_to: str = "") -> "Label":
        """A label from what a user types: a classification name and comma-separated nations (ValueError
        naming what is wrong)."""
        return cls(Classification.parse(classification), parse_releasable(releasable_to))

    def releasable_text(self) -> str:
        return ",".join(self.releasable_to)

    def __str__(self) -> str:
        rel = f" REL TO {', '.join(self.releasable_to)}" if self.releasable_to else ""
        return f"{self.policy} {self.classification.name}{rel}"


def parse_releasable(text: str | None) -> tuple[str, ...]:
    return _norm_nations((text or "").split(","))


# ---- national names ------------------------------------------------------------------------------

POLICIES = ("NATO", "DNK", "FIN")

# The marking of each level in each policy (what `display_name` gives and STANAG 4774 XML carries).
_DISPLAY: dict[str, dict[Classification, str]] = {
    "NATO": {Classification.UNCLASSIFIED: "NATO UNCLASSIFIED", Classification.RESTRICTED: "NATO RESTRICTED",
             Classification.CONFIDENTIAL: "NATO CONFIDENTIAL", Classification.SECRET: "NATO SECRET"},
    "DNK": {Classification.UNCLASSIFIED: "UKLASSIFICERET", Classification.RESTRICTED: "TIL TJENESTEBRUG",
            Classification.CONFIDENTIAL: "FORTROLIGT", Classification.SECRET: "HEMMELIGT"},
    "FIN": {Classification.UNCLASSIFIED: "JULKINEN", Classification.RESTRICTED: "KÄYTTÖ RAJOITETTU",
            Classification.CONFIDENTIAL: "LUOTTAMUKSELLINEN", Classification.SECRET: "SALAINEN"},
}

_ALIASES: dict[Classification, tuple[str, ...]] = {
    Classification.UNCLASSIFIED: (
        "UNCLASSIFIED", "NATO UNCLASSIFIED", "NU",
        "UKLASSIFICERET", "MÅ OFFENTLIGGØRES",
        "JULKINEN"),
    Classification.RESTRICTED: (
        "RESTRICTED", "NATO RESTRICTED", "NR",
        "TIL TJENESTEBRUG",
        "KÄYTTÖ RAJOITETTU", "TL IV", "TURVALLISUUSLUOKKA IV", "SUOJAUSTASO IV",
        "BEGRÄNSAD TILLGÅNG"),
    Classification.CONFIDENTIAL: (
        "CONFIDENTIAL", "NATO CONFIDENTIAL", "NC",
        "FORTROLIGT",
        "LUOTTAMUKSELLINEN", "TL III", "TURVALLISUUSLUOKKA III", "SUOJAUSTASO III",
        "KONFIDENTIELL"),
    Classification.SECRET: (
        "SECRET", "NATO SECRET", "NS",
        "HEMMELIGT",
        "SALAINEN", "TL II", "TURVALLISUUSLUOKKA II", "SUOJAUSTASO II",
        "HEMLIG"),
}
_TOP_SECRET = ("TOP SECRET", "COSMIC TOP SECRET", "CTS", "YDERST HEMMELIGT", "ERITTÄIN SALAINEN", "TL I",
               "TURVALLISUUSLUOKKA I", "SUOJAUSTASO I", "YTTERST HEMLIG")


def _norm_marking(text: str) -> str:
    t = unicodedata.normalize("NFC", text).upper().replace("_", " ").replace("-", " ")
    return " ".join(t.split())


_BY_NAME: dict[str, Classification] = {
    _norm_marking(name): level for level, names in _ALIASES.items() for name in names
}
# ASCII spellings seen where a keyboard or system lacks Æ/Ø/Å/Ä/Ö
_BY_NAME.update({_norm_marking(n.replace("Ä", "A").replace("Ö", "O").replace("Å", "A").replace("Ø", "O")): c
                 for n, c in list(_BY_NAME.items())})
_TOP = {_norm_marking(n) for n in _TOP_SECRET} | {_norm_marking(n.replace("Ä", "A")) for n in _TOP_SECRET}


def parse_classification(text: str) -> Classification:
    """A classification marking in any supported policy (NATO, Danish, Finnish; see the module doc).

    Raises ValueError for unknown markings and for top secret, which this platform does not hold.
    """
    if not isinstance(text, str):
        raise ValueError(f"classification must be text, got {type(text).__name__}")
    key = _norm_marking(text)
    if key in _BY_NAME:
        return _BY_NAME[key]
    if key in _TOP:
        raise ValueError(f"classification {text!r} is top secret; this platform holds at most SECRET")
    raise ValueError(f"unknown classification {text!r}; expected e.g. "
                     + ", ".join(c.name for c in Classification)
                     + " or a Danish/Finnish equivalent (TIL TJENESTEBRUG, KÄYTTÖ RAJOITETTU, ...)")


def display_name(classification: Classification | str, policy: str = "NATO") -> str:
    """The marking of a level in a policy: ("RESTRICTED", "DNK") -> "TIL TJENESTEBRUG"."""
    level = classification if isinstance(classification, Classification) else parse_classification(classification)
    pol = (policy or "").strip().upper()
    if pol not in _DISPLAY:
        raise ValueError(f"unknown label policy {policy!r}; expected one of {', '.join(POLICIES)}")
    return _DISPLAY[pol][Classification(level)]


# ---- categories ----------------------------------------------------------------------------------

class CategoryType(str, Enum):
    PERMISSIVE = "PERMISSIVE"      # reader must hold at least one of the tag's values
    RESTRICTIVE = "RESTRICTIVE"    # reader must hold every value of the tag
    INFORMATIVE = "INFORMATIVE"    # no access effect


RELEASABLE_TO_TAG = "Releasable To"


class Category(NamedTuple):
    tag: str
    type: CategoryType
    value: str

    def __str__(self) -> str:
        return f"{self.tag}:{self.type.value}:{self.value}"


def _is_releasable_tag(tag: str) -> bool:
    return " ".join(tag.split()).casefold() == RELEASABLE_TO_TAG.casefold()


def make_category(tag: str, type: CategoryType | str, value: str) -> str:
    """The stored form "TAGNAME:TYPE:VALUE" of one category value (validated)."""
    tag = " ".join((tag or "").split())
    try:
        ctype = CategoryType(str(getattr(type, "value", type)).strip().upper())
    except ValueError:
        raise ValueError(f"category type {type!r} is not one of PERMISSIVE, RESTRICTIVE, INFORMATIVE") from None
    value = " ".join((value or "").split())
    if not tag:
        raise ValueError("category tag name is empty")
    if ":" in tag or ";" in tag:
        raise ValueError(f"category tag name {tag!r} may not contain ':' or ';'")
    if ";" in value:
        raise ValueError(f"category value {value!r} may not contain ';'")
    if not value and ctype is not CategoryType.PERMISSIVE:
        raise ValueError(f"{ctype.value} category {tag!r} has an empty value")
    if _is_releasable_tag(tag):
        raise ValueError("'Releasable To' is not a category here: use Label.releasable_to")
    return f"{tag}:{ctype.value}:{value}"


def parse_category(text: str) -> Category:
    parts = (text or "").split(":", 2)
    if len(parts) != 3:
        raise ValueError(f"category {text!r} is not TAGNAME:TYPE:VALUE")
    tag, ctype, value = parts
    tag, ctype, value = make_category(tag, ctype, value).split(":", 2)
    return Category(tag, CategoryType(ctype), value)


def _norm_categories(cats: Iterable[str]) -> tuple[str, ...]:
    if isinstance(cats, str):  # a single "a;b" string, as stored
        cats = cats.split(";")
    parsed = {parse_category(c) for c in cats if c and c.strip()}
    # permissive tags with real values do not need the "tag present, no value" marker
    valued = {c.tag for c in parsed if c.type is CategoryType.PERMISSIVE and c.value}
    return tuple(sorted(str(c) for c in parsed
                        if not (c.type is CategoryType.PERMISSIVE and not c.value and c.tag in valued)))


def _cats(label: Label, ctype: CategoryType) -> set[tuple[str, str]]:
    out = set()
    for c in label.categories:
        cat = parse_category(c)
        if cat.type is ctype:
            out.add((cat.tag, cat.value))
    return out


def _permissive(label: Label) -> dict[str, frozenset[str]]:
    """Permissive tag -> its value set (possibly empty: nobody qualifies)."""
    out: dict[str, set[str]] = {}
    for tag, value in _cats(label, CategoryType.PERMISSIVE):
        vals = out.setdefault(tag, set())
        if value:
            vals.add(value)
    return {t: frozenset(v) for t, v in out.items()}


# ---- algebra ---------------------------------------------------------------------------------------

def access_key(label: Label) -> tuple:
    """The access-relevant part of a label; `dominates` is a partial order on these."""
    return (label.classification, frozenset(label.releasable_to), frozenset(_cats(label, CategoryType.RESTRICTIVE)),
            tuple(sorted(_permissive(label).items(), key=lambda kv: kv[0])))


def dominates(a: Label, b: Label) -> bool:
    """a is at least as restrictive as b (see the module doc for the exact definition)."""
    if a.classification < b.classification:
        return False
    if not set(a.releasable_to) <= set(b.releasable_to):
        return False
    if not _cats(b, CategoryType.RESTRICTIVE) <= _cats(a, CategoryType.RESTRICTIVE):
        return False
    pa, pb = _permissive(a), _permissive(b)
    return all(tag in pa and pa[tag] <= vals for tag, vals in pb.items())


def _merge_marks(marks: list[str]) -> str | None:
    distinct = set(marks)
    if not distinct:
        return None
    if len(distinct) == 1:
        return distinct.pop()
    parts = {p.strip() for m in distinct for p in m.split(" | ") if p.strip()}
    return " | ".join(sorted(parts))


def combine(*labels: Label) -> Label:
    """The least label dominating every input: the label of data merged from the inputs.

    Max classification; intersection of releasable-to; union of restrictive and of informative
    categories; per permissive tag, the intersection of the values of the inputs carrying it. The policy
    is kept when all inputs share it, else "NATO". Privacy marks: kept when all marked inputs agree,
    else the distinct marks' parts (split on " | ") joined sorted by " | ".
    """
    if len(labels) == 1 and not isinstance(labels[0], Label):
        labels = tuple(labels[0])  # combine(iterable)
    if not labels:
        raise ValueError("combine needs at least one label")
    for lab in labels:
        if not isinstance(lab, Label):
            raise TypeError(f"combine takes Labels, got {type(lab).__name__}")
    classification = max(lab.classification for lab in labels)
    rel = set(labels[0].releasable_to)
    for lab in labels[1:]:
        rel &= set(lab.releasable_to)
    cats: set[str] = set()
    permissive: dict[str, frozenset[str]] = {}
    for lab in labels:
        for ctype in (CategoryType.RESTRICTIVE, CategoryType.INFORMATIVE):
            cats |= {f"{t}:{ctype.value}:{v}" for t, v in _cats(lab, ctype)}
        for tag, vals in _permissive(lab).items():
            permissive[tag] = permissive[tag] & vals if tag in permissive else vals
    for tag, vals in permissive.items():
        cats |= {f"{tag}:PERMISSIVE:{v}" for v in vals} or {f"{tag}:PERMISSIVE:"}
    policies = {lab.policy for lab in labels}
    policy = policies.pop() if len(policies) == 1 else "NATO"
    mark = _merge_marks([lab.privacy_mark for lab in labels if lab.privacy_mark])
    return Label(classification, tuple(rel), policy, tuple(cats), mark)


def raise_to(label: Label, classification: Classification | str) -> Label:
    """The label at a higher (or equal) classification; lowering is `validate_change(..., downgrade=True)`."""
    level = classification if isinstance(classification, Classification) else parse_classification(classification)
    if level < label.classification:
        raise ValueError(f"raise_to {level.name} would lower {label.classification.name}; a downgrade is an "
                         "explicit change by the owner nation")
    return _replace(label, classification=level)


def narrow(label: Label, nations: Iterable[str] | str) -> Label:
    """The label released to fewer nations: releasable-to becomes its intersection with `nations`."""
    keep = set(parse_releasable(nations) if isinstance(nations, str) else _norm_nations(nations))
    return _replace(label, releasable_to=tuple(set(label.releasable_to) & keep))


def widen(label: Label, nations: Iterable[str] | str) -> Label:
    """The label released to more nations (a share): releasable-to becomes its union with `nations`."""
    add = set(parse_releasable(nations) if isinstance(nations, str) else _norm_nations(nations))
    return _replace(label, releasable_to=tuple(set(label.releasable_to) | add))


def _replace(label: Label, **changes) -> Label:
    return dataclasses.replace(label, **changes)


class LabelChangeError(ValueError):
    """A label change that is not allowed. `reason` is "not_owner" or "downgrade"."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _nation(code: str, what: str) -> str:
    norm = _norm_nations([code or ""])
    if len(norm) != 1:
        raise ValueError(f"{what} nation is empty")
    return norm[0]


def validate_change(old: Label, new: Label, owner_nation: str, actor_nation: str, *,
                    downgrade: bool = False) -> tuple[str, ...]:
    """Check that `actor_nation` may change a record's label from `old` to `new`; return the changes.

    Only the owner nation may change a label. The owner may raise the classification, narrow or widen
    releasability (widening is sharing), change permissive and informative categories, policy and
    privacy mark, and add restrictive categories. Lowering the classification or removing a
    restrictive category is a downgrade and needs ``downgrade=True``. Raises `LabelChangeError` (also
    for a non-owner whose "change" changes nothing); returns human-readable change descriptions for the
    audit log (empty when the owner changed nothing).
    """
    owner, actor = _nation(owner_nation, "owner"), _nation(actor_nation, "actor")
    changes = describe_change(old, new)
    if actor != owner:  # refused even when nothing would change: the attempt itself is not the actor's to make
        raise LabelChangeError(f"only the owner nation {owner} may change this label; {actor} may not"
                               + (f" ({'; '.join(changes)})" if changes else ""), "not_owner")
    if not changes:
        return ()
    if not downgrade:
        if new.classification < old.classification:
            raise LabelChangeError(f"lowering {old.classification.name} to {new.classification.name} is a "
                                   "downgrade: confirm it explicitly (downgrade=True)", "downgrade")
        dropped = _cats(old, CategoryType.RESTRICTIVE) - _cats(new, CategoryType.RESTRICTIVE)
        if dropped:
            names = ", ".join(f"{t}:{v}" for t, v in sorted(dropped))
            raise LabelChangeError(f"removing restrictive categories ({names}) is a downgrade: confirm it "
                                   "explicitly (downgrade=True)", "downgrade")
    return changes


def describe_change(old: Label, new: Label) -> tuple[str, ...]:
    """What differs between two labels, in words, for the audit log."""
    out = []
    if new.classification != old.classification:
        verb = "raised" if new.classification > old.classification else "lowered"
        out.append(f"{verb} {old.classification.name} -> {new.classification.name}")
    removed = sorted(set(old.releasable_to) - set(new.releasable_to))
    added = sorted(set(new.releasable_to) - set(old.releasable_to))
    if removed:
        out.append(f"no longer releasable to {', '.join(removed)}")
    if added:
        out.append(f"released to {', '.join(added)}")
    if new.policy != old.policy:
        out.append(f"policy {old.policy} -> {new.policy}")
    gone = sorted(set(old.categories) - set(new.categories))
    new_c = sorted(set(new.categories) - set(old.categories))
    if gone:
        out.append(f"categories removed: {'; '.join(gone)}")
    if new_c:
        out.append(f"categories added: {'; '.join(new_c)}")
    if new.privacy_mark != old.privacy_mark:
        out.append(f"privacy mark {old.privacy_mark!r} -> {new.privacy_mark!r}")
    return tuple(out)


def meets(clearance: Classification | str, nation: str, label: Label, owner_nation: str) -> bool:
    """The access predicate: clearance >= classification, and the reader's nation owns the record or the
    label is releasable to it. (Categories other than releasability are not checked here.)"""
    return meets_fields(clearance, nation, label.classification, label.releasable_to, owner_nation)


def meets_fields(clearance: Classification | str, nation: str, classification: Classification | str,
                 releasable_to: Iterable[str] | str | None, owner_nation: str) -> bool:
    """:func:`meets` on label fields as stored (strings) or parsed, without building a :class:`Label`: the
    one rule that access control applies to rows, bus messages and files alike."""
    level = clearance if isinstance(clearance, Classification) else parse_classification(clearance)
    cls = classification if isinstance(classification, Classification) else Classification.parse(classification)
    if level < cls:
        return False
    n = (nation or "").strip().upper()
    if not n:
        return False
    if n == (owner_nation or "").strip().upper():
        return True
    rel = parse_releasable(releasable_to) if isinstance(releasable_to, str) or releasable_to is None \
        else tuple(releasable_to)
    return n in rel


# Sensible defaults per record kind: open-source AIS is unclassified and releasable to both nations.
AIS_DEFAULT = Label(Classification.UNCLASSIFIED, ("DNK", "FIN"))


def _now() -> datetime:
    return datetime.now(timezone.utc)


FOLLOWS_FOREIGN_KEY = "<its foreign key>"


class LabelledMixin:
    """Columns every stored record carries: owner nation and its confidentiality label.

    ``__label_parent__`` declares a dependant: a record that is part of another (a row of its change history) and
    so carries that record's label, always. It names the foreign-key column that points at the parent (or is
    :data:`FOLLOWS_FOREIGN_KEY`: the table's one foreign key). :mod:`dkfi.core.access` copies the parent's label
    to its dependants whenever the parent's label changes, in the same flush."""

    __label_parent__: ClassVar[str | None] = None

    owner_nation: Mapped[str] = mapped_column(String(3), nullable=False, default="DNK")
    classification: Mapped[str] = mapped_column(String(16), nullable=False, default="UNCLASSIFIED")
    releasable_to: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    label_policy: Mapped[str] = mapped_column(String(32), nullable=False, default="NATO")
    label_categories: Mapped[str] = mapped_column(String(512), nullable=False, default="")
    label_created: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=_now)
    label_reviewed: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def set_label(self, label: Label, owner_nation: str) -> None:
        self.owner_nation = owner_nation
        self.classification = label.classification.name
        self.releasable_to = label.releasable_text()
        self.label_policy = label.policy
        self.label_categories = ";".join(label.categories)

    @property
    def label(self) -> Label:
        cats = tuple(c for c in (self.label_categories or "").split(";") if c)
        return Label(Classification.parse(self.classification), parse_releasable(self.releasable_to),
                     self.label_policy, cats)
