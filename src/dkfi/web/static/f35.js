/* dkfi — helpers the F-35 pages share (window.dkfiF35): DOM and SVG building, JSON requests with readable errors,
 * messages, labels and the banner, number formats, file downloads. Air-gapped: every request goes to this server;
 * the CSRF header comes from csrf.js. */
(function () {
  "use strict";

  const BASE = window.dkfiBasemap || {};
  const SVG_NS = "http://www.w3.org/2000/svg";

  function fill(e, attrs, children, svg) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") { if (svg) e.setAttribute("class", v); else e.className = v; }
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  /** An element: el("td", {class: "x", text: "y"}, child, ...). Attributes false/null/undefined are left out. */
  function el(tag, attrs, ...children) {
    return fill(document.createElement(tag), attrs, children, false);
  }

  /** An SVG element, same calling convention as el(). */
  function svg(tag, attrs, ...children) {
    return fill(document.createElementNS(SVG_NS, tag), attrs, children, true);
  }

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

  /** fetch; throws an Error whose message is the server's detail and whose .status is the HTTP status.
   *  ``as``: "json" (default) or "blob". */
  async function api(path, options) {
    const opts = Object.assign({ method: "GET", as: "json" }, options || {});
    const headers = { Accept: opts.as === "json" ? "application/json" : "*/*" };
    let body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
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

  /** A label chip like the templates' (``lbl cls-...``), raising the page banner to it. */
  function labelChip(lab) {
    if (!lab) return el("span", { class: "lbl", text: "?" });
    raise(lab.classification);
    const rel = lab.releasable_to && lab.releasable_to.length ? ` · REL TO ${lab.releasable_to.join(", ")}` : "";
    return el("span", { class: `lbl cls-${String(lab.classification).toLowerCase().replace(/ /g, "-")}`,
                        title: `owner ${lab.owner_nation || "?"}` }, lab.classification,
              rel ? el("span", { class: "rel", text: rel }) : null);
  }

  /** The sites the user may see, by bare key ({name, nation, kind, label}); best effort (empty on failure). */
  async function sites() {
    const rows = await api("/api/f35/sites").catch(() => []);
    return Object.fromEntries((rows || []).map((s) => [bare(s.key), s]));
  }

  const bare = (key) => String(key).replace(/^[A-Z]{3}:/, "");
  const num = (x, digits) => (x === null || x === undefined || Number.isNaN(Number(x)) ? "–" :
    Number(x).toLocaleString("en-GB", { maximumFractionDigits: digits === undefined ? 1 : digits,
                                        minimumFractionDigits: digits === undefined ? 0 : digits }));
  /** Money as a whole number with thousands separators: 12,575,000 */
  const money = (x) => num(x, 0);
  /** Money short, for axes: 12.6 M, 850 k */
  function moneyShort(x) {
    const a = Math.abs(x);
    if (a >= 1e9) return `${num(x / 1e9, a >= 1e10 ? 0 : 1)} bn`;
    if (a >= 1e6) return `${num(x / 1e6, a >= 1e7 ? 0 : 1)} M`;
    if (a >= 1e3) return `${num(x / 1e3, 0)} k`;
    return num(x, 0);
  }
  /** A fraction as a percentage: 0.9031 -> "90.31 %" */
  const pct = (x, digits) => (x === null || x === undefined ? "–" : `${num(100 * x, digits === undefined ? 2 : digits)} %`);

  /** Save a Blob as a file (object URL, revoked after the click). */
  function download(blob, filename) {
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: filename, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  /** A calendar date "YYYY-MM-DD" as a day number from ``start`` (UTC, no time zone surprises). */
  function dayOf(iso, start) {
    const t = Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10));
    const s = Date.UTC(+start.slice(0, 4), +start.slice(5, 7) - 1, +start.slice(8, 10));
    return Math.round((t - s) / 86400000);
  }

  /** The ISO date ``days`` after ``start``. */
  function dateAfter(start, days) {
    const s = Date.UTC(+start.slice(0, 4), +start.slice(5, 7) - 1, +start.slice(8, 10));
    return new Date(s + days * 86400000).toISOString().slice(0, 10);
  }

  window.dkfiF35 = { el, svg, api, detailText, message, raise, labelChip, sites, bare, num, money, moneyShort,
                     pct, download, dayOf, dateAfter, $: (id) => document.getElementById(id) };
})();
