/* dkfi — savings page: POST /api/acquisition/savings with the quantities of both nations, the first unit's cost, the
 * learning rate, the NRC and the split; shows separate against joint, the saving, the split, the unit-cost curve of
 * the joint buy, and the saving against the learning rate 0.70 .. 1.00 (the same request once per rate, the other
 * inputs as entered) — both drawn as inline SVG, no chart library. A refusal (422) is shown as the server words it. */
(function () {
  "use strict";
  const A = window.dkfiAcq;
  const { el, svg, $, api, message, money, moneyShort, num, pct } = A;
  const form = $("savings-form");
  if (!form) return;

  const COLORS = { DNK: "#c8102e", FIN: "#003580" };
  const RATES = Array.from({ length: 31 }, (_, i) => Math.round((0.70 + 0.01 * i) * 100) / 100);
  const state = { runs: 0, sensitivity: null };
  window.dkfiAcqSavings = state;

  function input() {
    const n = (id) => (form.elements.namedItem(id).value.trim() === "" ? NaN : Number(form.elements.namedItem(id).value));
    const q = (id) => {
      const v = $(id).value.trim();
      return v === "" ? NaN : Number(v);
    };
    return {
      quantities: { DNK: q("q-DNK"), FIN: q("q-FIN") },
      first_unit_cost: n("first_unit_cost"),
      learning_rate: n("learning_rate"),
      nrc: n("nrc") || 0,
      split: form.querySelector('input[name="split"]:checked').value,
    };
  }

  /** Checks the browser can make before asking (the server checks everything again). */
  function problem(body) {
    for (const [k, v] of Object.entries(body.quantities)) {
      if (!Number.isInteger(v) || v < 0) return `quantities[${k}] must be a whole number, 0 or more`;
    }
    if (!Number.isFinite(body.first_unit_cost)) return "first_unit_cost must be a number";
    if (!Number.isFinite(body.learning_rate)) return "learning_rate must be a number";
    return null;
  }

  // ---- a line chart -------------------------------------------------------------------------------------------

  function niceTicks(lo, hi, count) {
    if (hi <= lo) hi = lo + 1;
    const raw = (hi - lo) / count;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    const out = [];
    // from the tick at or below ``lo`` to the tick at or above ``hi``, so the data never runs past the top tick
    const first = Math.floor(lo / step + 1e-9);
    const last = Math.ceil(hi / step - 1e-9);
    for (let k = first; k <= last; k += 1) out.push(k * step);
    return out;
  }

  /** series: [{points: [[x, y]], color, name, cls}]; marks: [{x, text, cls}]; dots: [{x, y, text, color}] */
  function lineChart(node, opt) {
    const W = 620, H = 300, L = 64, R = 18, T = 16, B = 42;
    const all = opt.series.flatMap((s) => s.points);
    const xs = all.map((p) => p[0]);
    const ys = all.map((p) => p[1]);
    const x0 = opt.xMin !== undefined ? opt.xMin : Math.min(...xs);
    const x1 = opt.xMax !== undefined ? opt.xMax : Math.max(...xs);
    let y0 = Math.min(0, ...ys);
    let y1 = Math.max(...ys);
    if (y1 <= y0) y1 = y0 + 1;
    const yt = niceTicks(y0, y1, 5);
    y0 = Math.min(y0, yt[0]);
    y1 = Math.max(y1, yt[yt.length - 1]);
    const X = (x) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
    const Y = (y) => T + (1 - (y - y0) / (y1 - y0 || 1)) * (H - T - B);
    const xt = (opt.xTicks || niceTicks(x0, x1, 8)).filter((v) => v >= x0 - 1e-9 && v <= x1 + 1e-9);
    const chart = svg("svg", { class: `curve-svg ${opt.cls || ""}`, viewBox: `0 0 ${W} ${H}`, width: W, height: H,
                               role: "img", "aria-label": opt.title },
      svg("title", { text: opt.title }),
      svg("g", { class: "grid-lines" },
        yt.map((v) => svg("line", { x1: L, x2: W - R, y1: Y(v), y2: Y(v) })),
        xt.map((v) => svg("line", { x1: X(v), x2: X(v), y1: T, y2: H - B }))),
      svg("rect", { class: "frame", x: L, y: T, width: W - L - R, height: H - T - B }),
      yt.map((v) => svg("text", { class: "tick", x: L - 6, y: Y(v) + 3.5, "text-anchor": "end", text: opt.yFormat(v) })),
      xt.map((v) => svg("text", { class: "tick", x: X(v), y: H - B + 14, "text-anchor": "middle", text: opt.xFormat(v) })),
      svg("text", { class: "axis-title", x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", text: opt.xLabel }),
      svg("text", { class: "axis-title", x: 12, y: (T + H - B) / 2, "text-anchor": "middle",
                    transform: `rotate(-90 12 ${(T + H - B) / 2})`, text: opt.yLabel }),
      y0 < 0 ? svg("line", { class: "zero-line", x1: L, x2: W - R, y1: Y(0), y2: Y(0) }) : null,
      (opt.marks || []).map((m) => svg("g", { class: `mark-line ${m.cls || ""}` },
        svg("line", { x1: X(m.x), x2: X(m.x), y1: T, y2: H - B, stroke: m.color || "#6c7a86" }),
        svg("text", { x: X(m.x) + (m.anchor === "end" ? -4 : 4), y: T + 12 + (m.row || 0) * 13,
                      "text-anchor": m.anchor || "start", fill: m.color || "#3b4954", text: m.text }))),
      opt.series.map((s) => svg("polyline", { class: `series ${s.cls || ""}`, fill: "none", stroke: s.color,
        "stroke-width": 2.2, points: s.points.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(" ") })),
      (opt.dots || []).map((d) => svg("g", { class: `dot ${d.cls || ""}` },
        svg("circle", { cx: X(d.x), cy: Y(d.y), r: d.r || 3.2, fill: d.color || "#1b262e" },
          svg("title", { text: d.title || d.text || "" })),
        d.text ? svg("text", { class: "dot-label", x: X(d.x) + (d.dx || 6), y: Y(d.y) - 7,
                               "text-anchor": d.anchor || "start", text: d.text }) : null)));
    node.replaceChildren(chart);
    return chart;
  }

  // ---- the result -----------------------------------------------------------------------------------------------

  function render(body, res) {
    const nations = Object.keys(res.separate);
    const sep = nations.reduce((a, n) => a + res.separate[n], 0);
    const saving = res.saving;
    const units = nations.reduce((a, n) => a + (body.quantities[n] || 0), 0);
    $("saving").textContent = money(saving);
    $("saving-pct").textContent = sep ? `${pct(saving / sep)} of the separate cost` : "";
    $("saving-box").classList.toggle("negative", saving < 0);
    $("saving-line").textContent = `${money(sep)} separately − ${money(res.joint)} jointly, at a learning rate of ` +
      `${pct(body.learning_rate, 0)}${body.nrc ? ` and an NRC of ${money(body.nrc)} paid once` : ""}`;
    $("separate-total").textContent = money(sep);
    $("joint-total").textContent = money(res.joint);
    $("units-total").textContent = num(units, 0);
    $("split-name").textContent = body.split === "shapley" ? "(Shapley)" : "(by demand)";
    $("savings-nations").tBodies[0].replaceChildren(...nations.map((n) => {
      const alone = res.separate[n];
      const pays = res.split[n];
      return el("tr", { "data-nation": n },
        el("th", { scope: "row" }, el("span", { class: `nation-tag nation-${n}`, text: n })),
        el("td", { class: "num", text: num(body.quantities[n], 0) }),
        el("td", { class: "num", "data-field": "alone", text: money(alone) }),
        el("td", { class: "num", "data-field": "pays", text: money(pays) }),
        el("td", { class: `num save${alone - pays < 0 ? " neg" : ""}`, "data-field": "saves", text: money(alone - pays) }),
        el("td", { class: "num", text: alone ? pct((alone - pays) / alone) : "–" }));
    }));
    const paid = nations.reduce((a, n) => a + res.split[n], 0);
    $("savings-nations").tFoot.replaceChildren(el("tr", {},
      el("th", { scope: "row", text: "Together" }), el("td", { class: "num", text: num(units, 0) }),
      el("td", { class: "num", text: money(sep) }), el("td", { class: "num", text: money(paid) }),
      el("td", { class: "num save", text: money(sep - paid) }), el("td", { class: "num", text: sep ? pct((sep - paid) / sep) : "–" })));
    drawCurve(body, res);
    $("savings-result").hidden = false;
  }

  function drawCurve(body, res) {
    const pts = res.curve || [];
    if (!pts.length) { $("curve-chart").replaceChildren(el("p", { class: "empty", text: "No units bought." })); return; }
    const at = (q) => {   // the unit cost of unit q on the curve (nearest point shown)
      let best = pts[0];
      for (const p of pts) if (Math.abs(p[0] - q) < Math.abs(best[0] - q)) best = p;
      return best[1];
    };
    const total = pts[pts.length - 1][0];
    const marks = [];
    const dots = [];
    const qs = Object.entries(body.quantities).filter(([, q]) => q > 0).sort((a, b) => a[1] - b[1]);
    qs.forEach(([n, q], i) => {
      marks.push({ x: q, text: `${n} alone: unit ${num(q, 0)}`, color: COLORS[n] || "#4a5a66", row: i, cls: `alone-${n}` });
      dots.push({ x: q, y: at(q), color: COLORS[n] || "#4a5a66", title: `${n}'s last unit alone: ${moneyShort(at(q))}` });
    });
    marks.push({ x: total, text: `together: unit ${num(total, 0)}`, color: "#05612c", anchor: "end", row: qs.length });
    dots.push({ x: total, y: pts[pts.length - 1][1], color: "#05612c", text: moneyShort(pts[pts.length - 1][1]),
                anchor: "end", dx: -6, title: `the last unit jointly: ${moneyShort(pts[pts.length - 1][1])}` });
    lineChart($("curve-chart"), {
      title: "unit cost against the unit number of the joint buy", cls: "unit-curve",
      series: [{ points: pts, color: "#0b4f8a", cls: "joint" }], marks, dots,
      xMin: 1, xMax: total, xFormat: (v) => num(v, 0), yFormat: moneyShort,
      xLabel: "unit number (joint buy)", yLabel: "unit cost" });
    $("curve-note").textContent = `Unit 1 costs ${money(pts[0][1])}; unit ${num(total, 0)} of the joint buy costs ` +
      `${num(pts[pts.length - 1][1], 2)}.` + (pts.length < total ? ` ${pts.length} of ${num(total, 0)} units drawn.` : "");
  }

  /** Run ``fn`` over ``items`` with at most ``width`` requests at once. */
  async function limited(items, width, fn) {
    const out = new Array(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next;
        next += 1;
        out[i] = await fn(items[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
    return out;
  }

  async function drawSensitivity(body, run) {
    const node = $("sensitivity-chart");
    node.replaceChildren(el("p", { class: "sub", text: "computing the saving at each learning rate …" }));
    node.removeAttribute("data-drawn");
    const rates = [...new Set([...RATES, body.learning_rate].filter((r) => r >= 0.7 && r <= 1))].sort((a, b) => a - b);
    const rows = await limited(rates, 6, async (r) => {
      try {
        const res = await api("/api/acquisition/savings", { method: "POST", json: { ...body, learning_rate: r } });
        const sep = Object.values(res.separate).reduce((a, x) => a + x, 0);
        return { rate: r, saving: res.saving, pct: sep ? res.saving / sep : 0 };
      } catch (err) {
        return { rate: r, error: err.message };
      }
    });
    if (run !== state.runs) return;   // a newer computation started
    const good = rows.filter((r) => r.error === undefined);
    state.sensitivity = good;
    if (!good.length) {
      node.replaceChildren(el("p", { class: "message refused", text: rows[0] ? rows[0].error : "no rates" }));
      return;
    }
    const chosen = good.find((r) => Math.abs(r.rate - body.learning_rate) < 1e-9);
    const dots = good.filter((r) => Math.round(r.rate * 100) % 5 === 0).map((r) => ({
      x: r.rate, y: r.saving, r: 2.6, color: "#2e8b57", cls: "rate-dot",
      title: `learning rate ${pct(r.rate, 0)}: saving ${money(r.saving)} (${pct(r.pct)})` }));
    if (chosen) {
      dots.push({ x: chosen.rate, y: chosen.saving, r: 5, color: "#0b4f8a", cls: "chosen",
                  text: `${moneyShort(chosen.saving)} at ${pct(chosen.rate, 0)}`, anchor: chosen.rate > 0.9 ? "end" : "start",
                  dx: chosen.rate > 0.9 ? -8 : 8, title: `as entered: ${money(chosen.saving)} (${pct(chosen.pct)})` });
    }
    lineChart(node, {
      title: "saving against the learning rate", cls: "sensitivity",
      series: [{ points: good.map((r) => [r.rate, r.saving]), color: "#2e8b57", cls: "saving-line" }], dots,
      xMin: 0.7, xMax: 1.0, xTicks: [0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0],
      xFormat: (v) => `${Math.round(v * 100)} %`, yFormat: moneyShort,
      xLabel: "learning rate (each doubling of the quantity costs …)", yLabel: "saving" });
    node.setAttribute("data-drawn", String(good.length));
    const lo = good[0];
    const hi = good[good.length - 1];
    $("sensitivity-note").textContent = `From ${money(lo.saving)} (${pct(lo.pct)}) at ${pct(lo.rate, 0)} to ` +
      `${money(hi.saving)} at ${pct(hi.rate, 0)}: the steeper the curve, the more the joint quantity saves` +
      (body.nrc ? "; the NRC paid once saves the same at every rate." : ".");
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = input();
    const msg = $("savings-message");
    const bad = problem(body);
    if (bad) { message(msg, bad, "refused"); $("savings-result").hidden = true; return; }
    state.runs += 1;
    const run = state.runs;
    $("s-submit").disabled = true;
    message(msg, "computing …", "");
    let res;
    try {
      res = await api("/api/acquisition/savings", { method: "POST", json: body });
    } catch (err) {
      message(msg, `Not computed: ${err.message}`, "refused");
      $("savings-result").hidden = true;
      return;
    } finally {
      $("s-submit").disabled = false;
    }
    message(msg, "", "");
    render(body, res);
    await drawSensitivity(body, run);
  });
})();
