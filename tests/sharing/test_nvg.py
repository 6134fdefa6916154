"""NVG 2.0.2 (issue 14, point 6): the picture exported as NATO Vector Graphics with APP-6 / 2525C symbols and its
label, holding only what the user may see; allies' NVG overlays imported as labelled layers, bad input refused or
skipped by reason; the symbol codes of vessels (dkfi.maritime.sidc)."""
from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import login, make_user
from tests.sharing.test_exports import DK, FI, LOW, NOW, SEES_VESSELS, US, VESSELS, seed

NS = "{https://tide.act.nato.int/schemas/2012/10/nvg}"
S4774 = "{urn:nato:stanag:4774:confidentialitymetadatalabel:1:0}"


@pytest.fixture
def seeded(tmp_path):
    from dkfi.core.db import get_engine

    engine = get_engine(f"sqlite:///{tmp_path / 'nvg.sqlite'}")
    return engine, seed(engine)


def _doc(text: str) -> ET.Element:
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == f"{NS}nvg" and root.get("version") == "2.0.2"
    return root


def _group(root: ET.Element, layer: str) -> ET.Element:
    g = [x for x in root.findall(f"{NS}g") if x.get("label") == layer]
    assert len(g) == 1, [x.get("label") for x in root.findall(f"{NS}g")]
    return g[0]


def _simple(el: ET.Element) -> dict[str, str]:
    return {sd.get("key"): sd.text or "" for sd in el.iter(f"{NS}simpleData")}


def nvg_text(body: str, version: str = "2.0.2", ns: str = "https://tide.act.nato.int/schemas/2012/10/nvg",
             meta: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<nvg xmlns="{ns}" version="{version}">'
            f"{meta}{body}</nvg>")


# ---- symbol codes ---------------------------------------------------------------------------------------

def test_every_ais_ship_type_has_a_valid_15_character_sidc():
    from dkfi.maritime import sidc

    for t in [None, *range(100)]:
        code = sidc.vessel_sidc(t)
        assert len(code) == 15 and sidc.SIDC_RE.match(code), (t, code)
        assert code[0] == "S" and code[2] == "S" and code[3] == "P", code   # warfighting, sea surface, present
        assert code[1] in "NU", (t, code)


def test_ship_types_map_to_the_sea_surface_hierarchy():
    from dkfi.maritime.sidc import vessel_sidc

    assert vessel_sidc(70) == "SNSPXMC--------"        # cargo
    assert vessel_sidc(84) == "SNSPXMO--------"        # tanker
    assert vessel_sidc(60) == "SNSPXMP--------"        # passenger
    assert vessel_sidc(30) == "SNSPXF---------"        # fishing
    assert vessel_sidc(52) == "SNSPXMTU-------"        # tug
    assert vessel_sidc(31) == "SNSPXMTO-------"        # towing
    assert vessel_sidc(55) == "SNSPXL---------"        # law enforcement
    assert vessel_sidc(37) == "SNSPXR---------"        # pleasure craft
    assert vessel_sidc(35) == "SUSPC----------"        # military operations: combatant, identity unknown
    assert vessel_sidc(None) == "SUSP-----------"      # nothing known: a sea-surface track, unknown
    assert vessel_sidc(0) == "SUSP-----------"


@given(st.one_of(st.none(), st.integers(-10, 130)), st.booleans(), st.sampled_from(["suspect", "hostile"]))
def test_identity_letter_follows_the_watch_list(ship_type, listed, watch_identity):
    from dkfi.maritime import sidc

    code = sidc.vessel_sidc(ship_type, listed, watch_identity)
    assert len(code) == 15 and sidc.SIDC_RE.match(code)
    if listed:
        assert code[1] == {"suspect": "S", "hostile": "H"}[watch_identity]
        assert sidc.identity_of(code) == watch_identity
    elif ship_type is None or ship_type in (35, 59) or not 20 <= ship_type <= 99:
        assert code[1] == "U"
    else:
        assert code[1] == "N"
    # the function does not depend on the identity
    assert code[4:10] == sidc.vessel_sidc(ship_type)[4:10]


def test_bad_identity_is_refused():
    from dkfi.maritime import sidc

    with pytest.raises(ValueError, match="suspect or hostile"):
        sidc.vessel_sidc(70, True, "friend")
    with pytest.raises(ValueError, match="unknown standard identity"):
        sidc.sidc("XM----", "enemy")


# ---- export ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [DK, FI, LOW, US], ids=lambda p: p.name)
def test_export_holds_only_what_the_user_may_see_with_symbols_and_label(seeded, p):
    from dkfi.core.access import user_session
    from dkfi.core.labels import Classification, Label, combine
    from dkfi.core.stanag4774 import from_xml
    from dkfi.maritime.sidc import vessel_sidc
    from dkfi.sharing import exports, nvg

    engine, _ = seeded
    with user_session(engine, p) as s:
        out = nvg.export(s, ["vessels", "alerts"], now=NOW)
        fc = exports.geojson(s, "vessels", now=NOW)
        afc = exports.geojson(s, "alerts", now=NOW)
    root = _doc(out.document)
    points = _group(root, "vessels").findall(f"{NS}point")
    got = {int(el.get("uri").rsplit(":", 1)[1]) for el in points}
    assert got == SEES_VESSELS[p.name]
    if p is FI:
        assert 219000002 not in got        # DNK-only: never in a Finnish user's NVG
    for el in points:
        mmsi = int(el.get("uri").rsplit(":", 1)[1])
        label, owner, name, ship_type = VESSELS[mmsi]
        assert el.get("label") == name                                   # XML-special characters survive
        assert el.get("symbol") == f"2525c:{vessel_sidc(ship_type)}"
        data = _simple(el)
        assert data["classification"] == label.classification.name and data["owner_nation"] == owner
        assert data["releasable_to"] == ",".join(label.releasable_to)
        x, y = float(el.get("x")), float(el.get("y"))
        f = next(f for f in fc["features"] if f["id"] == mmsi)
        assert (x, y) == tuple(round(c, 6) for c in f["geometry"]["coordinates"])   # x = lon, y = lat
    # the document's label: the combination of everything in it, in metadata and on the root
    located = [f for f in afc["features"] if f["geometry"]]           # alerts without a place are left out
    if out.count:
        assert out.label == combine(*(Label(Classification.parse(f["properties"]["label"]["classification"]),
                                            tuple(f["properties"]["label"]["releasable_to"]))
                                      for f in fc["features"] + located))
    lab_el = root.find(f"{NS}metadata/{S4774}ConfidentialityLabel")
    assert lab_el is not None
    lab, created, _ = from_xml(ET.tostring(lab_el, encoding="unicode"))
    assert lab == out.label and created == NOW
    assert root.get("classification") == str(out.label)
    alerts = _group(root, "alerts").findall(f"{NS}point")
    assert all(a.get("symbol") == "2525c:GUGPGPRI------X" for a in alerts)
    assert out.counts == {"vessels": len(points), "alerts": len(alerts)}
    if p is US:
        assert out.count == 0 and str(out.label) == "NATO UNCLASSIFIED REL TO DNK, FIN"


def test_export_lines_areas_bbox_and_watch_listed_vessels(seeded):
    from sqlalchemy.orm import Session

    from dkfi.core.access import user_session
    from dkfi.core.labels import Classification, Label
    from dkfi.sharing import nvg
    from dkfi.watch.models import WatchEntry

    engine, _ = seeded
    with Session(engine) as s:
        e = WatchEntry(list_name="shadow fleet", mmsi=219000001, added=NOW)
        e.set_label(Label(Classification.RESTRICTED, ("DNK", "FIN")), "DNK")
        s.add(e)
        s.commit()
    with user_session(engine, FI) as s:
        out = nvg.export(s, ["vessels", "assets"], now=NOW)
    root = _doc(out.document)
    symbols = {int(el.get("uri").rsplit(":", 1)[1]): el.get("symbol")
               for el in _group(root, "vessels").findall(f"{NS}point")}
    assert symbols[219000001] == "2525c:SSSPXMO--------"     # tanker on a watch list: suspect
    assert symbols[230000003] == "2525c:SNSPXF---------"     # fishing vessel, not listed: neutral
    assets = _group(root, "assets")
    lines = assets.findall(f"{NS}polyline") + assets.findall(f"{NS}composite")
    assert len(lines) == out.counts["assets"] > 10
    for el in assets.iter(f"{NS}polyline"):
        pts = [tuple(map(float, p.split(","))) for p in el.get("points").split()]
        assert len(pts) >= 2 and all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in pts)
        assert all(len(p.split(",")[0].split(".")[-1]) <= 6 for p in el.get("points").split())
    # a bbox keeps what intersects it: the vessels are at 11.0-11.3 E, 55.0-55.3 N
    with user_session(engine, FI) as s:
        small = nvg.export(s, ["vessels"], bbox=(10.95, 54.95, 11.05, 55.05), now=NOW)
    uris = [el.get("uri") for el in _group(_doc(small.document), "vessels").findall(f"{NS}point")]
    assert uris == ["urn:dkfi:DNK:vessels:219000001"] and small.skipped == {"outside bbox": 2}


def test_export_areas_as_polygons_with_holes_and_multi_geometries():
    from dkfi.sharing import nvg

    lab = {"classification": "RESTRICTED", "releasable_to": ["DNK", "FIN"], "policy": "NATO", "categories": [],
           "owner_nation": "FIN"}
    fc = {"features": [
        {"id": "ex-1", "geometry": {"type": "Polygon", "coordinates": [
            [[20, 60], [21, 60], [21, 61], [20, 60]], [[20.2, 60.1], [20.5, 60.1], [20.5, 60.3], [20.2, 60.1]]]},
         "properties": {"name": "Exercise area", "label": lab}},
        {"id": "ex-2", "geometry": {"type": "MultiPolygon", "coordinates": [
            [[[22, 60], [23, 60], [23, 61], [22, 60]]], [[[24, 60], [25, 60], [25, 61], [24, 60]]]]},
         "properties": {"name": "Two areas", "label": lab}},
        {"id": "none", "geometry": None, "properties": {"name": "nowhere", "label": lab}},
    ]}
    out = nvg.build([("exercises", fc)], now=NOW)
    g = _group(_doc(out.document), "exercises")
    poly = g.find(f"{NS}polygon")
    assert poly.get("points") == "20,60 21,60 21,61"           # NVG closes the ring itself
    assert poly.find(f"{NS}exclude/{NS}linear-ring").get("points") == "20.2,60.1 20.5,60.1 20.5,60.3"
    assert len(g.find(f"{NS}composite").findall(f"{NS}polygon")) == 2
    assert out.counts == {"exercises": 2} and out.skipped == {"no geometry": 1}
    assert str(out.label) == "NATO RESTRICTED REL TO DNK, FIN" and out.labels.owner == "FIN"
    back = nvg.parse(out.document)
    assert [f["geometry"]["type"] for f in back.features] == ["Polygon", "MultiPolygon"]
    rings = fc["features"][0]["geometry"]["coordinates"]
    assert back.features[0]["geometry"] == {"type": "Polygon",
                                            "coordinates": [[[float(x), float(y)] for x, y in r] for r in rings]}
    assert back.label == out.label


# ---- import ---------------------------------------------------------------------------------------------

def test_import_keeps_good_elements_and_counts_bad_ones_by_reason():
    from dkfi.sharing import nvg

    body = """
      <g label="Blue &amp; friends">
        <point x="24.9" y="60.2" label="HQ" symbol="app6b:SFGPU----------"/>
        <point x="200" y="60" label="off the world"/>
        <point x="NaN" y="60" label="not a number"/>
        <point x="24.9" y="inf"/>
        <point x="abc" y="60"/>
        <polyline points="24,60 25,60.5 26,61" label="route"/>
        <polyline points="24,60" label="one point"/>
        <polygon points="24,60 25,60 25,61" label="area"/>
        <circle cx="24" cy="60" r="5000" label="circle"/>
        <corridor points="24,60 25,60" width="100"/>
        <point x="24" y="60" symbol="2525c:nonsense"/>
        <point x="24" y="60" symbol="milstd:SFGPU----------"/>
      </g>
      <text x="25.5" y="60.5"><content>Note &lt;1&gt;</content></text>
      <multipoint points="24,60 24.5,60.5" label="buoys"/>
      <other xmlns="urn:example:foreign" x="1" y="2"/>
    """
    out = nvg.parse(nvg_text(body))
    names = [f["properties"]["name"] for f in out.features]
    assert names == ["HQ", "route", "area", "Note <1>", "buoys"]
    hq = out.features[0]
    assert hq["geometry"] == {"type": "Point", "coordinates": [24.9, 60.2]}
    assert hq["properties"]["symbol"] == "app6b:SFGPU----------" and hq["properties"]["group"] == "Blue & friends"
    assert out.features[2]["geometry"]["coordinates"][0][-1] == [24.0, 60.0]      # ring closed for GeoJSON
    assert dict(out.skipped) == {"coordinates out of range": 1, "bad coordinates": 3, "too few points": 1,
                                 "unsupported element circle": 1, "unsupported element corridor": 1,
                                 "bad symbol": 2, "unsupported element (foreign namespace)": 1}
    rep = out.report()
    assert rep["features"] == 5 and rep["skipped"] == 10
    assert any("lon 200" in m for m in rep["messages"])
    assert out.label is None


@pytest.mark.parametrize("text, reason", [
    ("this is not xml", "not well-formed XML"),
    ("<nvg xmlns='https://tide.act.nato.int/schemas/2012/10/nvg' version='2.0.2'><point></nvg>",
     "not well-formed XML"),
    ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
     '<nvg xmlns="https://tide.act.nato.int/schemas/2012/10/nvg" version="2.0.2">&lol2;</nvg>', "DTD or entity"),
    ('<!DOCTYPE nvg SYSTEM "file:///etc/passwd"><nvg/>', "DTD or entity"),
    ("<kml xmlns='http://www.opengis.net/kml/2.2'/>", "root element"),
    ("<nvg xmlns='urn:example:other' version='2.0.2'/>", "root element"),
    ("<nvg version='2.0.2'/>", "root element"),
    ("<nvg xmlns='https://tide.act.nato.int/schemas/2012/10/nvg' version='1.4.0'/>", "version '1.4.0'"),
    ('<?xml version="1.0" encoding="ISO-8859-1"?><nvg/>', "only UTF-8"),
    ("", "empty"),
])
def test_unreadable_files_are_refused_with_the_reason(text, reason):
    from dkfi.sharing import nvg

    with pytest.raises(nvg.NvgError, match=reason):
        nvg.parse(text.encode("utf-8"))


def test_size_cap_and_encoding():
    from dkfi.sharing import nvg

    big = nvg_text("<point x='1' y='1'/>" * 10)
    with pytest.raises(nvg.NvgError, match="at most 100 are accepted"):
        nvg.parse(big.encode(), max_bytes=100)
    with pytest.raises(nvg.NvgError, match="not UTF-8"):
        nvg.parse(nvg_text("<point x='1' y='1' label='Ä'/>").encode("latin-1"))
    assert nvg.parse(b"\xef\xbb\xbf" + nvg_text("<point x='1' y='1'/>").encode()).features  # a BOM is fine


def test_file_marking_is_read_and_a_label_cannot_be_lowered():
    from dkfi.core.labels import Classification, Label
    from dkfi.core.stanag4774 import to_xml
    from dkfi.sharing import nvg, overlays

    lab = Label(Classification.CONFIDENTIAL, ("DNK", "FIN"))
    meta = "<metadata>" + to_xml(lab).split("\n", 1)[1] + "</metadata>"
    parsed = nvg.parse(nvg_text("<point x='1' y='1'/>", meta=meta))
    assert parsed.label == lab
    assert overlays.resolve_label(None, parsed) == (lab, "file")
    higher = Label(Classification.SECRET, ("FIN",))
    assert overlays.resolve_label(higher, parsed) == (higher, "given")
    with pytest.raises(overlays.OverlayRefused, match="may not lower"):
        overlays.resolve_label(Label(Classification.RESTRICTED, ("DNK", "FIN")), parsed)
    with pytest.raises(overlays.OverlayRefused, match="label is required"):
        overlays.resolve_label(None, nvg.parse(nvg_text("<point x='1' y='1'/>")))
    bad = nvg.parse(nvg_text("<point x='1' y='1'/>", meta="<metadata><ConfidentialityLabel xmlns='"
                             "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0'/></metadata>"))
    with pytest.raises(overlays.OverlayRefused, match="not valid"):
        overlays.resolve_label(None, bad)


@pytest.mark.parametrize("text, want", [
    ("RESTRICTED", "NATO RESTRICTED"),
    ("RESTRICTED REL TO DNK,FIN", "NATO RESTRICTED REL TO DNK, FIN"),
    ("NATO CONFIDENTIAL REL TO DNK, FIN", "NATO CONFIDENTIAL REL TO DNK, FIN"),
    ("til tjenestebrug rel DNK", "NATO RESTRICTED REL TO DNK"),
])
def test_parse_label(text, want):
    from dkfi.sharing import nvg

    assert str(nvg.parse_label(text)) == want
    assert nvg.parse_label(str(nvg.parse_label(text))) == nvg.parse_label(text)


@pytest.mark.parametrize("text", ["", "TOP SECRET", "RESTRICTED REL TO DK", "PUBLIC"])
def test_bad_labels(text):
    from dkfi.sharing import nvg

    with pytest.raises(ValueError):
        nvg.parse_label(text)


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "10,50,5,60", "0,0,0,0", "-200,0,10,10", "nan,0,1,1"])
def test_bad_bbox(text):
    from dkfi.sharing import nvg

    with pytest.raises(ValueError, match="bbox"):
        nvg.parse_bbox(text)


# ---- round trip -----------------------------------------------------------------------------------------

LON = st.integers(-180_000_000, 180_000_000).map(lambda v: v / 1e6)
LAT = st.integers(-90_000_000, 90_000_000).map(lambda v: v / 1e6)
XY = st.tuples(LON, LAT).map(list)
NAME = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from('<>&"\'\t\n'),
               min_size=1, max_size=40).filter(lambda s: s.strip())
SIDC = st.tuples(st.sampled_from([None, 30, 35, 52, 60, 70, 84, 99]), st.booleans()).map(
    lambda t: __import__("dkfi.maritime.sidc", fromlist=["x"]).vessel_sidc(t[0], t[1]))


def _ring():
    return st.lists(XY, min_size=3, max_size=8, unique_by=lambda p: tuple(p)).map(lambda r: r + [r[0]])


GEOMETRY = st.one_of(
    XY.map(lambda c: {"type": "Point", "coordinates": c}),
    st.lists(XY, min_size=2, max_size=10).map(lambda c: {"type": "LineString", "coordinates": c}),
    st.lists(XY, min_size=1, max_size=5).map(lambda c: {"type": "MultiPoint", "coordinates": c}),
    st.lists(_ring(), min_size=1, max_size=3).map(lambda rs: {"type": "Polygon", "coordinates": rs}),
    st.lists(st.lists(XY, min_size=2, max_size=5), min_size=1, max_size=3).map(
        lambda c: {"type": "MultiLineString", "coordinates": c}),
)
FEATURE = st.fixed_dictionaries({"geometry": GEOMETRY, "name": NAME, "sidc": st.one_of(st.none(), SIDC)})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FEATURE, min_size=1, max_size=8))
def test_export_then_import_gives_the_same_geometry_symbols_and_names(features):
    from dkfi.sharing import nvg

    fc = {"features": [{"type": "Feature", "id": i, "geometry": f["geometry"],
                        "properties": {"name": f["name"], "sidc": f["sidc"]}} for i, f in enumerate(features)]}
    doc = nvg.build([("overlay", fc)], now=NOW).document
    back = nvg.parse(doc.encode("utf-8"))
    assert not back.skipped, back.report()
    assert len(back.features) == len(features)
    for f, g in zip(features, back.features):
        assert g["geometry"] == json.loads(json.dumps(f["geometry"]), parse_int=float)
        assert g["properties"]["name"] == f["name"].strip()
        assert g["properties"].get("sidc") == f["sidc"]
        assert g["properties"]["group"] == "overlay"
        assert all(math.isfinite(v) for v in _coords(g["geometry"]))


def _coords(geom):
    def walk(c):
        if isinstance(c, (int, float)):
            yield c
        else:
            for x in c:
                yield from walk(x)
    return list(walk(geom["coordinates"]))


# ---- API ------------------------------------------------------------------------------------------------

GOOD = nvg_text("""<g label="FIN picture">
  <point x="15.5" y="57.5" label="Patrol &lt;1&gt;" symbol="2525c:SFSPCP---------"/>
  <polyline points="15,57 16,57.5 17,58" label="Route"/>
  <polygon points="15,57 16,57 16,58" label="Box"/>
  <circle cx="15" cy="57" r="1000"/>
</g>""")


def _upload(c, text: str = GOOD, filename: str = "fin-overlay.nvg", **form):
    return c.post("/api/overlays", files={"file": (filename, text.encode("utf-8"), "application/xml")}, data=form)


def test_overlay_api_roles_labels_and_audit(db_url):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from dkfi.core.models import AuditEntry
    from dkfi.web.app import create_app

    app = create_app(db_url)
    with TestClient(app) as c:
        login(c, db_url, "fi-viewer", "FIN", "SECRET", ("viewer",))
        assert _upload(c, label="RESTRICTED").status_code == 403
        assert c.get("/api/overlays").json() == {"overlays": []}

        login(c, db_url, "fi-op", "FIN", "RESTRICTED", ("operator",))
        r = _upload(c, label="CONFIDENTIAL REL TO DNK,FIN")
        assert r.status_code == 422 and "above the importer's clearance" in r.json()["detail"]
        r = _upload(c)
        assert r.status_code == 422 and "a label is required" in r.json()["detail"]
        r = _upload(c, label="RESTRICTED REL TO FIN,DNK", name="Finnish patrol plan")
        assert r.status_code == 201, r.text
        shared = r.json()
        assert shared["name"] == "Finnish patrol plan" and shared["owner_nation"] == "FIN"
        assert shared["features"] == 3 and shared["report"]["skipped_by_reason"] == {"unsupported element circle": 1}
        assert shared["marking"] == "NATO RESTRICTED REL TO DNK, FIN" and shared["label_from"] == "given"
        r = _upload(c, label="RESTRICTED", filename="fin-only.nvg")
        assert r.status_code == 201
        fin_only = r.json()["id"]
        r = _upload(c, text="<html/>", label="RESTRICTED", filename="page.html")
        assert r.status_code == 422 and "page.html" in r.json()["detail"] and "root element" in r.json()["detail"]
        r = _upload(c, text=nvg_text("<circle cx='1' cy='1' r='5'/>"), label="RESTRICTED")
        assert r.status_code == 422 and "no usable element" in r.json()["detail"]
        r = _upload(c, label="SECRET-ish")
        assert r.status_code == 422 and r.json()["detail"].startswith("label:")

        listed = c.get("/api/overlays").json()["overlays"]
        assert [o["id"] for o in listed] == [fin_only, shared["id"]]
        r = c.get(f"/api/overlays/{shared['id']}.geojson")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
        assert r.headers["X-Classification"] == "NATO RESTRICTED REL TO DNK, FIN"
        fc = r.json()
        assert [f["geometry"]["type"] for f in fc["features"]] == ["Point", "LineString", "Polygon"]
        assert fc["features"][0]["properties"]["name"] == "Patrol <1>"
        assert fc["features"][0]["properties"]["symbol"] == "2525c:SFSPCP---------"
        assert fc["features"][0]["properties"]["label"]["owner_nation"] == "FIN"

        # a Danish operator sees the shared overlay, not the Finnish-only one, and may not delete Finland's
        login(c, db_url, "dk-op", "DNK", "SECRET", ("operator",))
        assert [o["id"] for o in c.get("/api/overlays").json()["overlays"]] == [shared["id"]]
        assert c.get(f"/api/overlays/{fin_only}.geojson").status_code == 404
        assert c.get(f"/api/overlays/{fin_only + 100}.geojson").status_code == 404
        assert c.delete(f"/api/overlays/{fin_only}").status_code == 404
        r = c.delete(f"/api/overlays/{shared['id']}")
        assert r.status_code == 403 and "belongs to FIN" in r.json()["detail"]

        login(c, db_url, "fi-admin", "FIN", "SECRET", ("admin",))
        assert c.delete(f"/api/overlays/{shared['id']}").status_code == 204
        assert c.get(f"/api/overlays/{shared['id']}.geojson").status_code == 404

    from dkfi.core.db import get_engine

    with Session(get_engine(db_url)) as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.object_type == "nvg_overlay")).all()
    seen = {(e.actor, e.action, e.decision) for e in entries}
    assert ("fi-op", "create", "allow") in seen and ("fi-admin", "delete", "allow") in seen
    assert ("dk-op", "delete", "deny") in seen and ("dk-op", "read", "deny") in seen


def test_export_routes(db_url):
    from dkfi.web.app import create_app

    app = create_app(db_url)
    seed(app.state.engine)
    with TestClient(app) as c:
        login(c, db_url, "fi-op", "FIN", "SECRET", ("operator",))
        r = c.get("/api/export/vessels.nvg")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
        assert r.headers["X-Classification"] == "NATO CONFIDENTIAL"
        assert 'filename="dkfi-vessels-' in r.headers["content-disposition"]
        root = _doc(r.text)
        assert {int(p.get("uri").rsplit(":", 1)[1]) for p in root.iter(f"{NS}point")} == SEES_VESSELS["fi"]
        r = c.get("/api/export/nvg", params={"layers": "vessels,assets", "bbox": "10.95,54.95,11.05,55.05"})
        assert r.status_code == 200
        root = _doc(r.text)
        assert [g.get("label") for g in root.findall(f"{NS}g")] == ["vessels", "assets"]
        assert len(_group(root, "vessels").findall(f"{NS}point")) == 1
        full = _doc(c.get("/api/export/nvg").text)
        assert {"vessels", "alerts", "assets"} <= {g.get("label") for g in full.findall(f"{NS}g")}
        assert c.get("/api/export/ships.nvg").status_code == 404
        assert c.get("/api/export/nvg", params={"layers": "vessels,ships"}).status_code == 404
        r = c.get("/api/export/vessels.nvg", params={"bbox": "1,2,3"})
        assert r.status_code == 422 and "bbox" in r.json()["detail"]
        assert c.get("/api/export/alerts.nvg", params={"status": "bogus"}).status_code == 422


# ---- CLI ------------------------------------------------------------------------------------------------

def test_cli_export_and_import(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from dkfi.cli.main import app
    from dkfi.core.config import get_settings
    from dkfi.core.db import get_engine

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("DKFI_DATABASE_URL", url)
    get_settings.cache_clear()
    seed(get_engine(url))
    make_user(url, "fi", "FIN", "SECRET", ("viewer",))
    runner = CliRunner()

    out = tmp_path / "picture.nvg"
    r = runner.invoke(app, ["export", "nvg", "--layer", "vessels", "--layer", "alerts", "--user", "fi",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    root = _doc(out.read_text(encoding="utf-8"))
    assert {int(p.get("uri").rsplit(":", 1)[1]) for p in _group(root, "vessels").findall(f"{NS}point")} \
        == SEES_VESSELS["fi"]
    assert root.get("classification") == "NATO CONFIDENTIAL"
    r = runner.invoke(app, ["export", "nvg", "--layer", "ships", "--user", "fi"])
    assert r.exit_code == 2 and "unknown export layer" in r.output
    r = runner.invoke(app, ["export", "nvg", "--bbox", "x", "--user", "fi"])
    assert r.exit_code == 2 and "bbox" in r.output

    # the exported file comes back as an overlay with the file's own marking
    r = runner.invoke(app, ["nvg", "import", str(out), "--owner", "FIN", "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["label_from"] == "file" and res["marking"] == "NATO CONFIDENTIAL" and res["owner_nation"] == "FIN"
    assert res["features"] == len(SEES_VESSELS["fi"]) + 2                       # vessels and the located alerts
    bad = tmp_path / "bad.nvg"
    bad.write_text(nvg_text("<point x='1' y='95'/><point x='2' y='2' label='ok'/>"), encoding="utf-8")
    r = runner.invoke(app, ["nvg", "import", str(bad), "--label", "RESTRICTED REL TO DNK,FIN"])
    assert r.exit_code == 0, r.output
    assert "1 features stored, 1 elements skipped" in r.output and "coordinates out of range" in r.output
    r = runner.invoke(app, ["nvg", "import", str(bad), "--label", "TOP SECRET"])
    assert r.exit_code == 2 and "--label" in r.output
    r = runner.invoke(app, ["nvg", "import", str(bad), "--label", "RESTRICTED", "--owner", "DK"])
    assert r.exit_code == 2 and "did you mean DNK" in r.output
    r = runner.invoke(app, ["nvg", "import", str(tmp_path / "missing.nvg"), "--label", "RESTRICTED"])
    assert r.exit_code == 2 and "no such file" in r.output
    (tmp_path / "bomb.nvg").write_text('<!DOCTYPE x [<!ENTITY a "aaaa">]><nvg/>', encoding="utf-8")
    r = runner.invoke(app, ["nvg", "import", str(tmp_path / "bomb.nvg"), "--label", "RESTRICTED"])
    assert r.exit_code == 1 and "DTD or entity" in r.output
    r = runner.invoke(app, ["nvg", "list", "--json"])
    assert r.exit_code == 0
    assert [o["name"] for o in json.loads(r.stdout)] == ["bad", "picture"]
    r = runner.invoke(app, ["nvg", "list"])
    assert r.exit_code == 0 and "picture" in r.stdout

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from dkfi.core.models import AuditEntry

    with Session(get_engine(url)) as s:
        acts = {(e.actor, e.action, e.object_id) for e in s.scalars(select(AuditEntry))}
    assert ("fi", "export", "overlay.nvg") in acts
    assert ("cli@FIN", "import", "1") in acts


def test_now_is_used_for_generated_times():
    from dkfi.sharing import nvg

    out = nvg.build([], now=datetime(2026, 1, 2, tzinfo=timezone.utc))
    assert "2026-01-02T00:00:00" in out.document and out.count == 0
