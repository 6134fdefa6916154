/* dkfi — what the map page (app.js) and the alerts page (alerts.js) share: the offline base map style
 * (sea, land, coast and the seabed asset layers from /api/geo/{land,assets}), the map's attribution and
 * the classification banner, which only ever goes up to the highest label of the records on the page.
 *
 * Air-gapped: no glyphs, sprites or tiles; every request goes to this server.
 */
(function () {
  "use strict";

  const abs = (path) => new URL(path, window.location.href).href;
  const EMPTY = { type: "FeatureCollection", features: [] };

  // the region the picture covers (North Sea to Gulf of Bothnia), inside the packaged land layer's extent
  const AREA = [-10, 48, 40, 72];

  const ATTRIBUTION = "Natural Earth · TeleGeography (CC BY-NC-SA) · Global Energy Monitor (CC BY 4.0) · " +
    "© OpenStreetMap contributors (ODbL) · ENTSO-E/GridKit (schematic) · AIS: Danish Maritime Authority";

  const ASSET_COLORS = { cable: "#8e44ad", pipeline: "#7f5539", power: "#c99700" };

  function baseLayers() {
    return [
      { id: "sea", type: "background", paint: { "background-color": "#cfe2ec" } },
      { id: "land", type: "fill", source: "land", paint: { "fill-color": "#f1ede3", "fill-outline-color": "#a39e8e" } },
      { id: "coast", type: "line", source: "land", paint: { "line-color": "#a39e8e", "line-width": 0.6 } },
      {
        id: "assets-cable", type: "line", source: "assets", filter: ["==", ["get", "kind"], "cable"],
        layout: { "line-join": "round", "line-cap": "round" },
        paint: { "line-color": ASSET_COLORS.cable, "line-width": ["interpolate", ["linear"], ["zoom"], 4, 1, 10, 2.5], "line-opacity": 0.75 },
      },
      {
        id: "assets-pipeline", type: "line", source: "assets", filter: ["==", ["get", "kind"], "pipeline"],
        layout: { "line-join": "round", "line-cap": "round" },
        paint: { "line-color": ASSET_COLORS.pipeline, "line-width": ["interpolate", ["linear"], ["zoom"], 4, 1.5, 10, 3.5], "line-opacity": 0.85 },
      },
      {
        id: "assets-power", type: "line", source: "assets", filter: ["==", ["get", "kind"], "power"],
        layout: { "line-join": "round" },
        paint: { "line-color": ASSET_COLORS.power, "line-width": ["interpolate", ["linear"], ["zoom"], 4, 1.5, 10, 3.5], "line-dasharray": [3, 2] },
      },
    ];
  }

  /** The offline style: base sources and layers, then the page's own ``sources`` and ``layers`` on top. */
  function style(sources, layers) {
    return {
      version: 8,
      name: "dkfi offline",
      sources: Object.assign({
        land: { type: "geojson", data: abs("/api/geo/land"), tolerance: 0.3 },
        assets: { type: "geojson", data: abs("/api/geo/assets") },
      }, sources || {}),
      layers: baseLayers().concat(layers || []),
    };
  }

  // ---- the classification banner ------------------------------------------------------------------
  const LEVELS = ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET"];

  function level(name) {
    const i = LEVELS.indexOf(String(name || "").trim().toUpperCase().replace(/_/g, " "));
    return i < 0 ? LEVELS.length : i;   // unknown: treat as above everything we know
  }

  /** Raise the page banner to ``classification`` if that is higher than what it shows; never lower it. */
  function raiseBanner(classification) {
    const el = document.querySelector(".classification");
    if (!el || !classification) return;
    const name = String(classification).trim().toUpperCase();
    if (level(name) <= level(el.textContent)) return;
    el.textContent = name;
    el.className = `classification cls-${name.toLowerCase().replace(/[ _]/g, "-")}`;
  }

  /** "RESTRICTED · REL TO DNK, FIN" from a label object of the API. */
  function labelText(lab) {
    if (!lab) return "";
    const rel = lab.releasable_to && lab.releasable_to.length ? ` · REL TO ${lab.releasable_to.join(", ")}` : "";
    return `${lab.classification}${rel}`;
  }

  window.dkfiBasemap = { abs, EMPTY, AREA, ATTRIBUTION, ASSET_COLORS, style, level, raiseBanner, labelText };
})();
