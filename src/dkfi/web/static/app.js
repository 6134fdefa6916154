/* dkfi — maritime picture: the map page.
 *
 * Air-gapped: every request goes to this server. The style has no glyphs, sprites or tiles; vessel icons are
 * drawn here on a canvas. Data: /api/geo/{land,assets}, /api/vessels, /api/vessels/{mmsi}[/track], the
 * server-sent events of /api/stream/positions, and the open alerts (/api/geo/alerts, /api/stream/alerts).
 * The base style is shared with the alerts page (static/basemap.js).
 */
(function () {
  "use strict";

  const BASE = window.dkfiBasemap;          // static/basemap.js: the offline base style shared with the alerts page
  const AREA = BASE.AREA;                   // the region the picture covers (North Sea to Gulf of Bothnia)
  const AREA_BBOX = AREA.join(",");
  const REFRESH_MS = 30000;                 // full reload of latest positions
  const FLUSH_MS = 500;                     // at most two setData calls a second for live updates
  const TRACK_HOURS = 24;                   // track shown for a selected vessel: the last day of its positions
  const ICON_PX = 2;                        // icons are drawn at twice their size for sharp rendering

  const $ = (id) => document.getElementById(id);

  // ---- AIS texts (ITU-R M.1371) -------------------------------------------------------------------
  const NAV_STATUS = {
    0: "Under way using engine", 1: "At anchor", 2: "Not under command", 3: "Restricted manoeuvrability",
    4: "Constrained by her draught", 5: "Moored", 6: "Aground", 7: "Engaged in fishing",
    8: "Under way sailing", 9: "Reserved (HSC)", 10: "Reserved (WIG)", 11: "Towing astern",
    12: "Pushing ahead or towing alongside", 13: "Reserved", 14: "AIS-SART active", 15: "Not defined",
  };
  const SHIP_TYPE_SPECIFIC = {
    30: "Fishing", 31: "Towing", 32: "Towing (large)", 33: "Dredging or underwater operations",
    34: "Diving operations", 35: "Military operations", 36: "Sailing", 37: "Pleasure craft",
    50: "Pilot vessel", 51: "Search and rescue vessel", 52: "Tug", 53: "Port tender",
    54: "Anti-pollution equipment", 55: "Law enforcement", 58: "Medical transport",
    59: "Noncombatant ship (RR Res. 18)",
  };
  const SHIP_TYPE_DECADE = { 2: "Wing in ground", 4: "High-speed craft", 6: "Passenger", 7: "Cargo", 8: "Tanker", 9: "Other type" };
  const STATION_TEXT = { A: "AIS class A", B: "AIS class B", BASE: "Base station", ATON: "Aid to navigation", SAR: "SAR aircraft", UNKNOWN: "Unknown" };

  function navStatusText(code) {
    if (code === null || code === undefined) return null;
    return NAV_STATUS[code] || `Unknown (${code})`;
  }

  function shipTypeText(code) {
    if (!code) return null;
    if (SHIP_TYPE_SPECIFIC[code]) return SHIP_TYPE_SPECIFIC[code];
    const base = SHIP_TYPE_DECADE[Math.floor(code / 10)];
    if (!base) return `Reserved (${code})`;
    const hazard = { 1: ", hazardous category A", 2: ", hazardous category B", 3: ", hazardous category C", 4: ", hazardous category D" }[code % 10];
    return base + (hazard || "");
  }

  // ---- vessel categories and icons ----------------------------------------------------------------
  const CATEGORIES = [
    { id: "cargo", label: "Cargo", color: "#2ca02c" },
    { id: "tanker", label: "Tanker", color: "#d62728" },
    { id: "passenger", label: "Passenger", color: "#1f77b4" },
    { id: "fishing", label: "Fishing", color: "#ff7f0e" },
    { id: "tug", label: "Tug / towing", color: "#17becf" },
    { id: "hsc", label: "High speed", color: "#e377c2" },
    { id: "other", label: "Other/unknown", color: "#8c8c8c" },
  ];

  function category(shipType) {
    const t = shipType || 0;
    if (t >= 70 && t <= 79) return "cargo";
    if (t >= 80 && t <= 89) return "tanker";
    if (t >= 60 && t <= 69) return "passenger";
    if (t === 30) return "fishing";
    if (t === 31 || t === 32 || t === 52) return "tug";
    if (t >= 40 && t <= 49) return "hsc";
    return "other";
  }

  function canvasImage(size, draw) {
    const px = size * ICON_PX;
    const c = document.createElement("canvas");
    c.width = px; c.height = px;
    const g = c.getContext("2d");
    g.scale(ICON_PX, ICON_PX);
    draw(g, size);
    return { width: px, height: px, data: new Uint8Array(g.getImageData(0, 0, px, px).data.buffer) };
  }

  function arrowIcon(color) {   // points north; icon-rotate turns it to the course
    return canvasImage(20, (g) => {
      g.beginPath();
      g.moveTo(10, 1.5); g.lineTo(16.5, 18); g.lineTo(10, 14); g.lineTo(3.5, 18); g.closePath();
      g.fillStyle = color; g.fill();
      g.lineWidth = 1.2; g.strokeStyle = "#101820"; g.lineJoin = "round"; g.stroke();
    });
  }

  function dotIcon(color) {    // stationary, or course unknown
    return canvasImage(12, (g) => {
      g.beginPath(); g.arc(6, 6, 4.2, 0, 2 * Math.PI);
      g.fillStyle = color; g.fill();
      g.lineWidth = 1.2; g.strokeStyle = "#101820"; g.stroke();
    });
  }

  function baseIcon() {
    return canvasImage(12, (g) => {
      g.fillStyle = "#1b3a5c"; g.fillRect(2, 2, 8, 8);
      g.lineWidth = 1.2; g.strokeStyle = "#ffffff"; g.strokeRect(2, 2, 8, 8);
    });
  }

  function atonIcon() {
    return canvasImage(12, (g) => {
      g.beginPath(); g.moveTo(6, 0.8); g.lineTo(11.2, 6); g.lineTo(6, 11.2); g.lineTo(0.8, 6); g.closePath();
      g.fillStyle = "#e3007d"; g.fill();
      g.lineWidth = 1; g.strokeStyle = "#101820"; g.stroke();
    });
  }

  function addIcons(map) {
    for (const c of CATEGORIES) {
      map.addImage(`v-${c.id}-arrow`, arrowIcon(c.color), { pixelRatio: ICON_PX });
      map.addImage(`v-${c.id}-dot`, dotIcon(c.color), { pixelRatio: ICON_PX });
    }
    map.addImage("st-base", baseIcon(), { pixelRatio: ICON_PX });
    map.addImage("st-aton", atonIcon(), { pixelRatio: ICON_PX });
  }

  // ---- vessel features ----------------------------------------------------------------------------
  const vessels = new Map();   // mmsi -> GeoJSON Feature (with derived _icon, _rot, _kind)

  function courseOf(p) {
    if (p.cog !== null && p.cog !== undefined && p.cog < 360) return p.cog;
    if (p.heading !== null && p.heading !== undefined && p.heading < 360) return p.heading;
    return null;
  }

  function decorate(f) {
    const p = f.properties;
    if (p.station === "BASE" || p.station === "ATON") {
      p._kind = p.station.toLowerCase();
      p._icon = `st-${p._kind}`;
      p._rot = 0;
      return f;
    }
    const course = courseOf(p);
    const moving = course !== null && p.sog !== null && p.sog !== undefined && p.sog >= 0.5;
    p._kind = "vessel";
    p._icon = `v-${category(p.ship_type)}-${moving ? "arrow" : "dot"}`;
    p._rot = moving ? course : 0;
    return f;
  }

  function isNewer(a, b) {   // ISO 8601 times; an unknown old time is always replaced
    if (!b) return true;
    if (!a) return false;
    const ta = Date.parse(a), tb = Date.parse(b);
    return Number.isNaN(tb) || (!Number.isNaN(ta) && ta >= tb);
  }

  function putFeature(f) {
    const old = vessels.get(f.id);
    if (old && !isNewer(f.properties.time, old.properties.time)) return;
    vessels.set(f.id, decorate(f));
  }

  function mergeUpdate(u) {
    if (u.lat === null || u.lon === null || u.lat === undefined || u.lon === undefined) return;
    const old = vessels.get(u.mmsi);
    if (old && !isNewer(u.time, old.properties.time)) return;
    const props = Object.assign({}, old ? old.properties : {});
    for (const k of ["mmsi", "name", "ship_type", "sog", "cog", "heading", "nav_status", "time", "station"]) {
      const v = u[k];
      // the live stream may not know the static data yet: keep what we had
      if ((k === "name" || k === "ship_type") && (v === null || v === undefined)) continue;
      props[k] = v === undefined ? null : v;
    }
    vessels.set(u.mmsi, decorate({ type: "Feature", id: u.mmsi, geometry: { type: "Point", coordinates: [u.lon, u.lat] }, properties: props }));
  }

  function vesselCount() {
    let n = 0;
    for (const f of vessels.values()) if (f.properties._kind === "vessel") n++;
    return n;
  }

  // ---- status line --------------------------------------------------------------------------------
  let lastUpdate = null;

  function setConn(state, text) {
    const el = $("status-conn");
    el.className = `conn conn-${state}`;
    el.textContent = text;
  }

  function renderStatus() {
    $("status-count").textContent = vesselCount().toLocaleString("en");
    if (lastUpdate) $("status-time").textContent = `${lastUpdate.toISOString().slice(11, 19)} UTC`;
  }

  function showError(text) {
    const el = $("error");
    el.textContent = text;
    el.hidden = !text;
  }

  // ---- map ----------------------------------------------------------------------------------------
  const EMPTY = { type: "FeatureCollection", features: [] };

  const style = BASE.style({
    track: { type: "geojson", data: EMPTY },
    vessels: { type: "geojson", data: EMPTY },
    alerts: { type: "geojson", data: EMPTY },
  }, [
    {
      id: "track-line", type: "line", source: "track", filter: ["==", ["geometry-type"], "LineString"],
      layout: { "line-join": "round", "line-cap": "round" },
      paint: { "line-color": "#101820", "line-width": 2, "line-opacity": 0.8 },
    },
    {
      id: "track-points", type: "circle", source: "track", filter: ["==", ["geometry-type"], "Point"], minzoom: 9,
      paint: { "circle-radius": 2, "circle-color": "#101820" },
    },
    {
      id: "selected", type: "circle", source: "vessels", filter: ["==", ["id"], -1],
      paint: { "circle-radius": 13, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#101820", "circle-stroke-width": 2 },
    },
    stationLayer("base"),
    stationLayer("aton"),
    {
      id: "vessels", type: "symbol", source: "vessels", filter: ["==", ["get", "_kind"], "vessel"],
      layout: {
        "icon-image": ["get", "_icon"],
        "icon-rotate": ["get", "_rot"],
        "icon-rotation-alignment": "map",
        "icon-allow-overlap": true,
        "icon-ignore-placement": true,
        "icon-size": ["interpolate", ["linear"], ["zoom"], 4, 0.7, 9, 1, 13, 1.3],
        "symbol-sort-key": ["case", ["==", ["get", "_icon"], "v-other-dot"], 0, 1],
      },
    },
    ...alertLayers(),
  ]);

  function stationLayer(kind) {
    return {
      id: `stations-${kind}`, type: "symbol", source: "vessels", filter: ["==", ["get", "_kind"], kind],
      layout: { "icon-image": `st-${kind}`, "icon-allow-overlap": true, "icon-ignore-placement": true },
    };
  }

  const map = new maplibregl.Map({
    container: "map",
    style,
    center: [15.5, 57.5],
    zoom: 5,
    minZoom: 3,
    maxZoom: 16,
    maxPitch: 0,
    maxBounds: [[AREA[0], AREA[1]], [AREA[2], AREA[3]]],   // inside the packaged land layer's extent
    dragRotate: false,
    attributionControl: { compact: true, customAttribution: BASE.ATTRIBUTION },
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "nautical" }), "bottom-right");

  const dkfi = { map, vesselCount, ready: false, lastError: null, vessel: (mmsi) => vessels.get(mmsi) || null };
  window.dkfi = dkfi;

  // ---- loading and live updates -------------------------------------------------------------------
  let dirty = false;
  let flushTimer = null;

  function flush() {
    flushTimer = null;
    if (!dirty) return;
    dirty = false;
    const src = map.getSource("vessels");
    if (src) src.setData({ type: "FeatureCollection", features: Array.from(vessels.values()) });
    renderStatus();
  }

  function scheduleFlush() {
    dirty = true;
    if (flushTimer === null) flushTimer = setTimeout(flush, FLUSH_MS);
  }

  async function getJSON(path) {
    const r = await fetch(path, { headers: { Accept: "application/json" } });
    if (!r.ok) {
      let detail = r.statusText;
      try { detail = (await r.json()).detail || detail; } catch (e) { /* not JSON */ }
      throw new Error(`${path}: ${r.status} ${detail}`);
    }
    return r.json();
  }

  async function loadVessels() {
    try {
      const fc = await getJSON(`/api/vessels?bbox=${AREA_BBOX}`);
      for (const f of fc.features) putFeature(f);
      lastUpdate = new Date();
      showError("");
      dirty = true;
      flush();
      if (!dkfi.ready) map.once("idle", () => { dkfi.ready = true; });
    } catch (err) {
      dkfi.lastError = String(err);
      showError(`Could not load vessels: ${err.message}`);
    }
  }

  function connectStream() {
    if (!window.EventSource) { setConn("offline", "no live stream"); return; }
    const es = new EventSource("/api/stream/positions");
    es.onopen = () => setConn("live", "live");
    es.onerror = () => setConn(es.readyState === EventSource.CLOSED ? "offline" : "connecting",
      es.readyState === EventSource.CLOSED ? "offline" : "reconnecting");
    es.onmessage = (ev) => {
      let updates;
      try { updates = JSON.parse(ev.data); } catch (e) { return; }
      if (!Array.isArray(updates)) updates = [updates];
      for (const u of updates) mergeUpdate(u);
      lastUpdate = new Date();
      setConn("live", "live");
      scheduleFlush();
    };
    dkfi.stream = es;
  }

  // ---- selection panel ----------------------------------------------------------------------------
  let selected = null;

  function fmt(v, unit, digits) {
    if (v === null || v === undefined || v === "") return null;
    if (typeof v === "number" && digits !== undefined) v = v.toFixed(digits);
    return unit ? `${v} ${unit}` : String(v);
  }

  function fmtTime(t) {   // "2013-11-12T12:04:50.869Z" -> "2013-11-12 12:04:50 UTC"
    if (!t) return null;
    const m = String(t).match(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/);
    return m ? `${m[1]} ${m[2]} UTC` : String(t);
  }

  function row(dl, label, value) {
    if (value === null || value === undefined) return;
    const dt = document.createElement("dt"); dt.textContent = label;
    const dd = document.createElement("dd"); dd.textContent = value;
    dl.append(dt, dd);
  }

  function renderPanel(v) {
    $("panel-title").textContent = v.name || `MMSI ${v.mmsi}`;
    const lab = v.label;
    $("panel-label").textContent = lab
      ? `${lab.classification}${lab.releasable_to && lab.releasable_to.length ? " · REL " + lab.releasable_to.join(", ") : ""} · owner ${lab.owner_nation}`
      : "";
    const dl = $("panel-body");
    dl.replaceChildren();
    row(dl, "MMSI", String(v.mmsi));
    row(dl, "Name", v.name);
    row(dl, "IMO", v.imo ? String(v.imo) : null);
    row(dl, "Call sign", v.callsign);
    row(dl, "Station", STATION_TEXT[v.station] || v.station);
    row(dl, "Ship type", v.ship_type ? `${v.ship_type_text || shipTypeText(v.ship_type)} (${v.ship_type})` : null);
    row(dl, "Nav status", v.nav_status !== null && v.nav_status !== undefined ? (v.nav_status_text || navStatusText(v.nav_status)) : null);
    row(dl, "Speed", fmt(v.sog, "kn", 1));
    row(dl, "Course", fmt(v.cog, "°", 1));
    row(dl, "Heading", v.heading !== null && v.heading !== undefined && v.heading < 360 ? `${v.heading} °` : null);
    row(dl, "Rate of turn", fmt(v.rot, "°/min", 1));
    row(dl, "Position", v.lat !== null && v.lat !== undefined ? `${v.lat.toFixed(5)}, ${v.lon.toFixed(5)}` : null);
    row(dl, "Time", fmtTime(v.time));
    row(dl, "Length × width", v.length ? `${v.length} × ${v.width || "?"} m` : null);
    row(dl, "Draught", fmt(v.draught, "m", 1));
    row(dl, "Destination", v.destination);
    row(dl, "ETA", v.eta);
    row(dl, "Source", v.source);
  }

  async function select(mmsi) {
    selected = mmsi;
    map.setFilter("selected", ["==", ["id"], mmsi]);
    const panel = $("panel");
    panel.hidden = false;
    panel.dataset.mmsi = String(mmsi);
    $("panel-title").textContent = `MMSI ${mmsi}`;
    $("panel-body").replaceChildren();
    $("panel-track").textContent = "Loading…";
    try {
      const v = await getJSON(`/api/vessels/${mmsi}`);
      if (selected !== mmsi) return;
      renderPanel(v);
      let q = "";
      if (v.time) {
        const end = new Date(v.time);
        const start = new Date(end.getTime() - TRACK_HOURS * 3600 * 1000);
        q = `?start=${encodeURIComponent(start.toISOString())}&end=${encodeURIComponent(end.toISOString())}`;
      }
      const track = await getJSON(`/api/vessels/${mmsi}/track${q}`);
      if (selected !== mmsi) return;
      map.getSource("track").setData(track);
      const n = track.features.filter((f) => f.geometry.type === "Point").length;
      $("panel-track").textContent = n ? `Track: ${n} positions in the last ${TRACK_HOURS} h of data.` : "No track.";
    } catch (err) {
      if (selected === mmsi) $("panel-track").textContent = `Could not load: ${err.message}`;
    }
  }

  function deselect() {
    selected = null;
    $("panel").hidden = true;
    delete $("panel").dataset.mmsi;
    map.setFilter("selected", ["==", ["id"], -1]);
    map.getSource("track").setData(EMPTY);
  }

  dkfi.select = select;
  $("panel-close").addEventListener("click", deselect);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && selected !== null) deselect(); });

  // ---- legend and toggles -------------------------------------------------------------------------
  function buildLegend() {
    const ul = $("legend-vessels");
    for (const c of CATEGORIES) {
      const li = document.createElement("li");
      const sw = document.createElement("span");
      sw.className = "sw"; sw.style.background = c.color;
      li.append(sw, document.createTextNode(c.label));
      ul.append(li);
    }
    const toggles = {
      "toggle-base": ["stations-base"], "toggle-aton": ["stations-aton"],
      "toggle-cable": ["assets-cable"], "toggle-pipeline": ["assets-pipeline"], "toggle-power": ["assets-power"],
      "toggle-alerts": ["alerts"],
    };
    for (const [id, layers] of Object.entries(toggles)) {
      $(id).addEventListener("change", (e) => {
        for (const l of layers) map.setLayoutProperty(l, "visibility", e.target.checked ? "visible" : "none");
      });
    }
  }

  // ---- asset popups (HTML, so no glyphs needed) ---------------------------------------------------------
  const ASSET_LAYERS = ["assets-cable", "assets-pipeline", "assets-power"];
  const ASSET_KIND = { cable: "Telecom cable", pipeline: "Pipeline", power: "Power link (HVDC)" };
  const assetPopup = new maplibregl.Popup({ closeButton: true, maxWidth: "280px" });

  function showAsset(e) {
    if (map.queryRenderedFeatures(e.point, { layers: CLICKABLE.concat(["alerts"]) }).length) return;   // a vessel or alert wins
    const f = e.features && e.features[0];
    if (!f) return;
    const p = f.properties;
    const div = document.createElement("div");
    div.className = "asset-popup";
    const h = document.createElement("strong"); h.textContent = p.name;
    const k = document.createElement("div"); k.textContent = [ASSET_KIND[p.kind] || p.kind, p.detail].filter(Boolean).join(" · ");
    const s = document.createElement("div"); s.className = "src"; s.textContent = p.source || "";
    div.append(h, k, s);
    assetPopup.setLngLat(e.lngLat).setDOMContent(div).addTo(map);
  }

  // ---- alerts: open alerts as markers, a badge of new ones, a toast for each new alert ------------
  const ALERT_STATUSES = "new,acknowledged,assigned";
  const TOAST_MS = 12000;
  const knownAlerts = new Set();   // ids already on the map or announced
  let alertTimer = null;

  function alertLayers() {   // drawn above the vessels: an alert is what the watch wants seen first
    const SEVERITY_COLOR = ["match", ["get", "severity"],
      "critical", "#b00020", "high", "#e4572e", "medium", "#f2a541", "#6c7a86"];
    return [{
      id: "alerts", type: "circle", source: "alerts",
      paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 4, 6, 10, 11],
        "circle-color": SEVERITY_COLOR,
        "circle-opacity": 0.4,
        "circle-stroke-color": SEVERITY_COLOR,
        "circle-stroke-width": 3,
      },
    }];
  }

  function setBadge(n) {
    const b = $("alerts-badge");
    if (!b) return;
    b.textContent = n ? String(n) : "";
    b.hidden = !n;
    b.setAttribute("aria-label", `${n} new alerts`);
  }

  async function loadAlerts() {
    try {
      const fc = await getJSON(`/api/geo/alerts?status=${ALERT_STATUSES}`);
      for (const f of fc.features) {
        knownAlerts.add(f.properties.id);
        BASE.raiseBanner(f.properties.classification);
      }
      const src = map.getSource("alerts");
      if (src) src.setData(fc);
      $("alerts-count").textContent = String(fc.features.length);
      setBadge(fc.features.filter((f) => f.properties.status === "new").length);
      dkfi.alertCount = fc.features.length;
    } catch (err) {
      dkfi.lastError = String(err);
      showError(`Could not load alerts: ${err.message}`);
    }
  }

  function scheduleAlerts() {
    if (alertTimer === null) alertTimer = setTimeout(() => { alertTimer = null; loadAlerts(); }, 1000);
  }

  function toast(a) {
    const box = $("toasts");
    const el = document.createElement("a");
    el.className = `toast toast-${a.severity}`;
    el.href = `/alerts#${a.id}`;
    const h = document.createElement("strong");
    h.textContent = `New ${a.severity} alert · ${String(a.kind || "").replace(/_/g, " ")}`;
    const t = document.createElement("span");
    t.textContent = a.summary || `MMSI ${a.mmsi}`;
    const lab = document.createElement("span");
    lab.className = "toast-label";
    lab.textContent = BASE.labelText(a.label);
    el.append(h, t, lab);
    box.prepend(el);
    while (box.children.length > 3) box.lastElementChild.remove();
    setTimeout(() => el.remove(), TOAST_MS);
  }

  function connectAlerts() {
    if (!window.EventSource) return;
    const es = new EventSource("/api/stream/alerts");
    es.onmessage = (ev) => {
      let a;
      try { a = JSON.parse(ev.data); } catch (e) { return; }
      if (!a || a.id === undefined) return;
      if (a.label) BASE.raiseBanner(a.label.classification);
      if (!knownAlerts.has(a.id) && a.status === "new") toast(a);
      knownAlerts.add(a.id);
      scheduleAlerts();
    };
    dkfi.alertStream = es;
  }

  function openAlert(e) {
    const f = e.features && e.features[0];
    if (f) window.location.href = `/alerts#${f.properties.id}`;
  }

  // ---- start ----------------------------------------------------------------------------------------
  const CLICKABLE = ["vessels", "stations-base", "stations-aton"];

  map.on("load", () => {
    addIcons(map);
    buildLegend();
    for (const layer of CLICKABLE) {
      map.on("click", layer, (e) => {
        if (map.queryRenderedFeatures(e.point, { layers: ["alerts"] }).length) return;   // an alert wins
        const f = e.features && e.features[0];
        if (f) select(f.properties.mmsi);
      });
      map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
      map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
    }
    for (const layer of ASSET_LAYERS) {
      map.on("click", layer, showAsset);
      map.on("mouseenter", layer, () => { if (!map.getCanvas().style.cursor) map.getCanvas().style.cursor = "help"; });
      map.on("mouseleave", layer, () => { if (map.getCanvas().style.cursor === "help") map.getCanvas().style.cursor = ""; });
    }
    map.on("click", "alerts", openAlert);
    map.on("mouseenter", "alerts", () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", "alerts", () => { map.getCanvas().style.cursor = ""; });
    loadAlerts().then(connectAlerts);
    loadVessels().then(connectStream);
    setInterval(loadVessels, REFRESH_MS);
    setInterval(loadAlerts, REFRESH_MS);
  });

  map.on("error", (e) => {
    dkfi.lastError = e && e.error ? String(e.error.message || e.error) : "map error";
    console.error("map error", dkfi.lastError);
  });
})();
