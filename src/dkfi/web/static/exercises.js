/* dkfi — helpers the exercises pages share (window.dkfiEx): DOM building, JSON requests with readable errors,
 * messages, labels. Air-gapped: every request goes to this server; the CSRF header comes from csrf.js. */
(function () {
  "use strict";

  const BASE = window.dkfiBasemap || {};

  /** An element: el("td", {class: "x", text: "y"}, child, ...). Attributes false/null/undefined are left out. */
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

  /** fetch + JSON; throws an Error whose message is the server's detail and whose .status is the HTTP status. */
  async function api(path, options) {
    const opts = Object.assign({ method: "GET" }, options || {});
    const headers = { Accept: "application/json" };
    let body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.text !== undefined) {
      headers["Content-Type"] = opts.contentType || "text/plain";
      body = opts.text;
    }
    let r;
    try {
      r = await fetch(path, { method: opts.method, headers, body, credentials: "same-origin" });
    } catch (err) {
      const e = new Error(`the server did not answer (${err.message || err})`);
      e.status = 0;
      throw e;
    }
    let data = null;
    try { data = await r.json(); } catch (e) { /* not JSON */ }
    if (!r.ok) {
      const what = r.status === 401 ? "your session has ended: log in again" :
        r.status === 403 ? detailText(data, "not allowed for your role") : detailText(data, r.statusText);
      const err = new Error(what);
      err.status = r.status;
      throw err;
    }
    return data;
  }

  /** Show ``text`` in a message element: kind "done", "refused" (an alert for screen readers) or "" (pending). */
  function message(node, text, kind) {
    if (!node) return;
    node.textContent = text || "";
    node.className = `message ${kind || ""}`.trim();
    node.setAttribute("role", kind === "refused" ? "alert" : "status");
    node.hidden = !text;
  }

  /** "RESTRICTED · REL TO DNK, FIN" */
  function labelText(lab) {
    if (BASE.labelText) return BASE.labelText(lab);
    if (!lab) return "";
    const rel = lab.releasable_to && lab.releasable_to.length ? ` · REL TO ${lab.releasable_to.join(", ")}` : "";
    return `${lab.classification}${rel}`;
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

  /** The banner shows the highest label on the page, also of what scripts add. */
  function raise(classification) {
    if (BASE.raiseBanner) BASE.raiseBanner(classification);
  }

  /** A message kept across one reload (the page reloads to show what an action changed). */
  function flash(key, value) {
    if (value !== undefined) { sessionStorage.setItem(key, JSON.stringify(value)); return null; }
    const v = sessionStorage.getItem(key);
    sessionStorage.removeItem(key);
    try { return v ? JSON.parse(v) : null; } catch (e) { return null; }
  }

  const num = (x) => (x === null || x === undefined ? "–" :
    Number(x).toLocaleString("en-GB", { maximumFractionDigits: 1 }));

  // GET forms (filters) leave out empty fields: "any" means no parameter, and the URL stays short
  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || (form.getAttribute("method") || "get").toLowerCase() !== "get" ||
        !form.closest(".ex-page") || !form.hasAttribute("action")) return;
    const emptied = [...form.elements].filter((f) => f.name && !f.disabled && f.value === "");
    for (const f of emptied) f.disabled = true;
    setTimeout(() => { for (const f of emptied) f.disabled = false; }, 0);   // usable again after back
  });

  window.dkfiEx = { el, api, detailText, message, labelText, labelChip, raise, flash, num,
                    $: (id) => document.getElementById(id) };
})();
