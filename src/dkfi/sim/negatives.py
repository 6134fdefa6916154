"""Hard negatives: ships that are slow near a cable for every reason but a dragging anchor.

Each family's speeds and manoeuvres come from how the trade is done (sources in docs/watch.md, "Scenario
library"): icebreaker convoys run at 4-8 kn with ships 0.5-1.5 km apart; ships follow an ice channel one behind
another; a ship at anchor swings round its anchor with the wind and its GNSS now and then jumps; pilots board at
6-8 kn at the boarding place and a ship may wait there; traffic in a traffic separation scheme or in heavy
weather slows together; trawlers tow at 2.5-4 kn, dredgers work at 1-2 kn; cable ships hold position over
the cable for hours and survey ships run lines along it at 3-5 kn, both "restricted in their ability to
manoeuvre"; a merchant ship asked to join a search sweeps parallel tracks at reduced speed beside a rescue
unit; in fog ferries and merchant ships slow to a safe speed (COLREG rule 19).
"""
from __future__ import annotations

import json
import math
import random
from typing import Callable

from dkfi.sim.anchor import swinging_at_anchor
from dkfi.sim.library import (
    Built, Ids, Ship, Spec, Voyage, family, line_at_sea, place_track, start_time,
)
from dkfi.sim.scenarios import DATA_DIR, offset
from dkfi.watch.detectors.base import KNOT_MS

ICE_MONTHS = (1, 2, 3)


def _places(kind: str) -> list[tuple[str, float, float]]:
    data = json.loads((DATA_DIR / "places.geojson").read_text(encoding="utf-8"))
    out = []
    for f in data["features"]:
        p = f["properties"]
        if p.get("kind") != kind:
            continue
        g = f["geometry"]
        if g["type"] == "Point":
            lon, lat = g["coordinates"]
        else:  # a drawn circle: its centre
            ring = g["coordinates"][0][:-1]
            lon, lat = sum(x for x, _ in ring) / len(ring), sum(y for _, y in ring) / len(ring)
        out.append((p["name"], lat, lon))
    return out


def _const(value: float) -> Callable[[float], float]:
    return lambda t: value


def _second(f: Callable[[float], tuple[float, float]]) -> Callable[[float], float]:
    return lambda t: f(t)[1]


def _yawing(mean: float, amp: float, period_s: float) -> Callable[[float], float]:
    return lambda t: mean + amp * math.sin(t / period_s)


def _behind(lat: float, lon: float, course: float, dist_m: float) -> tuple[float, float]:
    return offset(lat, lon, course + 180.0, dist_m)


def _wander(rng: random.Random, kn: float, share: float):
    ph, per = rng.uniform(0, 6.28), rng.uniform(120, 300)
    ph2, per2 = rng.uniform(0, 6.28), rng.uniform(40, 90)
    return lambda t: max(0.5, kn * (1 + share * math.sin(6.2832 * t / per + ph) + 0.4 * share * math.sin(
        6.2832 * t / per2 + ph2)))


def _column(rng: random.Random, ids: Ids, region: str, n: int, spacing: tuple[float, float], slow_kn: float,
            ice: bool, t0: float, lead_ship: Ship | None = None) -> tuple[list[Ship], str]:
    """Ships in line ahead on one track across an asset: each at service speed for an hour, then slowing at
    the same place (the ice edge, the congestion) and following at ``slow_kn``."""
    gaps = [rng.uniform(*spacing) for _ in range(n)]
    total_gap = sum(gaps)
    asset, lat, lon, course = place_track(rng, region, before_m=40_000 + total_gap, after_m=25_000)
    edge_lat, edge_lon = _behind(lat, lon, course, rng.uniform(4000, 9000))  # where the column slows
    slow_s = rng.uniform(70, 100) * 60
    ships = []
    back = 0.0
    for k in range(n):
        back += gaps[k]
        service = rng.uniform(10.5, 13.5)
        hist_s = rng.uniform(50, 70) * 60
        pt_lat, pt_lon = _behind(edge_lat, edge_lon, course, back)
        s_lat, s_lon = _behind(pt_lat, pt_lon, course, service * KNOT_MS * hist_s)
        v = Voyage(t0 - hist_s, s_lat, s_lon)
        v.steer(service, course, hist_s)
        v.change_speed(service, slow_kn, course, rng.uniform(240, 420))
        v.leg(slow_s, _wander(rng, slow_kn, 0.12 if ice else 0.05), course,
              heading=_const(course + rng.uniform(-3, 3)))
        ships.append(ids.merchant(v, role="column"))
    if lead_ship is not None:
        lv = lead_ship.voyage
        lv.t, lv.lat, lv.lon = t0 - 1200, *_behind(edge_lat, edge_lon, course, 1200 * slow_kn * KNOT_MS - 150.0)
        lv.states.clear()
        lv.steer(slow_kn, course, 1200 + slow_s + 600, speed_noise=0.05, rng=rng)
    return ships, asset


@family("ice-convoy", "negative", "merchant ships led by an icebreaker through ice at 4-8 kn, in line 0.5-1.5 km "
        "apart, heading on course, across a Gulf of Finland cable in winter")
def ice_convoy(rng: random.Random, spec: Spec) -> Built:
    ids = Ids(rng)
    t0 = start_time(rng, ICE_MONTHS)
    kn = rng.uniform(4, 8)
    ib = Ship(ids.mmsi(230), rng.choice(["OTSO", "KONTIO", "URHO", "SISU", "VOIMA", "POLARIS"]), 90, 99.0,
              Voyage(t0, 0, 0), role="icebreaker", imo=ids.imo())
    ships, asset = _column(rng, ids, "gulf_of_finland", rng.randint(2, 4), (500, 1500), kn, True, t0, ib)
    return Built([ib, *ships], note=f"icebreaker {ib.name} leads {len(ships)} ships at {kn:.1f} kn over {asset}",
                 place={"asset": asset})


@family("ice-channel", "negative", "merchant ships following one another through a channel in the ice at 4-8 kn, "
        "2-5 km apart, no icebreaker in sight, in winter")
def ice_channel(rng: random.Random, spec: Spec) -> Built:
    ids = Ids(rng)
    t0 = start_time(rng, ICE_MONTHS)
    kn = rng.uniform(4, 8)
    ships, asset = _column(rng, ids, "gulf_of_finland", rng.randint(2, 3), (2000, 5000), kn, True, t0)
    return Built(ships, note=f"{len(ships)} ships in an ice channel at {kn:.1f} kn over {asset}", place={"asset": asset})


@family("anchor-swing", "negative", "ships riding at anchor in an anchorage near cables, swinging round the anchor "
        "with the wind, with GNSS jitter and single-report speed spikes; one arrives and anchors")
def anchor_swing(rng: random.Random, spec: Spec) -> Built:
    ids = Ids(rng)
    t0 = start_time(rng)
    anchorages = [a for a in _places("anchorage") if a[2] > 20]  # the Gulf of Finland's, near its cables
    name, alat, alon = rng.choice(anchorages)
    ships = []
    hours = rng.uniform(2.5, 3.5)
    for k in range(rng.randint(2, 3)):
        wind = rng.uniform(0, 360)
        radius = rng.uniform(150, 350)  # chain out (5-8 shackles) plus the ship's length
        an_lat, an_lon = offset(alat, alon, rng.uniform(0, 360), rng.uniform(0, 1200))
        swing = swinging_at_anchor(rng, wind, radius)
        if k == 0:  # arrives at service speed, slows, lets go
            service = rng.uniform(10, 13)
            course = rng.uniform(0, 360)
            for _ in range(50):
                course = rng.uniform(0, 360)
                if line_at_sea(*offset(an_lat, an_lon, course + 180, 30_000), course, 30_000):
                    break
            hist_s = rng.uniform(50, 70) * 60
            slow_m = 3500.0  # the last miles at decreasing speed
            s_lat, s_lon = offset(an_lat, an_lon, course + 180, slow_m + service * KNOT_MS * hist_s)
            v = Voyage(t0, s_lat, s_lon)
            v.steer(service, course, hist_s)
            dur = 2 * slow_m / (service * KNOT_MS)  # linear slow-down to a stop over ``slow_m``
            v.change_speed(service, 0.3, course, dur)
            alat2, alon2 = v.lat, v.lon
            t_anch = v.t
        else:
            v = Voyage(t0, an_lat, an_lon)
            alat2, alon2 = an_lat, an_lon
            t_anch = t0

        def where(t, a=(alat2, alon2), r=radius, sw=swing):
            brg, _ = sw(t)
            return offset(a[0], a[1], brg, r * min(1.0, t / 600.0))

        v.track(t0 + hours * 3600 - t_anch, where, _second(swing), status=1)
        # a few single-report GNSS glitches while at anchor
        at_anchor = [i for i, s in enumerate(v.states) if s[6] == 1]
        v.spikes = set(rng.sample(at_anchor, min(len(at_anchor), rng.randint(3, 6))))
        ships.append(ids.merchant(v, role="at_anchor"))
    return Built(ships, note=f"{len(ships)} ships at anchor in {name}", place={"anchorage": name})


@family("pilot-boarding", "negative", "a ship slowing to 4-8 kn at a pilot boarding place near cables, the pilot boat "
        "alongside, sometimes waiting for the pilot at 1-3 kn, then going on to port")
def pilot_boarding(rng: random.Random, spec: Spec) -> Built:
    ids = Ids(rng)
    t0 = start_time(rng)
    stations = [p for p in _places("pilot_station") if 22.5 < p[2] < 26.5]  # the Gulf of Finland's
    name, plat, plon = rng.choice(stations)
    course = 0.0
    for _ in range(400):  # in from the open sea, and on past the boarding place to the port approach
        course = rng.uniform(0, 360)
        if line_at_sea(*offset(plat, plon, course + 180, 45_000), course, 54_000):
            break
    service = rng.uniform(10.5, 13.5)
    hist_s = rng.uniform(50, 70) * 60
    board_kn = rng.uniform(5, 8)
    approach_m = rng.uniform(3000, 6000)
    s_lat, s_lon = offset(plat, plon, course + 180, approach_m + service * KNOT_MS * hist_s)
    v = Voyage(t0, s_lat, s_lon)
    v.steer(service, course, hist_s)
    v.change_speed(service, board_kn, course, rng.uniform(300, 480))
    v.steer(board_kn, course, max(60.0, approach_m / (board_kn * KNOT_MS) - 400))
    if rng.random() < 0.5:  # the pilot is late: the ship waits, stemming the sea at 1-3 kn
        wait_kn = rng.uniform(1, 3)
        v.steer(wait_kn, course, rng.uniform(10, 30) * 60, speed_noise=0.2, rng=rng)
    v.steer(board_kn, course, rng.uniform(8, 15) * 60)            # pilot boat alongside, ladder rigged
    on_kn = rng.uniform(8, 10)
    v.change_speed(board_kn, on_kn, course, 300)
    v.steer(on_kn, course, rng.uniform(3000, 5000) / (on_kn * KNOT_MS))  # on towards the port with the pilot
    v.change_speed(on_kn, 0.3, course, 600)
    v.hold(3600, status=1)                                              # anchors in the roads, waiting for a berth
    ship = ids.merchant(v, role="subject")
    # the pilot boat: out at 18 kn from whichever side of the boarding place is open water, alongside, back
    side = next((s for s in (90, -90, 180) if line_at_sea(*offset(plat, plon, course + s, 4000), course + s + 180,
                                                            4000)), 180)
    pb = Voyage(t0 + hist_s - 700, *offset(plat, plon, course + side, 4000))
    pb.steer(18, (course + side + 180) % 360, 4000 / (18 * KNOT_MS))
    pb.steer(board_kn, course, 15 * 60)
    pb.steer(18, (course + side) % 360, 4000 / (18 * KNOT_MS))
    boat = Ship(ids.mmsi(230), ids.name("PILOT "), 50, 18.0, pb, role="pilot_boat")
    return Built([ship, boat], note=f"{ship.name} takes a pilot at {name}", place={"pilot_station": name})


@family("tss-slowdown", "negative", "traffic in a traffic separation scheme slowing together from 11-14 to 5-8 kn "
        "(congestion ahead, a VTS instruction) while crossing cables")
def tss_slowdown(rng: random.Random, spec: Spec) -> Built:
    ids = Ids(rng)
    t0 = start_time(rng, tuple(range(4, 11)))
    kn = rng.uniform(5, 8)
    ships, asset = _column(rng, ids, rng.choice(["gulf_of_finland", "bornholm", "central_baltic"]),
                           rng.randint(4, 6), (800, 2500), kn, False, t0)
    return Built(ships, note=f"{len(ships)} ships in one lane slow to {kn:.1f} kn over {asset}", place={"asset": asset})


@family("heavy-weather", "negative", "ships in one sea area all slowing to 5-8 kn in a gale, heading into the sea, "
        "with leeway of 3-8 deg and surging speed")
def heavy_weather(rng: random.Random, spec: Spec) -> Built:
    ids = Ids(rng)
    t0 = start_time(rng, (10, 11, 12, 1, 2))
    region = rng.choice(["gulf_of_finland", "central_baltic", "bornholm"])
    asset, lat, lon, course0 = place_track(rng, region, before_m=30_000, after_m=20_000)
    wind = rng.uniform(0, 360)
    ships = []
    for k in range(rng.randint(3, 5)):
        course = (course0 + rng.uniform(-25, 25)) % 360
        clat, clon = offset(lat, lon, rng.uniform(0, 360), rng.uniform(0, 6000))
        service = rng.uniform(10.5, 13.5)
        slow = rng.uniform(5, 8)
        hist_s = rng.uniform(50, 70) * 60
        before = rng.uniform(3000, 8000)
        s_lat, s_lon = offset(clat, clon, course + 180, before + service * KNOT_MS * hist_s)
        v = Voyage(t0, s_lat, s_lon)
        v.steer(service, course, hist_s)
        v.change_speed(service, slow, course, rng.uniform(300, 600))
        side = 1.0 if math.sin(math.radians(wind - course)) >= 0 else -1.0
        leeway = side * rng.uniform(3, 8)  # the bow up-wind of the track: leeway, not a chain
        v.leg(rng.uniform(70, 100) * 60, _wander(rng, slow, 0.15), course,
              heading=_yawing(course + leeway, 2.0, 40.0))
        ships.append(ids.merchant(v, role="in_gale"))
    return Built(ships, note=f"{len(ships)} ships slowed by a gale near {asset}", place={"asset": asset})


@family("fishing-dredging", "negative", "trawlers towing at 2.5-4 kn back and forth across a cable, and a dredger "
        "working along it at 1-2 kn (their own AIS status)")
def fishing_dredging(rng: random.Random, spec: Spec) -> Built:
    ids = Ids(rng)
    t0 = start_time(rng)
    region = rng.choice(["bornholm", "central_baltic", "western_baltic"])
    asset, lat, lon, course = place_track(rng, region, before_m=6000, after_m=6000, min_port_m=8000)
    ships = []
    hours = rng.uniform(3, 4)
    for _ in range(rng.randint(2, 3)):  # trawlers: tows of 30-60 min across the cable, then turn
        v = Voyage(t0, *offset(lat, lon, rng.uniform(0, 360), rng.uniform(500, 3000)))
        c = (course + rng.uniform(-30, 30)) % 360
        while v.t < t0 + hours * 3600:
            kn = rng.uniform(2.5, 4)
            v.leg(rng.uniform(30, 60) * 60, _wander(rng, kn, 0.08), c, status=7)
            v.turn(3.0, c, c + 180 + rng.uniform(-20, 20), rate_deg_min=20)
            c = (c + 180 + rng.uniform(-20, 20)) % 360
        ships.append(Ship(ids.mmsi(), ids.name("FV "), 30, rng.choice([24.0, 32.0, 40.0]), v, role="trawler",
                          imo=ids.imo()))
    # a dredger (or a sand extraction ship) working along a line near the cable
    v = Voyage(t0, *offset(lat, lon, course + 90, rng.uniform(300, 1500)))
    c = (course + 90 + rng.uniform(-10, 10)) % 360
    while v.t < t0 + hours * 3600:
        v.leg(rng.uniform(20, 40) * 60, _wander(rng, rng.uniform(1.0, 2.0), 0.1), c, status=3)
        c = (c + 180) % 360
    ships.append(Ship(ids.mmsi(), ids.name("DREDGER "), 33, rng.choice([80.0, 110.0]), v, role="dredger",
                      imo=ids.imo()))
    return Built(ships, note=f"trawlers and a dredger over {asset}", place={"asset": asset})


@family("cable-work", "negative", "a cable ship holding position on the cable for hours and a survey ship running "
        "lines along it at 3-5 kn, both restricted in their ability to manoeuvre")
def cable_work(rng: random.Random, spec: Spec) -> Built:
    ids = Ids(rng)
    t0 = start_time(rng, tuple(range(3, 11)))
    region = rng.choice(list(("gulf_of_finland", "central_baltic", "bornholm", "western_baltic")))
    asset, lat, lon, course = place_track(rng, region, before_m=25_000, after_m=5000, min_port_m=8000)
    # the repair ship comes in at 11 kn, then holds position on the cable (DP), status 3
    v = Voyage(t0, *offset(lat, lon, course + 180, 11 * KNOT_MS * 3600))
    v.steer(11, course, 3600)
    v.change_speed(11, 0.3, course, 600, status=3)
    hdg = rng.uniform(0, 360)
    v.leg(rng.uniform(2, 3) * 3600, lambda t: 0.2 + 0.15 * math.sin(t / 200.0), lambda t: (t / 7.0) % 360,
          heading=lambda t: hdg + 3 * math.sin(t / 300.0), status=3)
    repair = Ship(ids.mmsi(), ids.name("CABLE "), rng.choice([33, 90]), 140.0, v, role="cable_ship", imo=ids.imo())
    # the survey ship: lines along the cable, 180-degree turns at the ends
    abrg = (course + 90) % 360
    sv = Voyage(t0 + 1800, *offset(lat, lon, abrg + 180, 3000))
    c = abrg
    while sv.t < t0 + 4 * 3600:
        sv.leg(6000 / (rng.uniform(3, 5) * KNOT_MS), rng.uniform(3, 5), c, status=3)
        sv.turn(3.0, c, c + 180, rate_deg_min=25)
        c = (c + 180) % 360
    survey = Ship(ids.mmsi(), ids.name("SURVEY "), 90, 70.0, sv, role="survey_ship", imo=ids.imo())
    return Built([repair, survey], note=f"repair and survey on {asset}", place={"asset": asset})


@family("sar", "negative", "a search and rescue unit on an expanding-square search and a merchant ship asked to help, "
        "sweeping parallel tracks at 5-8 kn across cables")
def sar(rng: random.Random, spec: Spec) -> Built:
    ids = Ids(rng)
    t0 = start_time(rng)
    region = rng.choice(["gulf_of_finland", "central_baltic", "bornholm"])
    asset, lat, lon, course = place_track(rng, region, before_m=45_000, after_m=15_000)
    # the merchant ship: at service speed, then creeping-line legs of 4-6 km, 1 km apart
    service = rng.uniform(10.5, 13.5)
    hist_s = rng.uniform(50, 70) * 60
    v = Voyage(t0, *offset(lat, lon, course + 180, 4000 + service * KNOT_MS * hist_s))
    v.steer(service, course, hist_s)
    sweep = rng.uniform(5, 8)
    v.change_speed(service, sweep, course, 300)
    c = course
    leg_m = rng.uniform(4000, 6000)
    side = rng.choice((90, -90))
    while v.t < t0 + hist_s + 2 * 3600:
        v.leg(leg_m / (sweep * KNOT_MS), sweep, c)
        v.turn(sweep, c, c + side, rate_deg_min=40)
        v.leg(1000 / (sweep * KNOT_MS), sweep, (c + side) % 360)
        v.turn(sweep, c + side, c + 180, rate_deg_min=40)
        c = (c + 180) % 360
        side = -side
    helper = ids.merchant(v, role="sar_helper")
    # the rescue unit: expanding square from the datum
    sv = Voyage(t0 + hist_s - 1200, *offset(lat, lon, rng.uniform(0, 360), 2000))
    c, n = rng.uniform(0, 360), 1
    while sv.t < t0 + hist_s + 2 * 3600:
        sv.leg(n * 800 / (9 * KNOT_MS), 9.0, c)
        c = (c + 90) % 360
        n += 1 if c % 180 < 1 or n % 2 == 0 else 0
    unit = Ship(ids.mmsi(230), ids.name("RESCUE "), 51, 30.0, sv, role="sar_unit")
    return Built([helper, unit], note=f"{helper.name} helps a search near {asset}", place={"asset": asset})


@family("fog", "negative", "ferries and merchant ships slowed to a safe speed in fog (ferries 10-12 kn from 18-20, "
        "merchant ships 5-8 kn) across the same cables")
def fog(rng: random.Random, spec: Spec) -> Built:
    ids = Ids(rng)
    t0 = start_time(rng, (3, 4, 5, 9, 10, 11))
    region = rng.choice(["gulf_of_finland", "bornholm", "western_baltic"])
    asset, lat, lon, course0 = place_track(rng, region, before_m=40_000, after_m=20_000)
    ships = []
    for k in range(rng.randint(4, 5)):
        ferry = k < 2
        course = (course0 + (180 if k % 2 else 0) + rng.uniform(-10, 10)) % 360
        service = rng.uniform(18, 20) if ferry else rng.uniform(10.5, 13.5)
        slow = rng.uniform(10, 12) if ferry else rng.uniform(5, 8)
        hist_s = rng.uniform(45, 60) * 60
        before = rng.uniform(3000, 6000)
        s_lat, s_lon = offset(*offset(lat, lon, course + 90, rng.uniform(-2000, 2000)), course + 180,
                              before + service * KNOT_MS * hist_s)
        v = Voyage(t0, s_lat, s_lon)
        v.steer(service, course, hist_s)
        v.change_speed(service, slow, course, 300)
        v.steer(slow, course, rng.uniform(70, 100) * 60, speed_noise=0.04, rng=rng)
        if ferry:
            ships.append(Ship(ids.mmsi(), ids.name("FERRY "), 60, 190.0, v, role="ferry", imo=ids.imo()))
        else:
            ships.append(ids.merchant(v, role="in_fog"))
    return Built(ships, note=f"fog over {asset}", place={"asset": asset})
