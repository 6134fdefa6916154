/* dkfi — F-35 spares pooling page: POST /api/f35/spares/stored with the availability target and the model, then the
 * result: each nation's separate cost against the pooled cost, the saving, both splits with the model's reasoning,
 * and the cost–availability curves drawn as an inline SVG (no chart library).
 *
 * The pooling result holds no curve, so the curves come from the pool itself run again (POST /api/f35/spares/pool)
 * on the same stored problem at availability targets around the chosen one: each point means what the headline
 * means (every nation's fleet at the target, separately and pooled). */
(function () {
  "use strict";
  const F = window.dkfiF35;
  const { el, svg, api, $, message, raise, money, moneyShort, pct, num } = F;
  const form = $("pool-form");
  if (!form) return;   // no planner role: the page explains

  const COLORS = { DNK: "#c8102e", FIN: "#003580" };
  const EXTRA = ["#a8501a", "#6b3fa0", "#0f7c74", "#4a5a66"];
  const state = { busy: false, runs: 0 };
  window.dkfiF35Spares = state;

  function colorOf(nation, i) { return COLORS[nation] || EXTRA[i % EXTRA.length]; }

  // ---- the result ----------------------------------------------------------------------------------------------

  function coreBadge(node, ok) {
    node.textContent = ok ? "in the core" : "not in the core";
    node.className = `core ${ok ? "ok" : "bad"}`;
    node.title = ok ? "no nation pays more than on its own" : "a nation would pay more than on its own";
  }

  function renderNations(res) {
    const nations = Object.keys(res.separate).sort();
    const sh = res.split.shapley;
    const pr = res.split.proportional;
    const pooledBy = res.pooled.availability_by_nation || {};
    $("pool-nations").tBodies[0].replaceChildren(...nations.map((n, i) => {
      const alone = res.separate[n];
      return el("tr", { "data-nation": n },
        el("th", { scope: "row" }, el("span", { class: `nation-tag nation-${n}`, text: n }),
          el("span", { class: "swatch", style: `background:${colorOf(n, i)}` })),
        el("td", { class: "num", "data-field": "alone-cost", text: money(alone.cost) }),
        el("td", { class: "num", text: pct(alone.availability) },
          alone.target_reached ? null : el("span", { class: "bad", title: "target not reached", text: " ⚠" })),
        el("td", { class: "num", text: pct(pooledBy[n]) }),
        el("td", { class: "num", "data-field": "shapley", text: money(sh[n]) }),
        el("td", { class: "num save", text: money(alone.cost - sh[n]) }),
        el("td", { class: "num", "data-field": "proportional", text: money(pr[n]) }),
        el("td", { class: `num save${alone.cost - pr[n] < 0 ? " neg" : ""}`, text: money(alone.cost - pr[n]) }));
    }));
    const sum = (o) => nations.reduce((a, n) => a + Number(o[n] || 0), 0);
    $("pool-nations").tFoot.replaceChildren(el("tr", {},
      el("th", { scope: "row", text: "Together" }),
      el("td", { class: "num", text: money(res.separate_cost) }),
      el("td", {}),
      el("td", { class: "num", text: pct(res.pooled.availability) }),
      el("td", { class: "num", text: money(sum(sh)) }),
      el("td", { class: "num save", text: money(res.separate_cost - sum(sh)) }),
      el("td", { class: "num", text: money(sum(pr)) }),
      el("td", { class: "num save", text: money(res.separate_cost - sum(pr)) })));
    coreBadge($("core-shapley"), res.split.in_core.shapley);
    coreBadge($("core-proportional"), res.split.in_core.proportional);
  }

  function renderReasoning(res) {
    $("pool-reasoning").replaceChildren(...(res.split.reasoning || []).map((line) => el("li", {
      class: line.startsWith("WARNING") ? "warning" : line.startsWith("Saving") ? "key" : null, text: line })));
    const warnings = [];
    for (const [n, run] of Object.entries(res.separate)) {
      if (!run.target_reached) warnings.push(`${n} alone does not reach the target within the stock caps.`);
    }
    if (!res.pooled.target_reached) warnings.push("The pool does not reach the target within the stock caps.");
    const w = $("pool-warnings");
    w.textContent = warnings.length ? `${warnings.join(" ")} The costs are then not at equal availability.` : "";
    w.hidden = !warnings.length;
  }

  function render(out, sites) {
    const res = out.result;
    const saving = Number(res.saving);
    $("saving").textContent = money(saving);
    $("saving-pct").textContent = `${num(res.saving_pct, 1)} % of the separate cost`;
    $("saving-box").classList.toggle("negative", saving < 0);
    $("saving-line").textContent = `${money(res.separate_cost)} separately − ${money(res.pooled_cost)} pooled, ` +
      `at ${pct(res.target, 1)} availability for each nation (${out.problem.model})`;
    $("separate-cost").textContent = money(res.separate_cost);
    $("pooled-cost").textContent = money(res.pooled_cost);
    $("pool-target").textContent = pct(res.target, 1);
    const depot = sites[res.pooled.depot];
    if (depot) raise(depot.label.classification);
    $("pool-depot").replaceChildren(depot ? depot.name : res.pooled.depot,
      depot && depot.name !== res.pooled.depot ? el("span", { class: "sub", text: res.pooled.depot }) : null);
    renderNations(res);
    renderReasoning(res);
    $("pool-result").hidden = false;
  }

  // ---- the curves ------------------------------------------------------------------------------------------------

  /** Availability targets around the chosen one, the chosen one included. */
  function targets(target) {
    const lo = Math.max(0.5, target - 0.15);
    const hi = Math.min(0.99, target + (1 - target) * 0.6);
    const out = new Set([target]);
    const n = 10;
    for (let i = 0; i <= n; i += 1) out.add(Math.round((lo + ((hi - lo) * i) / n) * 10000) / 10000);
    return [...out].filter((t) => t > 0 && t < 1).sort((a, b) => a - b);
  }

  /** Run ``fn`` over ``items`` with at most ``width`` at once (the server solves them in its thread pool). */
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

  /** The curves: the result's own when it carries any; else the pool run again on the same stored problem
   * (POST /api/f35/spares/pool) at targets around the chosen one, so every point means what the headline means. */
  async function curves(out) {
    const res = out.result;
    const nations = Object.keys(res.separate).sort();
    if (Array.isArray(res.curves)) return { nations, points: res.curves };   // should pool ever give them
    const list = targets(res.target);
    const runs = await limited(list, 3, (t) => (Math.abs(t - res.target) < 1e-9 ? Promise.resolve(res) :
      api("/api/f35/spares/pool", { method: "POST", json: Object.assign({}, out.problem, { target_availability: t }) })));
    return { nations, points: runs.map((r) => ({
      target: r.target, separate: r.separate_cost, pooled: r.pooled_cost, saving: r.saving, saving_pct: r.saving_pct,
      alone: Object.fromEntries(nations.map((n) => [n, r.separate[n].cost])),
      reached: Object.values(r.separate).every((x) => x.target_reached) && r.pooled.target_reached })) };
  }

  function drawChart(data, res) {
    const node = $("curve-chart");
    const W = 620, H = 340, L = 62, R = 16, T = 14, B = 42;
    const pts = data.points;
    const series = [
      ...data.nations.map((n, i) => ({ name: `${n} alone`, color: colorOf(n, i), width: 1.6, dash: null,
                                       points: pts.map((p) => ({ cost: p.alone[n], availability: p.target })) })),
      { name: `${data.nations.join(" + ")} alone (sum)`, color: "#2b2f33", width: 2.4, dash: "6 4",
        points: pts.map((p) => ({ cost: p.separate, availability: p.target })) },
      { name: "pooled (one stock)", color: "#2e8b57", width: 3, dash: null,
        points: pts.map((p) => ({ cost: p.pooled, availability: p.target })) },
    ];
    const targetsAll = pts.map((p) => p.target);
    const yMin = Math.floor(Math.min(...targetsAll) * 20) / 20;
    const yTop = Math.min(1, Math.ceil((Math.max(...targetsAll) + 0.005) * 20) / 20);
    const xMax = Math.max(...pts.map((p) => Math.max(p.separate, p.pooled))) * 1.05 || 1;
    const x = (c) => L + ((W - L - R) * c) / xMax;
    const y = (a) => T + ((H - T - B) * (yTop - a)) / (yTop - yMin);
    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "curve-svg",
      "aria-label": `cost against availability target: ${series.map((s) => s.name).join(", ")}` });
    // grid and axes
    const grid = svg("g", { class: "grid-lines" });
    const step = (yTop - yMin) > 0.3 ? 0.1 : (yTop - yMin) > 0.12 ? 0.05 : 0.01;
    for (let k = Math.ceil(yMin / step - 1e-9); k * step <= yTop + 1e-9; k += 1) {
      const a = k * step;
      grid.append(svg("line", { x1: L, x2: W - R, y1: y(a), y2: y(a) }),
        svg("text", { x: L - 6, y: y(a) + 4, class: "tick", "text-anchor": "end", text: `${Math.round(a * 100)} %` }));
    }
    const mag = Math.pow(10, Math.floor(Math.log10(xMax / 5)));
    const xStep = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((v) => xMax / v <= 6) || mag * 10;
    for (let c = 0; c <= xMax; c += xStep) {
      grid.append(svg("line", { x1: x(c), x2: x(c), y1: T, y2: H - B }),
        svg("text", { x: x(c), y: H - B + 15, class: "tick", "text-anchor": "middle", text: moneyShort(c) }));
    }
    chart.append(grid,
      svg("text", { x: (L + W - R) / 2, y: H - 6, class: "axis-title", "text-anchor": "middle", text: "cost of the stock" }),
      svg("text", { x: 12, y: (T + H - B) / 2, class: "axis-title", "text-anchor": "middle",
                    transform: `rotate(-90 12 ${(T + H - B) / 2})`, text: "availability target (each nation)" }),
      svg("rect", { x: L, y: T, width: W - L - R, height: H - T - B, class: "frame" }));
    // the saving: the band between the separate sum and the pooled cost
    const band = [...pts.map((p) => `${x(p.separate).toFixed(1)},${y(p.target).toFixed(1)}`),
                  ...[...pts].reverse().map((p) => `${x(p.pooled).toFixed(1)},${y(p.target).toFixed(1)}`)].join(" ");
    chart.append(svg("polygon", { points: band, class: "saving-band" }, svg("title", { text: "the saving at each target" })));
    chart.append(svg("line", { x1: L, x2: W - R, y1: y(res.target), y2: y(res.target), class: "target-line" }));
    for (const s of series) {
      const d = s.points.map((p, i) => `${i ? "L" : "M"}${x(p.cost).toFixed(1)},${y(p.availability).toFixed(1)}`).join(" ");
      const g = svg("g", { class: "series-g" });
      g.append(svg("path", { d, fill: "none", stroke: s.color, "stroke-width": s.width, "stroke-dasharray": s.dash,
                             class: "series", "data-series": s.name }, svg("title", { text: s.name })));
      for (const p of s.points) {
        g.append(svg("circle", { cx: x(p.cost), cy: y(p.availability), r: 2.2, fill: s.color, class: "pt" },
          svg("title", { text: `${s.name}: ${money(p.cost)} for ${pct(p.availability, 1)}` })));
      }
      chart.append(g);
    }
    const yT = y(res.target);
    const xs = x(res.separate_cost), xp = x(res.pooled_cost);
    const labelLeft = Math.min(xs, xp) > L + 150;
    chart.append(
      svg("text", { x: labelLeft ? Math.min(xs, xp) - 8 : Math.max(xs, xp) + 8, y: yT + 16, class: "saving-label",
                    "text-anchor": labelLeft ? "end" : "start",
                    text: `target ${pct(res.target, 1)}: saving ${moneyShort(res.saving)} (${num(res.saving_pct, 1)} %)` }),
      svg("circle", { cx: xs, cy: yT, r: 5, class: "mark separate" }, svg("title", { text: `separately: ${money(res.separate_cost)}` })),
      svg("circle", { cx: xp, cy: yT, r: 5, class: "mark pooled" }, svg("title", { text: `pooled: ${money(res.pooled_cost)}` })));
    const legend = el("ul", { class: "chart-legend" }, ...series.map((s) => el("li", {},
      el("span", { class: `ln-key${s.dash ? " dashed" : ""}`, style: `border-color:${s.color}` }), s.name)),
      el("li", {}, el("span", { class: "band-key" }), "saving"));
    const rows = pts.map((p) => el("tr", { class: Math.abs(p.target - res.target) < 1e-9 ? "chosen" : null },
      el("td", { class: "num", text: pct(p.target, 1) }),
      el("td", { class: "num", text: money(p.separate) }),
      el("td", { class: "num", text: money(p.pooled) }),
      el("td", { class: "num save", text: `${money(p.saving)} (${num(p.saving_pct, 1)} %)` },
        p.reached ? null : el("span", { class: "bad", title: "a target not reached within the stock caps", text: " ⚠" }))));
    const table = el("details", { class: "curve-table" }, el("summary", { text: "the figures" }),
      el("table", { class: "grid compact" },
        el("thead", {}, el("tr", {}, el("th", { scope: "col", class: "num", text: "Target" }),
          el("th", { scope: "col", class: "num", text: "Separate" }), el("th", { scope: "col", class: "num", text: "Pooled" }),
          el("th", { scope: "col", class: "num", text: "Saving" }))),
        el("tbody", {}, ...rows)));
    node.replaceChildren(chart, legend, table);
    $("curve-note").textContent = "Each point is the pool run at that target on the same stored problem: the cheapest " +
      "stock found with which every nation's fleet reaches the target, separately and pooled.";
  }

  async function showCurves(out) {
    const section = $("curve-section");
    section.hidden = false;
    const node = $("curve-chart");
    node.replaceChildren(el("p", { class: "sub", text: "Drawing the curves …" }));
    $("curve-note").textContent = "";
    try {
      drawChart(await curves(out), out.result);
    } catch (err) {
      node.replaceChildren(el("p", { class: "message refused", role: "alert", text: `No curves: ${err.message}` }));
    }
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (state.busy) return;
    const target = Number($("s-target").value);
    const model = $("s-model").value;
    const msg = $("pool-message");
    if (!Number.isFinite(target)) {   // the range is the server's to check (its 422 names the field)
      message(msg, "The availability target is a fraction strictly between 0 and 1, e.g. 0.90.", "refused");
      return;
    }
    state.busy = true;
    $("s-submit").disabled = true;
    message(msg, "Pooling …", "");
    try {
      const [out, sites] = await Promise.all([
        api("/api/f35/spares/stored", { method: "POST", json: { target_availability: target, model } }), F.sites()]);
      render(out, sites);
      message(msg, "", "");
      state.last = out;
      if ($("s-curves").checked) await showCurves(out);
      else $("curve-section").hidden = true;
      state.runs += 1;
    } catch (err) {
      $("pool-result").hidden = true;
      message(msg, `Could not pool: ${err.message}`, "refused");
    } finally {
      state.busy = false;
      $("s-submit").disabled = false;
    }
  });
})();
