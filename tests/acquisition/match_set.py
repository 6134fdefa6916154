"""Labelled evaluation set for opportunity matching: Danish and Finnish plan items in pairs, each pair labelled
related (could be bought together) or not.

All items, quantities, dates and codes are INVENTED for testing. NSNs have the right form (FSC-NCB-SSS-SSSS, with
the Danish NCB 22 and an invented Finnish 32 where a nation registered its own item, a shared NSN where both
use the same registered item) and real supply classes; CPV codes have the right form and real divisions/groups,
but no code here is a real registration. Descriptions are phrased as each nation's planners might write them in
English: different word order, synonyms, abbreviations, now and then a national term.

Unrelated pairs include hard negatives: same supply class but a different item, and shared words ("120 mm",
"mine", "armour", "fuel", "winter") for different items.
"""
from __future__ import annotations

from datetime import date

from dkfi.acquisition.matching import PlanItem


def _item(id: str, nation: str, description: str, area: str, nsn: str | None, cpv: str | None, qty: float,
          start: str, end: str) -> PlanItem:
    return PlanItem(id, nation, description, area, nsn, cpv, qty, date.fromisoformat(start), date.fromisoformat(end))


def dk(n: int, description: str, area: str, nsn: str | None, cpv: str | None, qty: float, start: str,
       end: str) -> PlanItem:
    return _item(f"DK-{n:02d}", "DNK", description, area, nsn, cpv, qty, start, end)


def fi(n: int, description: str, area: str, nsn: str | None, cpv: str | None, qty: float, start: str,
       end: str) -> PlanItem:
    return _item(f"FI-{n:02d}", "FIN", description, area, nsn, cpv, qty, start, end)


# (Danish item, Finnish item, related?)
PAIRS: list[tuple[PlanItem, PlanItem, bool]] = [
    # ---- related: the same or an interchangeable item ----
    (dk(1, "155 mm artillery ammunition, high explosive projectile, NATO standard, for CAESAR and ATMOS howitzers",
        "land-fires", "1320-22-614-0021", "35331000", 24000, "2026-01-01", "2028-12-31"),
     fi(1, "Projectile 155mm HE, extended range, for K9 Moukari self-propelled howitzer",
        "land-fires", "1320-32-771-0044", "35331000", 60000, "2026-06-01", "2029-06-30"), True),
    (dk(2, "Modular propelling charges for 155 mm artillery (MACS), zones 1-6",
        "land-fires", "1320-22-614-0107", "35331000", 40000, "2026-03-01", "2028-12-31"),
     fi(2, "155mm bi-modular charge system, propellant increments for howitzer firing",
        "land-fires", "1320-32-771-0180", None, 90000, "2027-01-01", "2029-12-31"), True),
    (dk(3, "Anti-tank guided missile, man-portable, fire-and-forget (Javelin type) with command launch units",
        "land-anti-armour", "1410-01-681-2201", "35620000", 300, "2026-01-01", "2027-12-31"),
     fi(3, "Man-portable antitank missile system, fire and forget, missiles plus launcher units",
        "land-anti-armour", "1410-01-681-2201", "35620000", 500, "2026-09-01", "2028-06-30"), True),
    (dk(4, "Night vision goggles, binocular, image intensified, helmet mounted",
        "soldier-systems", "5855-22-402-3311", "38600000", 3000, "2026-01-01", "2027-06-30"),
     fi(4, "Helmet-mounted NVG, binocular night vision device with image intensifier tubes (pimeänäkölaite)",
        "soldier-systems", "5855-32-588-0142", "38600000", 8000, "2026-04-01", "2028-03-31"), True),
    (dk(5, "Tactical VHF/UHF software defined radio, handheld, for dismounted soldiers",
        "c2-comms", "5820-22-511-7001", "32510000", 4000, "2026-01-01", "2028-12-31"),
     fi(5, "Handheld soldier radio, SDR, tactical VHF-UHF, squad level",
        "c2-comms", "5820-32-601-3420", "32510000", 6000, "2027-01-01", "2029-12-31"), True),
    (dk(6, "Medium range ground based air defence system, fire unit with radar and launchers (NASAMS class)",
        "air-defence", "1430-22-330-1001", "35620000", 2, "2027-01-01", "2030-12-31"),
     fi(6, "GBAD medium-range air defence fire units: surveillance radar, missile launchers, fire control",
        "air-defence", "1430-32-440-2105", "35620000", 3, "2027-06-01", "2031-12-31"), True),
    (dk(7, "CV90 spare parts: track links and road wheels for CV9035 infantry fighting vehicle",
        "land-manoeuvre", "2530-22-118-4410", "35420000", 2000, "2026-01-01", "2029-12-31"),
     fi(7, "Spares for CV9030 IFV: tracks, track pads, road wheel assemblies",
        "land-manoeuvre", "2530-32-218-0920", "35420000", 3500, "2026-01-01", "2029-12-31"), True),
    (dk(8, "CV90 powerpack spares: engine and transmission overhaul kits",
        "land-manoeuvre", "2815-22-118-5501", "35420000", 40, "2027-01-01", "2029-12-31"),
     fi(8, "Combat vehicle 90 drive train spare parts, diesel engine and gearbox repair kits",
        "land-manoeuvre", "2815-32-218-1133", "35420000", 60, "2027-06-01", "2030-06-30"), True),
    (dk(9, "Coastal patrol boats, approx. 20 m, aluminium hull, for home guard naval service",
        "naval", "1940-22-900-0011", "34521000", 6, "2027-01-01", "2030-12-31"),
     fi(9, "Fast patrol craft for coastal surveillance, about 20 metres, aluminium",
        "naval", "1940-32-910-0201", "34521000", 8, "2028-01-01", "2031-12-31"), True),
    (dk(10, "Influence naval mines, bottom ground mines for Baltic approaches",
         "mine-warfare", "1350-22-777-0031", "35300000", 200, "2026-01-01", "2028-12-31"),
     fi(10, "Sea mines, seabed influence mine with magnetic and acoustic sensors (merimiina)",
         "mine-warfare", "1350-32-660-0412", "35300000", 400, "2026-06-01", "2029-06-30"), True),
    (dk(11, "Fuel trucks, 6x6 tanker, 15 000 litres, for aviation and diesel fuel distribution",
         "logistics", "2320-22-450-1201", "34144000", 30, "2026-01-01", "2027-12-31"),
     fi(11, "Tank truck for fuel supply, all-terrain 6x6 chassis, approx 15000 l",
         "logistics", "2320-32-505-0077", "34144000", 45, "2026-06-01", "2028-06-30"), True),
    (dk(12, "Body armour: ballistic vest with hard plates, NIJ level IV, soldier sizes",
         "soldier-systems", "8470-22-302-8801", "35815100", 10000, "2026-01-01", "2027-12-31"),
     fi(12, "Bullet-proof vest, plate carrier with ballistic protection plates",
         "soldier-systems", "8470-32-420-0561", "35815100", 20000, "2026-03-01", "2028-03-31"), True),
    (dk(13, "Small unmanned aircraft system (UAS), hand launched, for reconnaissance at company level",
         "isr-uas", "1550-22-560-0301", "35613000", 120, "2026-01-01", "2027-12-31"),
     fi(13, "Mini drone for ISR, hand-launched fixed wing UAV with ground control station",
         "isr-uas", "1550-32-610-0088", "35613000", 200, "2026-06-01", "2028-06-30"), True),
    (dk(14, "Satellite communication terminals, manpack, Ku/Ka band, for deployed units",
         "space-satcom", "5895-22-801-0040", "32500000", 80, "2026-01-01", "2028-12-31"),
     fi(14, "Portable SATCOM terminal, manportable Ka-band satellite comms for field headquarters",
         "space-satcom", "5895-32-870-0013", "32500000", 100, "2027-01-01", "2029-12-31"), True),
    (dk(15, "Winter clothing system: insulated jacket and trousers, arctic layer, camouflage",
         "soldier-systems", "8415-22-150-3320", "18220000", 15000, "2026-01-01", "2028-12-31"),
     fi(15, "Cold weather garments, padded winter jacket and trousers for arctic conditions (M05 pattern)",
         "soldier-systems", "8415-32-210-0940", "18220000", 40000, "2026-01-01", "2028-12-31"), True),
    (dk(16, "5.56 mm ammunition, ball, NATO, linked and boxed, for assault rifles and light machine guns",
         "small-arms", "1305-22-222-0556", "35331000", 30000000, "2026-01-01", "2030-12-31"),
     fi(16, "Cartridge 5.56x45mm NATO ball for rifles and LMG, in belts and boxes",
         "small-arms", "1305-32-130-5560", "35331000", 50000000, "2026-01-01", "2030-12-31"), True),
    (dk(17, "Field hospital, deployable Role 2 medical treatment facility, shelters and equipment",
         "medical", "6545-22-900-2200", "33100000", 2, "2027-01-01", "2028-12-31"),
     fi(17, "Deployable Role 2 hospital: modular tents, surgical and medical equipment sets",
         "medical", "6545-32-700-0102", "33100000", 2, "2027-06-01", "2029-06-30"), True),
    (dk(18, "Tactical radio vehicle installation kits, SDR, for armoured vehicles",
         "c2-comms", "5820-22-511-7080", "32510000", 500, "2027-01-01", "2029-12-31"),
     fi(18, "Vehicle-mounted software defined radio with installation kit for armored vehicles",
         "c2-comms", None, "32510000", 700, "2027-01-01", "2029-12-31"), True),
    (dk(19, "Counter-drone system, vehicle mounted, detection radar and jammer against small UAS",
         "air-defence", "5865-22-420-0015", "35700000", 10, "2026-06-01", "2028-06-30"),
     fi(19, "C-UAS vehicle kit: radar detection and RF jamming of small drones",
         "air-defence", None, "35700000", 16, "2027-01-01", "2028-12-31"), True),
    (dk(20, "120 mm mortar ammunition, high explosive bombs",
         "land-fires", "1315-22-610-1200", "35331000", 20000, "2026-01-01", "2028-12-31"),
     fi(20, "Mortar bomb 120mm HE for heavy mortars",
         "land-fires", "1315-32-771-0120", "35331000", 45000, "2026-06-01", "2029-06-30"), True),
    (dk(21, "Combat helmets, ballistic, with NVG mount and rails",
         "soldier-systems", "8470-22-302-8850", "35810000", 12000, "2026-01-01", "2027-12-31"),
     fi(21, "Ballistic combat helmet, with night vision mount",
         "soldier-systems", None, None, 25000, "2026-06-01", "2028-06-30"), True),
    (dk(22, "Diesel generator sets 20 kW, trailer mounted, for field power",
         "logistics", "6115-22-660-0020", "31120000", 150, "2026-01-01", "2028-12-31"),
     fi(22, "Mobile generating set, diesel, 20kW, on trailer, field electricity supply",
         "logistics", "6115-32-744-0310", "31120000", 200, "2027-01-01", "2029-12-31"), True),
    (dk(23, "Sniper rifles .338 Lapua Magnum with optics",
         "small-arms", "1005-22-340-0338", "35320000", 60, "2026-01-01", "2027-12-31"),
     fi(23, "Long range sniper rifle, cal .338 LM, including telescopic sight",
         "small-arms", "1005-32-330-0033", "35320000", 100, "2026-06-01", "2028-06-30"), True),
    (dk(24, "Mine countermeasure unmanned underwater vehicles for route survey and mine hunting",
         "mine-warfare", None, "34500000", 4, "2027-01-01", "2029-12-31"),
     fi(24, "MCM autonomous underwater vehicle (AUV), minehunting sonar, route survey",
         "mine-warfare", "1940-32-910-0700", None, 6, "2027-06-01", "2030-06-30"), True),

    # ---- unrelated, including hard negatives ----
    # same supply class (1315), shared "120 mm": mortar bombs vs tank gun rounds
    (dk(31, "120 mm mortar illumination and smoke bombs",
         "land-fires", "1315-22-610-1290", "35331000", 4000, "2026-01-01", "2028-12-31"),
     fi(31, "Tank ammunition 120mm APFSDS kinetic energy rounds for Leopard 2",
         "land-manoeuvre", "1315-32-771-0455", "35331000", 3000, "2026-01-01", "2028-12-31"), False),
    # same supply class (5855): goggles vs thermal weapon sights
    (dk(32, "Thermal weapon sights, clip-on, for assault rifles",
         "soldier-systems", "5855-22-402-3390", "38600000", 2000, "2026-01-01", "2027-12-31"),
     fi(32, "Laser range finder binoculars for forward observers",
         "land-fires", "5855-32-588-0300", "38600000", 300, "2026-06-01", "2027-12-31"), False),
    # same supply class (1410): anti-tank vs air defence missiles
    (dk(33, "Short range air defence missiles, infrared guided, shoulder launched (MANPADS)",
         "air-defence", "1410-22-330-1500", "35620000", 400, "2026-01-01", "2028-12-31"),
     fi(33, "Heavy anti-tank missiles, vehicle launched, wire-guided, for tank destroyer platoons",
         "land-anti-armour", "1410-32-440-0150", "35620000", 300, "2026-01-01", "2028-12-31"), False),
    # "armour": body armour vs armoured vehicles
    (dk(34, "Armoured personnel carriers, wheeled 8x8, with remote weapon station",
         "land-manoeuvre", "2350-22-118-0800", "35410000", 40, "2026-01-01", "2030-12-31"),
     fi(34, "Soft armour inserts for body armour vests, spare sets",
         "soldier-systems", "8470-32-420-0590", "35815100", 20000, "2026-01-01", "2028-12-31"), False),
    # "fuel": fuel trucks vs fuel bladders
    (dk(35, "Collapsible fuel bladders 50 m3 for forward fuel storage",
         "logistics", "5430-22-450-0050", "44611000", 100, "2026-01-01", "2027-12-31"),
     fi(35, "Fuel tank trailers for helicopters refuelling at forward arming points",
         "logistics", "2330-32-505-0144", "34223000", 20, "2026-06-01", "2028-06-30"), False),
    # "drone": UAS vs counter-UAS
    (dk(36, "Loitering munition, tube launched, for infantry anti-armour use",
         "land-anti-armour", "1410-22-560-0900", "35620000", 500, "2026-01-01", "2027-12-31"),
     fi(36, "Quadcopter drones for training and reconnaissance, commercial off the shelf",
         "isr-uas", "1550-32-610-0200", "35613000", 400, "2026-01-01", "2027-12-31"), False),
    # "mine": naval mines vs anti-vehicle land mines
    (dk(37, "Anti-tank land mines with full width attack fuze",
         "land-anti-armour", "1345-22-700-0010", "35330000", 10000, "2026-01-01", "2028-12-31"),
     fi(37, "Mine hunting sonar upgrades for minehunter vessels",
         "mine-warfare", "5845-32-660-0900", "35500000", 3, "2026-01-01", "2028-12-31"), False),
    # "winter": clothing vs tents
    (dk(38, "Arctic tents, 10-man, with stove, for winter operations",
         "logistics", "8340-22-150-0010", "39522530", 600, "2026-01-01", "2027-12-31"),
     fi(38, "Winter boots, insulated, -40 C, for conscripts",
         "soldier-systems", "8430-32-210-0120", "18830000", 50000, "2026-01-01", "2027-12-31"), False),
    # "satellite": terminals vs imagery
    (dk(39, "Commercial satellite imagery subscription, high resolution optical, for intelligence",
         "isr-space", None, "72300000", 1, "2026-01-01", "2028-12-31"),
     fi(39, "Satellite phone handsets, iridium, for special forces",
         "space-satcom", "5805-32-870-0100", "32250000", 200, "2026-01-01", "2028-12-31"), False),
    # "5.56": ammunition vs rifles
    (dk(40, "5.56 mm assault rifles, short barrel, for special operations forces",
         "small-arms", "1005-22-340-0556", "35320000", 800, "2026-01-01", "2027-12-31"),
     fi(40, "Blank cartridges 7.62 mm for training, belted",
         "small-arms", "1305-32-130-7620", "35331000", 2000000, "2026-01-01", "2027-12-31"), False),
    # "field": field hospital vs field kitchen
    (dk(41, "Field kitchens, trailer mounted, for 250 soldiers",
         "logistics", "7360-22-900-0250", "39221000", 50, "2026-01-01", "2028-12-31"),
     fi(41, "Medical evacuation vehicles, tracked, with stretcher stations",
         "medical", "2350-32-218-0500", "34114000", 20, "2026-01-01", "2028-12-31"), False),
    # "CV90": track spares vs simulators
    (dk(42, "CV90 crew gunnery simulators and instructor stations",
         "training", "6920-22-118-0090", "34151000", 4, "2027-01-01", "2029-12-31"),
     fi(42, "Bridge laying tank, armoured vehicle launched bridge for engineer battalions",
         "land-manoeuvre", "5420-32-218-0600", "35410000", 6, "2027-01-01", "2029-12-31"), False),
    # "radio": tactical radios vs radio batteries
    (dk(43, "Rechargeable lithium-ion batteries and chargers for soldier radios",
         "c2-comms", "6140-22-511-0010", "31440000", 20000, "2026-01-01", "2028-12-31"),
     fi(43, "HF radio stations for long-range communication, vehicle and fixed installations",
         "c2-comms", "5820-32-601-0900", "32510000", 60, "2026-01-01", "2028-12-31"), False),
    # "patrol": patrol boats vs patrol boat outboard engines
    (dk(44, "Outboard engines 300 hp for rigid inflatable boats",
         "naval", "2805-22-900-0300", "34312000", 80, "2027-01-01", "2029-12-31"),
     fi(44, "Offshore patrol vessel, 90 m, with helicopter deck",
         "naval", "1905-32-910-0090", "35510000", 2, "2027-01-01", "2032-12-31"), False),
    # same supply class (8470): helmets vs vests
    (dk(45, "Ballistic eye protection, spectacles and goggles",
         "soldier-systems", "8465-22-302-0020", "35810000", 30000, "2026-01-01", "2027-12-31"),
     fi(45, "Plate carrier vests, modular, without plates",
         "soldier-systems", "8470-32-420-0600", "35815100", 15000, "2026-01-01", "2027-12-31"), False),
    # different domains, same window
    (dk(46, "CBRN detection equipment, handheld chemical agent detectors",
         "cbrn", "6665-22-810-0100", "38430000", 300, "2026-01-01", "2027-12-31"),
     fi(46, "Decontamination systems for vehicles and personnel",
         "cbrn", "4230-32-800-0100", "39713000", 40, "2026-01-01", "2027-12-31"), False),
    (dk(47, "Engineer excavators, armoured, for field fortifications",
         "engineering", "3805-22-700-0100", "43260000", 20, "2026-01-01", "2028-12-31"),
     fi(47, "Military trucks 8x8 heavy load carriers with crane",
         "logistics", "2320-32-505-0200", "34144000", 150, "2026-01-01", "2028-12-31"), False),
    (dk(48, "Maritime surveillance radars for coastal stations",
         "naval", "5840-22-900-0400", "35720000", 10, "2027-01-01", "2029-12-31"),
     fi(48, "Coastal artillery fire control system upgrade",
         "naval", "1220-32-910-0400", "35700000", 4, "2027-01-01", "2029-12-31"), False),
    (dk(49, "Tactical data link terminals Link 16 for fighter aircraft",
         "air", "5895-22-801-0160", "35710000", 30, "2026-01-01", "2028-12-31"),
     fi(49, "Jet fuel JP-8 storage tanks at air bases",
         "air", "5430-32-505-0800", "44611000", 12, "2026-01-01", "2028-12-31"), False),
    (dk(50, "Pistols 9 mm, service sidearm, with holsters",
         "small-arms", "1005-22-340-0009", "35320000", 5000, "2026-01-01", "2027-12-31"),
     fi(50, "Hand grenades, fragmentation, with fuzes",
         "small-arms", "1330-32-130-0100", "35330000", 30000, "2026-01-01", "2027-12-31"), False),
]

ITEMS: list[PlanItem] = [item for a, b, _ in PAIRS for item in (a, b)]
RELATED: set[tuple[str, str]] = {(a.id, b.id) for a, b, related in PAIRS if related}
LABELLED: set[tuple[str, str]] = {(a.id, b.id) for a, b, _ in PAIRS}
