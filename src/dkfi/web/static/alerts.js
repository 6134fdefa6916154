/* dkfi — the alerts page: the watch's alerts, their explanation and evidence, and the lifecycle actions.
 *
 * Air-gapped: every request goes to this server. Data: /api/alerts (list, filters), /api/alerts/{id}
 * (evidence, changes), POST /api/alerts/{id}/actions, and the server-sent events of /api/stream/alerts.
 * The mini map uses the base style of static/basemap.js. The selected alert is in the URL: /alerts#<id>.
 */
(function () {
  "use strict";

  const BASE = window.dkfiBasemap;
  const $ = (id) => document.getElementById(id);
  const FRESH_MS = 6000;   // how long a live arrival stays highlighted
  // which actions each status allows (as the server's lifecycle; the server decides, this only greys buttons)
  const ALLOWED = {
    acknowledge: ["new"], assign: ["new", "acknowledged", "assigned"], close: ["new", "acknowledged", "assigned"],
    reopen: ["closed"], note: ["new", "acknowledged", "assigned", "closed"],
  };
  const TRACK_COLORS = ["#101820", "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e"];

  const state = { alerts: [], selected: null, detail: null, filters: {} };
  const dkfi = { ready: false, lastError: null, map: null, mapReady: false, state };
  window.dkfiAlerts = dkfi;

  // ---- small helpers ------------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  function utc(t) {   // ISO text or epoch seconds -> "2024-12-25T09:46:40Z"
    if (t === null || t === undefined || t === "") return "";
    const d = typeof t === "number" ? new Date(t * 1000) : new Date(t);
    return Number.isNaN(d.getTime()) ? String(t) : d.toISOString().slice(0, 19) + "Z";
  }

  const words = (s) => String(s || "").replace(/_/g, " ");

  function kindsOf(a) {   // the main kind, then those that corroborate it (named in the factors)
    const out = [a.kind];
    for (const f of a.factors || []) {
      const m = /^corroborated by (.+)$/.exec(f.factor || "");
      if (m) out.push(m[1].replace(/ /g, "_"));
    }
    return out;
  }

  function vesselText(a) {
    return a.vessel_name ? `${a.vessel_name} (${a.mmsi})` : `MMSI ${a.mmsi}`;
  }

  function fmtValue(v) {
    if (v === null || v === undefined) return "–";
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
    if (Array.isArray(v)) return v.map(fmtValue).join(", ");
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }

  function showError(text) {
    $("error").textContent = text;
    $("error").hidden = !text;
  }

  async function api(path, options) {
    const r = await fetch(path, Object.assign({ headers: { Accept: "application/json" } }, options || {}));
    let body = null;
    try { body = await r.json(); } catch (e) { /* not JSON */ }
    if (!r.ok) {
      let detail = body && body.detail !== undefined ? body.detail : r.statusText;
      if (Array.isArray(detail)) {   // validation errors: "field: message"
        detail = detail.map((d) => `${(d.loc || []).filter((x) => x !== "body").join(".")}: ${d.msg}`).join("; ");
      }
      const err = new Error(String(detail));
      err.status = r.status;
      throw err;
    }
    return body;
  }

  function setConn(cls, text) {
    $("status-conn").className = `conn conn-${cls}`;
    $("status-conn").textContent = text;
  }

  // ---- the list -----------------------------------------------------------------------------------
  function readFilters() {
    const f = {};
    for (const k of ["status", "kind", "severity"]) {
      const v = $(`f-${k}`).value;
      if (v) f[k] = v;
    }
    const m = $("f-mmsi").value.trim();
    if (m) f.mmsi = m;
    return f;
  }

  function matches(a, f) {
    return (!f.status || a.status === f.status) && (!f.kind || a.kind === f.kind) &&
      (!f.severity || a.severity === f.severity) && (!f.mmsi || String(a.mmsi) === f.mmsi);
  }

  function row(a) {
    const tr = el("tr", { "data-id": a.id, class: "alert-row", tabindex: "-1" });
    const link = el("a", { href: `#${a.id}`, text: a.vessel_name || `MMSI ${a.mmsi}`,
      "aria-label": `alert ${a.id}: ${vesselText(a)}` });
    const lab = a.label || {};
    const rel = lab.releasable_to && lab.releasable_to.length ? `REL TO ${lab.releasable_to.join(", ")}` : "";
    tr.append(
      el("td", {}, el("span", { class: `sev sev-${a.severity}`, text: a.severity })),
      el("td", { class: "num", text: fmtValue(a.score) }),
      el("td", { text: kindsOf(a).map(words).join(", ") }),
      el("td", { class: "vessel" }, link, a.vessel_name ? el("span", { class: "sub", text: String(a.mmsi) }) : null),
      el("td", { text: a.asset || "–" }),
      el("td", { class: "time", text: utc(a.start) }),
      el("td", {}, el("span", { class: `st st-${a.status}`, text: a.status })),
      el("td", { text: a.assigned_to ? `${a.assigned_to} (${a.assigned_nation})` : "–" }),
      el("td", { class: `lbl cls-${String(lab.classification || "").toLowerCase()}`, title: BASE.labelText(lab) },
        String(lab.classification || "?"), rel ? el("span", { class: "sub", text: rel }) : null),
    );
    if (state.selected === a.id) { tr.classList.add("selected"); tr.setAttribute("aria-selected", "true"); }
    tr.addEventListener("click", (e) => {
      if (e.target.closest("a")) return;   // the link changes the hash itself
      open(a.id);
    });
    return tr;
  }

  function renderList() {
    const body = $("alerts-body");
    body.replaceChildren(...state.alerts.map(row));
    $("alerts-empty").hidden = state.alerts.length > 0;
    $("alerts-total").textContent = String(state.alerts.length);
  }

  function putAlert(a, live) {   // a summary from an action or the live stream: update or add its row
    if (a.label) BASE.raiseBanner(a.label.classification);
    const i = state.alerts.findIndex((x) => x.id === a.id);
    const fits = matches(a, state.filters);
    const body = $("alerts-body");
    const old = body.querySelector(`tr[data-id="${a.id}"]`);
    if (i >= 0) {
      state.alerts[i] = Object.assign({}, state.alerts[i], a);
      const tr = row(state.alerts[i]);
      if (old) old.replaceWith(tr);
      if (live) flash(tr);
    } else if (fits) {
      state.alerts.unshift(a);   // live arrivals go on top
      const tr = row(a);
      body.prepend(tr);
      if (live) flash(tr);
    }
    $("alerts-empty").hidden = state.alerts.length > 0;
    $("alerts-total").textContent = String(state.alerts.length);
  }

  function flash(tr) {
    tr.classList.add("fresh");
    setTimeout(() => tr.classList.remove("fresh"), FRESH_MS);
  }

  async function loadList() {
    const f = readFilters();
    if (f.mmsi && !/^\d{1,9}$/.test(f.mmsi)) {
      $("filter-error").textContent = "MMSI: up to 9 digits";
      return;
    }
    $("filter-error").textContent = "";
    state.filters = f;
    try {
      const q = new URLSearchParams(f).toString();
      state.alerts = await api(`/api/alerts${q ? "?" + q : ""}`);
      for (const a of state.alerts) if (a.label) BASE.raiseBanner(a.label.classification);
      renderList();
      showError("");
    } catch (err) {
      dkfi.lastError = String(err);
      showError(`Could not load alerts: ${err.message}`);
    }
    updateBadge();
  }

  async function updateBadge() {
    const b = $("alerts-badge");
    if (!b) return;
    try {
      const n = (await api("/api/alerts?status=new&limit=5000")).length;
      b.textContent = n ? String(n) : "";
      b.hidden = !n;
      b.setAttribute("aria-label", `${n} new alerts`);
    } catch (e) { /* the badge is a convenience */ }
  }

  // ---- the detail pane ----------------------------------------------------------------------------
  function fact(dl, label, value) {
    if (value === null || value === undefined || value === "") return;
    dl.append(el("dt", { text: label }), el("dd", {}, value));
  }

  function renderDetail(a) {
    state.detail = a;
    const lab = a.label || {};
    BASE.raiseBanner(lab.classification);
    $("detail").dataset.id = String(a.id);
    $("detail").dataset.status = a.status;
    $("d-title").textContent = `Alert ${a.id}: ${vesselText(a)}`;
    $("d-label").textContent = `${BASE.labelText(lab)}${lab.owner_nation ? " · owner " + lab.owner_nation : ""}`;
    $("d-summary").textContent = a.summary;

    const dl = $("d-facts");
    dl.replaceChildren();
    fact(dl, "Severity", el("span", { class: `sev sev-${a.severity}`, text: a.severity }));
    fact(dl, "Score", fmtValue(a.score));
    fact(dl, "Status", el("span", { class: `st st-${a.status}`, text: a.status }));
    fact(dl, "Kind", kindsOf(a).map(words).join(", "));
    fact(dl, "Vessel", vesselText(a));
    fact(dl, "Asset", a.asset);
    fact(dl, "Start", utc(a.start));
    fact(dl, "End", utc(a.end));
    fact(dl, "Assigned", a.assigned_to ? `${a.assigned_to} (${a.assigned_nation})` : null);
    fact(dl, "Outcome", a.outcome ? words(a.outcome) : null);
    fact(dl, "Notes", a.notes ? el("span", { class: "notes", text: a.notes }) : null);

    const fb = $("d-factors").querySelector("tbody");
    fb.replaceChildren(...(a.factors || []).map((f) =>
      el("tr", {}, el("td", { text: f.factor }), el("td", { class: "num", text: `${f.points < 0 ? "" : "+"}${fmtValue(f.points)}` }))));
    $("d-score").textContent = fmtValue(a.score);

    const ev = $("d-evidence");
    ev.replaceChildren();
    (a.evidence || []).forEach((e, i) => {
      const measured = Object.entries(e.measured || {});
      const box = el("article", { class: "evidence", "aria-label": `evidence ${i + 1}: ${words(e.kind)}` },
        el("h4", {}, el("span", { class: "swatch", style: `background:${TRACK_COLORS[i % TRACK_COLORS.length]}` }),
          `${words(e.kind)}${e.asset ? " · " + e.asset : ""}`),
        el("p", { class: "rule", text: e.rule }),
        el("p", { class: "when", text: `${utc(e.start)} – ${utc(e.end)} · ${e.status}` +
          `${e.other_mmsi ? " · other vessel MMSI " + e.other_mmsi : ""} · ${(e.track || []).length} track points` }));
      if (measured.length) {
        box.append(el("table", { class: "measured" },
          el("caption", { class: "sr-only", text: "measured values" }),
          el("tbody", {}, ...measured.map(([k, v]) =>
            el("tr", {}, el("th", { scope: "row", text: words(k) }), el("td", { text: fmtValue(v) }))))));
      }
      ev.append(box);
    });

    const cb = $("d-changes").querySelector("tbody");
    cb.replaceChildren(...(a.changes || []).map((c) => {
      const details = Object.entries(c.detail || {}).map(([k, v]) => `${words(k)}: ${fmtValue(v)}`).join("; ");
      const move = c.from_status === c.to_status ? (c.to_status || "") : `${c.from_status || "–"} → ${c.to_status || "–"}`;
      return el("tr", {}, el("td", { class: "time", text: utc(c.at) }), el("td", { text: c.actor }),
        el("td", { text: c.action }), el("td", { text: move }), el("td", { text: details }));
    }));

    for (const [action, from] of Object.entries(ALLOWED)) {
      const b = $(`a-${action}`);
      b.disabled = !from.includes(a.status);
      b.title = b.disabled ? `not possible while the alert is ${a.status}` : "";
    }
    drawEvidence(a);
  }

  async function open(id) {
    if (String(window.location.hash.slice(1)) !== String(id)) {
      window.location.hash = String(id);   // hashchange brings us back here
      return;
    }
    await select(id);
  }

  async function select(id) {
    if (state.selected !== id) $("detail").scrollTop = 0;
    state.selected = id;
    for (const tr of $("alerts-body").querySelectorAll("tr")) {
      const on = tr.dataset.id === String(id);
      tr.classList.toggle("selected", on);
      if (on) tr.setAttribute("aria-selected", "true"); else tr.removeAttribute("aria-selected");
    }
    $("detail").hidden = false;
    $("d-message").textContent = "";
    $("d-message").className = "message";
    try {
      const a = await api(`/api/alerts/${id}`);
      if (state.selected !== id) return;
      renderDetail(a);
    } catch (err) {
      if (state.selected !== id) return;
      $("d-title").textContent = `Alert ${id}`;
      $("d-summary").textContent = `Could not load: ${err.message}`;
      if (err.status !== 404) dkfi.lastError = String(err);
    }
  }

  function deselect() {
    state.selected = null;
    $("detail").hidden = true;
    history.replaceState(null, "", window.location.pathname + window.location.search);
    for (const tr of $("alerts-body").querySelectorAll("tr.selected")) {
      tr.classList.remove("selected");
      tr.removeAttribute("aria-selected");
    }
  }

  function fromHash() {
    const id = parseInt(window.location.hash.slice(1), 10);
    if (Number.isInteger(id) && id > 0) select(id);
  }

  // ---- the mini map -------------------------------------------------------------------------------
  function ensureMap() {
    if (dkfi.map) return dkfi.map;
    const map = new maplibregl.Map({
      container: "d-map",
      style: BASE.style({ evidence: { type: "geojson", data: BASE.EMPTY } }, [
        {
          id: "asset-highlight", type: "line", source: "assets", filter: ["in", ["get", "name"], ["literal", []]],
          layout: { "line-join": "round", "line-cap": "round" },
          paint: { "line-color": "#ffd400", "line-width": 9, "line-opacity": 0.55 },
        },
        {
          id: "evidence-line", type: "line", source: "evidence", filter: ["==", ["geometry-type"], "LineString"],
          layout: { "line-join": "round", "line-cap": "round" },
          paint: { "line-color": ["get", "color"], "line-width": 2.5 },
        },
        {
          id: "evidence-points", type: "circle", source: "evidence", filter: ["==", ["geometry-type"], "Point"],
          paint: { "circle-radius": 3, "circle-color": ["get", "color"], "circle-stroke-color": "#fff", "circle-stroke-width": 1 },
        },
      ]),
      center: [20, 58],
      zoom: 4,
      maxPitch: 0,
      dragRotate: false,
      attributionControl: { compact: true, customAttribution: BASE.ATTRIBUTION },
    });
    map.touchZoomRotate.disableRotation();
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
    map.addControl(new maplibregl.ScaleControl({ unit: "nautical" }), "bottom-right");
    map.on("error", (e) => {
      dkfi.lastError = e && e.error ? String(e.error.message || e.error) : "map error";
      console.error("map error", dkfi.lastError);
    });
    map.on("load", () => {
      // the compact attribution starts open and would cover half of this small map: fold it
      const attrib = map.getContainer().querySelector(".maplibregl-ctrl-attrib");
      if (attrib) { attrib.classList.remove("maplibregl-compact-show"); attrib.removeAttribute("open"); }
      dkfi.mapReady = true;
      if (state.detail) drawEvidence(state.detail);
    });
    dkfi.map = map;
    return map;
  }

  function evidenceFeatures(a) {
    const feats = [];
    (a.evidence || []).forEach((e, i) => {
      const color = TRACK_COLORS[i % TRACK_COLORS.length];
      const pts = (e.track || []).filter((p) => p && p[1] !== null && p[2] !== null);
      const coords = pts.map((p) => [p[2], p[1]]);
      if (coords.length >= 2) {
        feats.push({ type: "Feature", geometry: { type: "LineString", coordinates: coords },
          properties: { event: i, kind: e.kind, color } });
      }
      for (const p of pts) {
        feats.push({ type: "Feature", geometry: { type: "Point", coordinates: [p[2], p[1]] },
          properties: { event: i, kind: e.kind, color, time: utc(p[0]), sog: p[3], cog: p[4] } });
      }
    });
    return feats;
  }

  function assetsOf(a) {
    const names = new Set();
    if (a.asset) names.add(a.asset);
    for (const e of a.evidence || []) {
      if (e.asset) names.add(e.asset);
      for (const n of (e.measured && e.measured.assets_crossed) || []) names.add(n);
    }
    return Array.from(names);
  }

  function drawEvidence(a) {
    const map = ensureMap();
    map.resize();
    if (!dkfi.mapReady) return;   // the load handler draws it
    const feats = evidenceFeatures(a);
    map.getSource("evidence").setData({ type: "FeatureCollection", features: feats });
    map.setFilter("asset-highlight", ["in", ["get", "name"], ["literal", assetsOf(a)]]);
    if (feats.length) {
      const b = new maplibregl.LngLatBounds();
      for (const f of feats) if (f.geometry.type === "Point") b.extend(f.geometry.coordinates);
      map.fitBounds(b, { padding: 40, maxZoom: 12, duration: 0 });
    }
    dkfi.drawn = a.id;
  }

  // ---- actions ------------------------------------------------------------------------------------
  function message(text, kind) {
    const m = $("d-message");
    m.textContent = text;
    m.className = `message ${kind || ""}`;
    m.setAttribute("role", kind === "refused" ? "alert" : "status");
  }

  async function act(action, extra, form) {
    const a = state.detail;
    if (!a) return;
    const actor = $("actor").dataset.user;   // the logged-in user; the server records it
    const body = Object.assign({ action }, extra);
    for (const k of Object.keys(body)) if (body[k] === "") body[k] = null;
    try {
      const updated = await api(`/api/alerts/${a.id}/actions`, {
        method: "POST", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json", Accept: "application/json" },
      });
      renderDetail(updated);
      const summary = Object.assign({}, updated);
      delete summary.evidence; delete summary.changes;
      putAlert(summary, false);
      if (form) form.reset();
      message(`${words(action)}: done by ${actor}; the alert is ${updated.status}.`, "done");
      updateBadge();
    } catch (err) {
      message(`Refused: ${err.message}`, "refused");
    }
  }

  // ---- the share dialog: classification and releasability of the open alert (owner nation only) -----
  function openShare() {
    const a = state.detail;
    if (!a) return;
    const lab = a.label || {};
    $("share-owner").textContent = lab.owner_nation || "?";
    $("share-classification").value = lab.classification || "RESTRICTED";
    const rel = new Set(lab.releasable_to || []);
    for (const box of document.querySelectorAll('#share-nations input[name="rel"]')) box.checked = rel.has(box.value);
    $("share-downgrade").checked = false;
    $("share-message").textContent = "";
    $("share").showModal();
  }

  async function saveShare(ev) {
    ev.preventDefault();
    const a = state.detail;
    if (!a) return;
    const releasable = [...document.querySelectorAll('#share-nations input[name="rel"]:checked')].map((b) => b.value);
    const body = { classification: $("share-classification").value, releasable_to: releasable,
                   downgrade: $("share-downgrade").checked };
    try {
      const lab = await api(`/api/labels/alert/${a.id}`, {
        method: "PUT", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json", Accept: "application/json" },
      });
      const full = await api(`/api/alerts/${a.id}`);
      renderDetail(full);
      const summary = Object.assign({}, full);
      delete summary.evidence; delete summary.changes;
      putAlert(summary, false);
      $("share").close();
      message(lab.changes && lab.changes.length ? `Label: ${lab.changes.join("; ")}.` : "Label unchanged.", "done");
    } catch (err) {
      $("share-message").textContent = `Refused: ${err.message}`;
      $("share-message").className = "message refused";
    }
  }

  function wireShare() {
    $("d-share").addEventListener("click", openShare);
    $("form-share").addEventListener("submit", saveShare);
    $("share-cancel").addEventListener("click", () => $("share").close());
  }

  function wireActions() {
    wireShare();
    $("a-acknowledge").addEventListener("click", () => act("acknowledge", {}));
    $("a-reopen").addEventListener("click", () => act("reopen", {}));
    $("form-assign").addEventListener("submit", (e) => {
      e.preventDefault();
      act("assign", { unit: $("assign-unit").value.trim(), nation: $("assign-nation").value }, e.target);
    });
    $("form-close").addEventListener("submit", (e) => {
      e.preventDefault();
      act("close", { outcome: $("close-outcome").value, notes: $("close-notes").value.trim() }, e.target);
    });
    $("form-note").addEventListener("submit", (e) => {
      e.preventDefault();
      act("note", { notes: $("note-text").value.trim() }, e.target);
    });
  }

  // ---- live ---------------------------------------------------------------------------------------
  function connect() {
    if (!window.EventSource) { setConn("offline", "no live stream"); return; }
    const es = new EventSource("/api/stream/alerts");
    es.onopen = () => setConn("live", "live");
    es.onerror = () => setConn(es.readyState === EventSource.CLOSED ? "offline" : "connecting",
      es.readyState === EventSource.CLOSED ? "offline" : "reconnecting");
    es.onmessage = (ev) => {
      let a;
      try { a = JSON.parse(ev.data); } catch (e) { return; }
      if (!a || a.id === undefined) return;
      setConn("live", "live");
      putAlert(a, true);
      updateBadge();
      if (state.selected === a.id) select(a.id);   // its findings changed: show them
    };
    dkfi.stream = es;
  }

  // ---- start ----------------------------------------------------------------------------------------
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); loadList(); });
  $("filters").addEventListener("reset", () => setTimeout(loadList, 0));
  for (const id of ["f-status", "f-kind", "f-severity"]) $(id).addEventListener("change", loadList);
  $("d-close").addEventListener("click", deselect);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && state.selected !== null && !e.target.closest("input, select, textarea")) deselect();
  });
  window.addEventListener("hashchange", fromHash);
  wireActions();
  loadList().then(() => {
    fromHash();
    connect();
    dkfi.ready = true;
  });
})();
