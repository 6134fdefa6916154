"""The label algebra: national names, categories, dominance, combine, changes and the access predicate."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dkfi.core.labels import (
    AIS_DEFAULT, Classification, Label, LabelChangeError, access_key, combine, display_name, dominates,
    make_category, meets, narrow, parse_category, parse_classification, parse_releasable, raise_to,
    validate_change, widen,
)

NATIONS = ["DNK", "FIN", "SWE", "NOR", "DEU", "USA", "GBR", "EST"]
PROPS = settings(max_examples=200, deadline=None)

classifications = st.sampled_from(list(Classification))
nation_sets = st.sets(st.sampled_from(NATIONS), max_size=5)
categories = st.sets(st.one_of(
    st.builds(lambda t, v: f"{t}:RESTRICTIVE:{v}", st.sampled_from(["Ops", "Crypto"]), st.sampled_from("ABC")),
    st.builds(lambda t, v: f"{t}:PERMISSIVE:{v}", st.sampled_from(["Mission", "Community"]),
              st.sampled_from(["", "X", "Y", "Z"])),
    st.builds(lambda t, v: f"{t}:INFORMATIVE:{v}", st.sampled_from(["Note"]), st.sampled_from(["n1", "n2"])),
), max_size=6)
labels = st.builds(
    Label,
    classification=classifications,
    releasable_to=nation_sets.map(tuple),
    policy=st.sampled_from(["NATO", "DNK", "FIN"]),
    categories=categories.map(tuple),
    privacy_mark=st.one_of(st.none(), st.sampled_from(["STAFF", "PERSONAL DATA", "MEDICAL"])),
)


# ---- existing behaviour is kept --------------------------------------------------------------------

def test_existing_constructor_and_names_unchanged():
    lab = Label(Classification.RESTRICTED, ("fin", "DNK", "DNK"))
    assert lab.releasable_to == ("DNK", "FIN") and lab.policy == "NATO" and lab.categories == ()
    assert lab.privacy_mark is None
    assert str(lab) == "NATO RESTRICTED REL TO DNK, FIN"
    four = Label(Classification.SECRET, ("DNK",), "DNK", ("Ops:RESTRICTIVE:A",))
    assert four.policy == "DNK" and four.categories == ("Ops:RESTRICTIVE:A",)
    assert AIS_DEFAULT == Label(Classification.UNCLASSIFIED, ("DNK", "FIN"))
    assert parse_releasable("dnk, fin,") == ("DNK", "FIN")
    assert Classification.parse("confidential") is Classification.CONFIDENTIAL
    with pytest.raises(ValueError):
        Classification.parse("HEMMELIGT")  # stored column values stay canonical names


# ---- national names ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text,level", [
    ("UNCLASSIFIED", Classification.UNCLASSIFIED), ("NU", Classification.UNCLASSIFIED),
    ("nato unclassified", Classification.UNCLASSIFIED), ("UKLASSIFICERET", Classification.UNCLASSIFIED),
    ("Må offentliggøres", Classification.UNCLASSIFIED), ("JULKINEN", Classification.UNCLASSIFIED),
    ("NATO RESTRICTED", Classification.RESTRICTED), ("NR", Classification.RESTRICTED),
    ("NATO_RESTRICTED", Classification.RESTRICTED), ("TIL TJENESTEBRUG", Classification.RESTRICTED),
    ("til  tjenestebrug", Classification.RESTRICTED), ("KÄYTTÖ RAJOITETTU", Classification.RESTRICTED),
    ("käyttö rajoitettu", Classification.RESTRICTED), ("KAYTTO RAJOITETTU", Classification.RESTRICTED),
    ("SUOJAUSTASO IV", Classification.RESTRICTED), ("TL IV", Classification.RESTRICTED),
    ("BEGRÄNSAD TILLGÅNG", Classification.RESTRICTED),
    ("NC", Classification.CONFIDENTIAL), ("FORTROLIGT", Classification.CONFIDENTIAL),
    ("LUOTTAMUKSELLINEN", Classification.CONFIDENTIAL), ("SUOJAUSTASO III", Classification.CONFIDENTIAL),
    ("NS", Classification.SECRET), ("NATO SECRET", Classification.SECRET), ("HEMMELIGT", Classification.SECRET),
    ("SALAINEN", Classification.SECRET), ("SUOJAUSTASO II", Classification.SECRET), ("TL II", Classification.SECRET),
    ("Hemmeligt", Classification.SECRET),
])
def test_national_names_parse(text, level):
    assert parse_classification(text) is level


def test_decomposed_unicode_parses():
    import unicodedata
    assert parse_classification(unicodedata.normalize("NFD", "KÄYTTÖ RAJOITETTU")) is Classification.RESTRICTED


@pytest.mark.parametrize("text", ["YDERST HEMMELIGT", "ERITTÄIN SALAINEN", "COSMIC TOP SECRET", "TL I"])
def test_top_secret_is_recognised_and_refused(text):
    with pytest.raises(ValueError, match="top secret"):
        parse_classification(text)


@pytest.mark.parametrize("text", ["", "SECRETISH", "NX", "SUOJAUSTASO V"])
def test_unknown_names_raise(text):
    with pytest.raises(ValueError, match="unknown classification"):
        parse_classification(text)


def test_display_names():
    assert display_name(Classification.RESTRICTED, "NATO") == "NATO RESTRICTED"
    assert display_name(Classification.RESTRICTED, "DNK") == "TIL TJENESTEBRUG"
    assert display_name(Classification.RESTRICTED, "FIN") == "KÄYTTÖ RAJOITETTU"
    assert display_name(Classification.CONFIDENTIAL, "dnk") == "FORTROLIGT"
    assert display_name(Classification.SECRET, "FIN") == "SALAINEN"
    assert display_name("NS", "DNK") == "HEMMELIGT"
    with pytest.raises(ValueError, match="policy"):
        display_name(Classification.SECRET, "SWE")


@given(classifications, st.sampled_from(["NATO", "DNK", "FIN"]))
def test_display_name_parses_back(level, policy):
    assert parse_classification(display_name(level, policy)) is level


# ---- categories --------------------------------------------------------------------------------------

def test_categories_are_normalised_and_sorted():
    lab = Label(Classification.RESTRICTED, (), "NATO",
                ("Ops:restrictive:B", " Ops :RESTRICTIVE: A ", "Ops:RESTRICTIVE:B", "Mission:PERMISSIVE:",
                 "Mission:PERMISSIVE:X", "Other:PERMISSIVE:"))
    assert lab.categories == ("Mission:PERMISSIVE:X", "Ops:RESTRICTIVE:A", "Ops:RESTRICTIVE:B", "Other:PERMISSIVE:")
    assert parse_category("Ops:RESTRICTIVE:a:b").value == "a:b"
    assert make_category("Ops", "informative", "x") == "Ops:INFORMATIVE:x"


@pytest.mark.parametrize("bad", ["Ops", "Ops:SECRETIVE:A", ":RESTRICTIVE:A", "Ops:RESTRICTIVE:", "Releasable To:PERMISSIVE:DNK"])
def test_bad_categories_raise(bad):
    with pytest.raises(ValueError):
        Label(Classification.RESTRICTED, (), "NATO", (bad,))


def test_category_value_cannot_hold_the_column_separator():
    with pytest.raises(ValueError, match="';'"):
        make_category("Ops", "RESTRICTIVE", "a;b")


# ---- the algebra: examples -----------------------------------------------------------------------------

def test_alert_from_danish_track_and_finnish_note():
    track = Label(Classification.RESTRICTED, ("DNK", "FIN", "SWE"), "DNK")
    note = Label(Classification.CONFIDENTIAL, ("DNK", "FIN"), "FIN", ("Source:INFORMATIVE:HUMINT",))
    alert = combine(track, note)
    assert alert.classification is Classification.CONFIDENTIAL
    assert alert.releasable_to == ("DNK", "FIN")
    assert alert.policy == "NATO"  # the inputs' policies differ
    assert alert.categories == ("Source:INFORMATIVE:HUMINT",)
    assert dominates(alert, track) and dominates(alert, note)
    assert not dominates(track, alert)


def test_permissive_categories_intersect_per_tag():
    a = Label(categories=("Mission:PERMISSIVE:X", "Mission:PERMISSIVE:Y", "Ops:RESTRICTIVE:A"))
    b = Label(categories=("Mission:PERMISSIVE:Y", "Mission:PERMISSIVE:Z", "Other:PERMISSIVE:Q"))
    c = combine(a, b)
    assert c.categories == ("Mission:PERMISSIVE:Y", "Ops:RESTRICTIVE:A", "Other:PERMISSIVE:Q")
    d = combine(Label(categories=("M:PERMISSIVE:X",)), Label(categories=("M:PERMISSIVE:Y",)))
    assert d.categories == ("M:PERMISSIVE:",)  # the tag stays, nobody qualifies


def test_privacy_marks_merge():
    a, b = Label(privacy_mark="STAFF"), Label(privacy_mark="PERSONAL DATA")
    assert combine(a, a).privacy_mark == "STAFF"
    assert combine(a, Label()).privacy_mark == "STAFF"
    assert combine(a, b).privacy_mark == "PERSONAL DATA | STAFF"
    assert combine([a, b]) == combine(a, b)
    with pytest.raises(ValueError):
        combine()


def test_raise_narrow_widen():
    lab = Label(Classification.RESTRICTED, ("DNK", "FIN", "SWE"))
    assert raise_to(lab, Classification.SECRET).classification is Classification.SECRET
    assert raise_to(lab, "FORTROLIGT").classification is Classification.CONFIDENTIAL
    with pytest.raises(ValueError, match="lower"):
        raise_to(lab, Classification.UNCLASSIFIED)
    assert narrow(lab, ["fin", "NOR"]).releasable_to == ("FIN",)
    assert narrow(lab, "DNK,SWE").releasable_to == ("DNK", "SWE")
    assert widen(lab, ["NOR"]).releasable_to == ("DNK", "FIN", "NOR", "SWE")
    with pytest.raises(ValueError, match="alpha-3"):
        narrow(lab, ["DK"])


def test_only_the_owner_changes_a_label():
    old = Label(Classification.RESTRICTED, ("DNK", "FIN"))
    with pytest.raises(LabelChangeError, match="only the owner nation DNK") as e:
        validate_change(old, raise_to(old, Classification.SECRET), owner_nation="DNK", actor_nation="FIN")
    assert e.value.reason == "not_owner"
    with pytest.raises(LabelChangeError, match="only the owner"):
        validate_change(old, old, "DNK", "FIN")  # even a change that changes nothing
    assert validate_change(old, old, "DNK", "DNK") == ()
    assert validate_change(old, raise_to(old, "SECRET"), "DNK", "dnk") == ("raised RESTRICTED -> SECRET",)
    assert validate_change(old, narrow(old, ["DNK"]), "DNK", "DNK") == ("no longer releasable to FIN",)
    assert validate_change(old, widen(old, ["SWE"]), "DNK", "DNK") == ("released to SWE",)


def test_downgrade_needs_the_flag():
    old = Label(Classification.SECRET, ("DNK",), "NATO", ("Ops:RESTRICTIVE:A",))
    lower = Label(Classification.RESTRICTED, ("DNK",), "NATO", ("Ops:RESTRICTIVE:A",))
    with pytest.raises(LabelChangeError, match="downgrade") as e:
        validate_change(old, lower, "DNK", "DNK")
    assert e.value.reason == "downgrade"
    assert validate_change(old, lower, "DNK", "DNK", downgrade=True) == ("lowered SECRET -> RESTRICTED",)
    no_cat = Label(Classification.SECRET, ("DNK",))
    with pytest.raises(LabelChangeError, match="restrictive"):
        validate_change(old, no_cat, "DNK", "DNK")
    validate_change(old, no_cat, "DNK", "DNK", downgrade=True)
    # even with the flag, another nation may not
    with pytest.raises(LabelChangeError):
        validate_change(old, lower, "DNK", "FIN", downgrade=True)


def test_meets_examples():
    lab = Label(Classification.RESTRICTED, ("FIN",))
    assert meets(Classification.RESTRICTED, "DNK", lab, "DNK")       # owner
    assert meets(Classification.SECRET, "FIN", lab, "DNK")           # releasable
    assert not meets(Classification.SECRET, "SWE", lab, "DNK")       # not releasable
    assert not meets(Classification.UNCLASSIFIED, "FIN", lab, "DNK")  # clearance too low
    assert meets("TIL TJENESTEBRUG", "fin", lab, "DNK")
    assert not meets(Classification.SECRET, "", Label(), "DNK")


# ---- properties ----------------------------------------------------------------------------------------

@PROPS
@given(st.lists(labels, min_size=1, max_size=4))
def test_combine_dominates_every_input(ls):
    c = combine(*ls)
    assert all(dominates(c, lab) for lab in ls)


@PROPS
@given(st.lists(labels, min_size=1, max_size=4), labels)
def test_combine_is_the_least_upper_bound(ls, upper):
    if all(dominates(upper, lab) for lab in ls):
        assert dominates(upper, combine(*ls))


@PROPS
@given(labels, labels)
def test_combine_is_commutative(a, b):
    assert combine(a, b) == combine(b, a)


@PROPS
@given(labels, labels, labels)
def test_combine_is_associative(a, b, c):
    assert combine(combine(a, b), c) == combine(a, combine(b, c)) == combine(a, b, c)


@PROPS
@given(labels)
def test_combine_is_idempotent(a):
    assert combine(a) == a
    assert combine(a, a) == a


@PROPS
@given(labels)
def test_dominates_is_reflexive(a):
    assert dominates(a, a)


@PROPS
@given(labels, labels)
def test_dominates_is_antisymmetric_on_the_access_relevant_part(a, b):
    if dominates(a, b) and dominates(b, a):
        assert access_key(a) == access_key(b)


@PROPS
@given(labels, labels, labels)
def test_dominates_is_transitive(a, b, c):
    if dominates(a, b) and dominates(b, c):
        assert dominates(a, c)


@PROPS
@given(labels, labels)
def test_dominates_agrees_with_combine(a, b):
    # a dominates b exactly when combining b into a adds no restriction
    assert dominates(a, b) == (access_key(combine(a, b)) == access_key(a))


@PROPS
@given(st.lists(labels, min_size=1, max_size=4), classifications, st.sampled_from(NATIONS),
       st.sampled_from(NATIONS))
def test_meets_is_monotone(ls, clearance, nation, owner):
    if meets(clearance, nation, combine(*ls), owner):
        assert all(meets(clearance, nation, lab, owner) for lab in ls)


@PROPS
@given(labels, labels, classifications, st.sampled_from(NATIONS), st.sampled_from(NATIONS))
def test_meets_respects_dominance(a, b, clearance, nation, owner):
    if dominates(a, b) and meets(clearance, nation, a, owner):
        assert meets(clearance, nation, b, owner)


@PROPS
@given(labels, classifications, nation_sets)
def test_raise_and_narrow_dominate(a, level, nations):
    if level >= a.classification:
        assert dominates(raise_to(a, level), a)
    assert dominates(narrow(a, nations), a)
    assert dominates(a, widen(a, nations))


@PROPS
@given(labels, labels, st.sampled_from(NATIONS), st.sampled_from(NATIONS))
def test_validate_change_owner_rule(old, new, owner, actor):
    try:
        validate_change(old, new, owner, actor, downgrade=True)
    except LabelChangeError as e:
        assert e.reason == "not_owner" and actor != owner
    else:
        assert actor == owner


@PROPS
@given(labels, labels)
def test_owner_may_make_any_change_that_dominates(old, new):
    if dominates(new, old):
        validate_change(old, new, "DNK", "DNK")  # raising and narrowing need no downgrade flag


@PROPS
@given(labels)
def test_stored_form_round_trips(a):
    stored = ";".join(a.categories)
    back = Label(a.classification, parse_releasable(a.releasable_text()), a.policy,
                 tuple(c for c in stored.split(";") if c), a.privacy_mark)
    assert back == a


def test_label_from_text_names_what_is_wrong():
    import pytest as _pytest

    from dkfi.core.labels import Classification, Label

    lab = Label.from_text(" restricted ", "fin, dnk")
    assert lab.classification is Classification.RESTRICTED and lab.releasable_to == ("DNK", "FIN")
    with _pytest.raises(ValueError, match="unknown classification 'COSMIC'"):
        Label.from_text("COSMIC")
    with _pytest.raises(ValueError):
        Label.from_text("RESTRICTED", "DNK,XX1")
