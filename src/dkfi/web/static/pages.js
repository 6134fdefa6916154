/* dkfi — helpers every domain page shares (window.dkfiPages): DOM and SVG building, JSON requests with readable
 * errors, messages, labels and the banner, number formats, keys, a message kept over a reload.
 * The domains' own helper files (exercises.js, f35.js, acquisition.js) add what only their pages need.
 * Air-gapped: every request goes to this server; the CSRF header comes from csrf.js. */
(function () {
  "use strict";

  const BASE = window.dkfiBasemap || {};
  const SVG_NS = "http://www.w3.org/2000/svg";

  function fill(e, attrs, children, isSvg) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") { if (isSvg) e.setAttribute("class", v); else e.className = v; }
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  /** An element: el("td", {class: "x", text: "y"}, child, ...). Attributes false/null/undefined are left out. */
  const el = (tag, attrs, ...children) => fill(document.createElement(tag), attrs, children, false);
  /** An SVG element, same calling convention as el(). */
  const svg = (tag, attrs, ...children) => fill(document.createElementNS(SVG_NS, tag), attrs, children, true);

  /** The server's "detail" as one line: a string, or FastAPI's list of validation errors ("field: message"). */
  function detailText(body, fallback) {
    const detail = body && body.detail !== undefined ? body.detail : fallback;
    if (Array.isArray(detail)) {
      return detail.map((d) => {
        const where = (d.loc || []).filter((x) => x !== "body").join(".");
        return where ? `${where}: ${d.msg}` : d.msg;
      }).join("; ");
    }
    return String(detail);
  }

  /** fetch + JSON; throws an Error whose message is the server's detail and whose .status is the HTTP status.
   *  options: method; json (an object sent as JSON), text (+ contentType, default text/plain) or body (+ contentType,
   *  default application/octet-stream); as: "json" (default) or "blob" for the answer. */
  async function api(path, options) {
    const opts = Object.assign({ method: "GET", as: "json" }, options || {});
    const headers = { Accept: opts.as === "json" ? "application/json" : "*/*" };
    let body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.text !== undefined) {
      headers["Content-Type"] = opts.contentType || "text/plain";
      body = opts.text;
    } else if (opts.body !== undefined) {
      headers["Content-Type"] = opts.contentType || "application/octet-stream";
      body = opts.body;
    }
    let r;
    try {
      r = await fetch(path, { method: opts.method, headers, body, credentials: "same-origin" });
    } catch (err) {
      const e = new Error(`the server did not answer (${err.message || err})`);
      e.status = 0;
      throw e;
    }
    if (!r.ok) {
      let data = null;
      try { data = await r.json(); } catch (e) { /* not JSON */ }
      const what = r.status === 401 ? "your session has ended: log in again" :
        r.status === 403 ? detailText(data, "not allowed for your role") : detailText(data, r.statusText);
      const err = new Error(what);
      err.status = r.status;
      throw err;
    }
    if (opts.as === "blob") return r.blob();
    try { return await r.json(); } catch (e) { return null; }
  }

  /** Show ``text`` in a message element: kind "done", "refused" (an alert for screen readers) or "" (pending). */
  function message(node, text, kind) {
    if (!node) return;
    node.textContent = text || "";
    node.className = `message ${kind || ""}`.trim();
    node.setAttribute("role", kind === "refused" ? "alert" : "status");
    node.hidden = !text;
  }

  /** The banner shows the highest label on the page, also of what scripts add. */
  function raise(classification) {
    if (BASE.raiseBanner && classification) BASE.raiseBanner(classification);
  }

  /** "RESTRICTED · REL TO DNK, FIN" (basemap.js, which every page loads before this file). */
  const labelText = BASE.labelText;

  /** A label chip like the templates' (``lbl cls-...``), raising the page banner to it. */
  function labelChip(lab) {
    if (!lab) return el("span", { class: "lbl", text: "?" });
    raise(lab.classification);
    const rel = lab.releasable_to && lab.releasable_to.length ? ` · REL TO ${lab.releasable_to.join(", ")}` : "";
    return el("span", { class: `lbl cls-${String(lab.classification).toLowerCase().replace(/ /g, "-")}`,
                        title: `owner ${lab.owner_nation || "?"}` }, lab.classification,
              rel ? el("span", { class: "rel", text: rel }) : null);
  }

  /** A key as URL path segments: each segment between "/" encoded on its own ("|", ":", spaces, "%" included),
   *  for routes that take the key as ``{key:path}``. */
  const pathKey = (key) => String(key).split("/").map(encodeURIComponent).join("/");

  const bare = (key) => String(key).replace(/^[A-Z]{3}:/, "");
  const num = (x, digits) => (x === null || x === undefined || x === "" || Number.isNaN(Number(x)) ? "–" :
    Number(x).toLocaleString("en-GB", { maximumFractionDigits: digits === undefined ? 1 : digits,
                                        minimumFractionDigits: digits === undefined ? 0 : digits }));
  /** Money as a whole number with thousands separators: 12,575,000 */
  const money = (x) => num(x, 0);
  /** Money short, for axes and bars: 12.6 M, 850 k, 2.1 bn */
  function moneyShort(x) {
    const a = Math.abs(x);
    if (a >= 1e9) return `${num(x / 1e9, a >= 1e10 ? 0 : 1)} bn`;
    if (a >= 1e6) return `${num(x / 1e6, a >= 1e7 ? 0 : 1)} M`;
    if (a >= 1e3) return `${num(x / 1e3, 0)} k`;
    return num(x, x !== 0 && a < 10 ? 2 : 0);
  }
  /** A fraction as a percentage: 0.9031 -> "90.3 %" */
  const pct = (x, digits) => (x === null || x === undefined ? "–" : `${num(100 * x, digits === undefined ? 1 : digits)} %`);


  /** A message kept in sessionStorage over a reload: flash(key, value) stores, flash(key) takes it (once). */
  function flash(key, value) {
    try {
      if (value !== undefined) { sessionStorage.setItem(key, JSON.stringify(value)); return value; }
      const v = sessionStorage.getItem(key);
      sessionStorage.removeItem(key);
      return v ? JSON.parse(v) : null;
    } catch (e) { return null; }
  }

  /** The JSON of a <script type="application/json" id=...> the template filled. */
  function data(id) {
    const n = document.getElementById(id);
    try { return n ? JSON.parse(n.textContent) : null; } catch (e) { return null; }
  }

  window.dkfiPages = { el, svg, api, detailText, message, raise, labelText, labelChip, pathKey, bare, num, money,
                       moneyShort, pct, flash, data, $: (id) => document.getElementById(id) };
})();
