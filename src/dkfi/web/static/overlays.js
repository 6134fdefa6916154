/* dkfi — map page: allies' NVG overlays and the NVG export of the view.
 *
 * Lists the overlays the user may see (/api/overlays) under "Overlays" in the legend, a checkbox each; a checked
 * overlay is drawn from /api/overlays/{id}.geojson (areas, lines, points; a click shows its name, symbol code
 * and label). "NVG" downloads /api/export/nvg for the vessels, alerts and assets inside the current view.
 * Air-gapped like the rest of the page: every request goes to this server. Needs app.js (window.dkfi.map).
 */
(function () {
  "use strict";

  const COLOURS = ["#c2255c", "#6741d9", "#0c8599", "#e8590c", "#2b8a3e", "#5f3dc4"];
  const EXPORT_LAYERS = "vessels,alerts,assets";
  const state = { list: [], shown: new Set(), ready: false, error: null };

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function colour(id) { return COLOURS[id % COLOURS.length]; }

  function layerIds(id) { return [`overlay-${id}-fill`, `overlay-${id}-line`, `overlay-${id}-point`]; }

  async function getJSON(path) {
    const r = await fetch(path, { headers: { Accept: "application/json" } });
    if (!r.ok) throw new Error(`${path}: ${r.status}`);
    return r.json();
  }

  async function show(map, ov) {
    const src = `overlay-${ov.id}`;
    if (!map.getSource(src)) {
      const fc = await getJSON(`/api/overlays/${ov.id}.geojson`);
      if (!state.shown.has(ov.id)) return;                  // unchecked while loading
      map.addSource(src, { type: "geojson", data: fc });
    }
    const c = colour(ov.id);
    const [fill, line, point] = layerIds(ov.id);
    const isArea = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
    const isPoint = ["match", ["geometry-type"], ["Point", "MultiPoint"], true, false];
    if (!map.getLayer(fill)) {
      map.addLayer({ id: fill, type: "fill", source: src, filter: isArea,
                     paint: { "fill-color": c, "fill-opacity": 0.15 } });
      map.addLayer({ id: line, type: "line", source: src, filter: ["!", isPoint],
                     paint: { "line-color": c, "line-width": 2, "line-dasharray": [3, 1] } });
      map.addLayer({ id: point, type: "circle", source: src, filter: isPoint,
                     paint: { "circle-color": c, "circle-radius": 6, "circle-stroke-color": "#fff",
                              "circle-stroke-width": 1.5 } });
      for (const layer of [fill, line, point]) {
        map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
        map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
      }
    }
    for (const layer of [fill, line, point]) map.setLayoutProperty(layer, "visibility", "visible");
  }

  function hide(map, ov) {
    for (const layer of layerIds(ov.id)) {
      if (map.getLayer(layer)) map.setLayoutProperty(layer, "visibility", "none");
    }
  }

  // One popup per click: a point before a line before an area, of whichever overlays are shown.
  function onClick(map, e) {
    const layers = [];
    for (const kind of ["point", "line", "fill"]) {
      for (const id of state.shown) {
        const layer = `overlay-${id}-${kind}`;
        if (map.getLayer(layer)) layers.push(layer);
      }
    }
    if (!layers.length) return;
    const hits = map.queryRenderedFeatures(e.point, { layers });
    hits.sort((a, b) => layers.indexOf(a.layer.id) - layers.indexOf(b.layer.id));
    const f = hits[0];
    if (!f) return;
    const ov = state.list.find((o) => f.layer.id.startsWith(`overlay-${o.id}-`));
    if (ov) popup(map, ov, f, e.lngLat);
  }

  function popup(map, ov, f, lngLat) {
    const p = f.properties || {};
    const box = el("div", { class: "overlay-popup" });
    box.appendChild(el("strong", {}, p.name || "(no name)"));
    const dl = el("dl");
    const rows = [["symbol", p.symbol || "none"], ["group", p.group], ["overlay", ov.name], ["label", ov.marking],
                  ["owner", ov.owner_nation]];
    for (const [k, v] of rows) {
      if (!v) continue;
      dl.appendChild(el("dt", {}, k));
      dl.appendChild(el("dd", { "data-field": k }, String(v)));
    }
    box.appendChild(dl);
    new maplibregl.Popup({ closeButton: true }).setLngLat(lngLat).setDOMContent(box).addTo(map);
  }

  function exportView(map) {
    const b = map.getBounds();
    const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
    const bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180),
                  clamp(b.getNorth(), -90, 90)].map((v) => v.toFixed(5)).join(",");
    window.location.href = `/api/export/nvg?layers=${EXPORT_LAYERS}&bbox=${bbox}`;   // an attachment: downloads
  }

  function render(map, section) {
    const list = section.querySelector("#overlay-list");
    list.textContent = "";
    if (!state.list.length) list.appendChild(el("p", { class: "note" }, "No overlays imported."));
    for (const ov of state.list) {
      const label = el("label", { title: `${ov.source_file}: ${ov.features} features, ${ov.marking}` });
      const box = el("input", { type: "checkbox", "data-overlay": String(ov.id) });
      box.checked = state.shown.has(ov.id);
      box.addEventListener("change", () => {
        if (box.checked) {
          state.shown.add(ov.id);
          show(map, ov).catch((err) => { state.error = String(err); box.checked = false; state.shown.delete(ov.id); });
        } else {
          state.shown.delete(ov.id);
          hide(map, ov);
        }
      });
      const swatch = el("span", { class: "ln", style: `border-color:${colour(ov.id)};background:${colour(ov.id)}` });
      label.append(box, swatch, el("span", {}, `${ov.name} (${ov.features})`));
      list.appendChild(label);
    }
  }

  function start(map) {
    const legend = document.getElementById("legend");
    if (!legend) return;
    const section = el("div", { id: "overlays", "aria-label": "overlays" });
    section.appendChild(el("h2", {}, "Overlays"));
    section.appendChild(el("div", { id: "overlay-list" }));
    const button = el("button", { type: "button", id: "export-nvg", title: "the vessels, alerts and assets in view as "
                                                                           + "NATO Vector Graphics" }, "NVG");
    button.addEventListener("click", () => exportView(map));
    section.appendChild(button);
    legend.appendChild(section);
    map.on("click", (e) => onClick(map, e));
    getJSON("/api/overlays")
      .then((data) => { state.list = data.overlays || []; render(map, section); state.ready = true; })
      .catch((err) => { state.error = String(err); state.ready = true; });
  }

  const dkfi = window.dkfi;
  if (!dkfi || !dkfi.map) return;
  dkfi.overlays = state;
  if (dkfi.map.isStyleLoaded()) start(dkfi.map);
  else dkfi.map.once("load", () => start(dkfi.map));
})();
