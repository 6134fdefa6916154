/* dkfi — F-35 joint maintenance page: POST /api/f35/maintenance/stored with the first day, the horizon and the time
 * limit, then the plan: status, availability together against each nation planning alone (per nation too),
 * aircraft-days saved, a Gantt of the events (rows: sites with lanes, or aircraft grouped by base; colour by
 * maintenance type; transport days hatched before and after the work), utilisation by site, unplaced events, and a
 * CSV of the events (POST /api/f35/maintenance/plan.csv, saved through a Blob).
 *
 * The Gantt is SVG drawn here (no library): one scroll box, the month header sticky at the top and the row names
 * sticky at the left, so ~100 aircraft over two years stay readable. */
(function () {
  "use strict";
  const F = window.dkfiF35;
  const { el, svg, api, $, message, raise, num, pct, dayOf, dateAfter } = F;
  const form = $("mx-form");
  if (!form) return;   // no planner role: the page explains

  const PALETTE = ["#1f4e9c", "#0f7c74", "#a8501a", "#6b3fa0", "#b36b00", "#2e8b57", "#4a5a66", "#8a1538"];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const TYPES = JSON.parse(form.dataset.types || "[]");
  const state = { busy: false, runs: 0, plan: null, problem: null, sites: {} };
  window.dkfiF35Maintenance = state;

  const typeName = (id) => {
    const t = TYPES.find((x) => F.bare(x.key) === id) ||
      ((state.problem || {}).event_types || []).find((x) => x.id === id && x.name);
    return t ? t.name : id;
  };
  const siteName = (id) => (state.sites[id] ? state.sites[id].name : id);
  /** The site id beside its name, unless the name already says it. */
  const siteSub = (id) => (siteName(id).toLowerCase().includes(String(id).toLowerCase()) ? "" : id);

  function colors(problem) {
    const ids = [...new Set([...(problem.event_types || []).map((t) => t.id)])];
    return Object.fromEntries(ids.map((id, i) => [id, { color: PALETTE[i % PALETTE.length], index: i }]));
  }

  // ---- availability per nation (the planner reports the fleet's; the per-nation figure follows its rules) ---------

  /** Down days and aircraft-days in service per nation for one plan, counted as maintenance.py counts them: away for
   * work and transport, grounded from the due date while overdue, grounded from the due date to the horizon end when
   * unplaced; each aircraft-day once. */
  function byNation(plan, problem) {
    const H = problem.horizon_days;
    const start = problem.start;
    const ready = {};
    const nation = {};
    const down = {};
    for (const a of problem.aircraft) {
      ready[a.tail] = a.available_from ? Math.max(0, dayOf(a.available_from, start)) : 0;
      nation[a.tail] = a.nation;
      down[a.tail] = new Uint8Array(H);
    }
    const mark = (tail, from, to) => {   // days from .. to - 1, clipped to the horizon
      const row = down[tail];
      if (!row) return;
      for (let d = Math.max(from, 0); d < Math.min(to, H); d += 1) row[d] = 1;
    };
    for (const e of plan.events || []) {
      const s = dayOf(e.start, start);
      const tr = e.transport_days || 0;
      const due = dayOf(e.due, start);
      mark(e.tail, Math.min(s - tr, Math.max(due, ready[e.tail] || 0)), dayOf(e.end, start) + 1 + tr);
    }
    for (const u of plan.unplaced || []) mark(u.tail, Math.max(dayOf(u.due, start), ready[u.tail] || 0), H);
    const out = {};
    for (const tail of Object.keys(down)) {
      const n = nation[tail];
      const o = out[n] || (out[n] = { aircraft: 0, days: 0, down: 0, foreign: 0 });
      o.aircraft += 1;
      o.days += Math.max(0, H - ready[tail]);
      o.down += down[tail].reduce((a, b) => a + b, 0);
    }
    for (const e of plan.events || []) if (e.foreign && out[e.nation]) out[e.nation].foreign += 1;
    for (const o of Object.values(out)) o.availability = o.days ? 1 - o.down / o.days : 1;
    return out;
  }

  // ---- summary ---------------------------------------------------------------------------------------------------

  function renderSummary(plan, problem) {
    const sep = plan.separate || {};
    const st = $("mx-status");
    st.textContent = plan.status;
    st.className = `plan-status ${plan.status}`;
    $("mx-period").textContent = `${problem.start} – ${dateAfter(problem.start, problem.horizon_days - 1)} · ` +
      `${problem.aircraft.length} aircraft, ${problem.sites.length} sites · solved in ${num(plan.solve_s, 1)} s`;
    $("mx-availability").textContent = pct(plan.availability);
    $("mx-separate").textContent = pct(sep.availability);
    $("mx-saving").textContent = `${plan.saving_days > 0 ? "+" : ""}${num(plan.saving_days, 0)}`;
    $("mx-down").textContent = `${num(plan.down_days, 0)} / ${num(sep.down_days, 0)}`;
    $("mx-events").textContent = `${(plan.events || []).length} · ${num(plan.late_days || 0, 0)}`;
    $("mx-unplaced-count").textContent = String((plan.unplaced || []).length);
    $("mx-unplaced-count").classList.toggle("bad", (plan.unplaced || []).length > 0);

    const together = byNation(plan, problem);
    const alone = byNation(sep, problem);
    state.byNation = { together, alone };
    const nations = Object.keys(together).sort();
    $("mx-nations").tBodies[0].replaceChildren(...nations.map((n) => {
      const t = together[n], a = alone[n] || {};
      const diff = t.availability - (a.availability || 0);
      return el("tr", { "data-nation": n, "data-together": t.availability.toFixed(6),
                        "data-alone": (a.availability || 0).toFixed(6), "data-days": String(t.days) },
        el("th", { scope: "row" }, el("span", { class: `nation-tag nation-${n}`, text: n })),
        el("td", { class: "num", text: String(t.aircraft) }),
        el("td", { class: "num strong", text: pct(t.availability) }),
        el("td", { class: "num", text: pct(a.availability) }),
        el("td", { class: `num ${diff > 1e-9 ? "gain" : diff < -1e-9 ? "loss" : ""}`,
                   text: `${diff >= 0 ? "+" : "−"}${num(Math.abs(100 * diff), 2)} pts` }),
        el("td", { class: "num", text: num(t.down, 0) }),
        el("td", { class: "num", text: num(a.down, 0) }),
        el("td", { class: "num", text: String(t.foreign) }));
    }));
  }

  function bar(fraction) {
    const b = el("span", { class: "util-bar", title: pct(fraction, 1) }, el("span"));
    b.firstChild.style.width = `${Math.min(100, 100 * (fraction || 0))}%`;
    return el("span", { class: "util" }, b, ` ${pct(fraction, 1)}`);
  }

  function renderUtilisation(plan, problem) {
    const sep = (plan.separate || {}).by_site || {};
    const rows = [...problem.sites].sort((a, b) => a.nation.localeCompare(b.nation) || a.id.localeCompare(b.id));
    $("mx-util").tBodies[0].replaceChildren(...rows.map((s) => {
      const cap = typeof s.capacity === "number" ? String(s.capacity) :
        Object.entries(s.capacity || {}).map(([k, v]) => `${k} ${v}`).join(", ");
      return el("tr", { "data-site": s.id },
        el("td", {}, el("span", { class: `nation-tag nation-${s.nation}`, text: s.nation }), " ", siteName(s.id),
          siteSub(s.id) ? el("span", { class: "sub", text: s.id }) : null),
        el("td", { class: "num", text: cap }),
        el("td", {}, bar((plan.by_site || {})[s.id])),
        el("td", {}, bar(sep[s.id])));
    }));
    const list = $("mx-unplaced");
    list.replaceChildren(...(plan.unplaced || []).map((u) => el("li", { "data-tail": u.tail },
      el("strong", { text: `${u.tail} ${typeName(u.type)}` }), ` due ${u.due}: `, el("span", { class: "why", text: u.why }),
      el("span", { class: "sub", text: `grounded ${u.down_days} days to the horizon's end` }))));
    if (!(plan.unplaced || []).length) list.append(el("li", { class: "empty", text: "none: every event due in the horizon is planned" }));
  }

  /** ``text`` cut with "…" to about ``px`` pixels at ``charW`` pixels a character (SVG text does not ellipsize). */
  function fit(text, px, charW) {
    const most = Math.max(3, Math.floor(px / charW));
    return text.length <= most ? text : `${text.slice(0, most - 1)}…`;
  }

  // ---- the Gantt -------------------------------------------------------------------------------------------------

  /** Rows of the chosen view: [{kind: "group"|"row", label, sub, nation, events: [...], lane}] */
  function layout(plan, problem, view) {
    const start = problem.start;
    const rows = [];
    const d = (iso) => dayOf(iso, start);
    if (view === "site") {
      const sites = [...problem.sites].sort((a, b) => a.nation.localeCompare(b.nation) || a.id.localeCompare(b.id));
      for (const s of sites) {
        const evs = (plan.events || []).filter((e) => e.site === s.id)
          .sort((a, b) => d(a.down_from) - d(b.down_from));
        const laneEnds = [];   // lanes: an event goes into the first lane free from its departure (transport included)
        const placed = evs.map((e) => {
          const from = d(e.down_from), to = d(e.down_to) + 1;
          let lane = laneEnds.findIndex((end) => end <= from);
          if (lane < 0) { lane = laneEnds.length; laneEnds.push(0); }
          laneEnds[lane] = to;
          return { e, lane };
        });
        const lanes = Math.max(1, laneEnds.length);
        rows.push({ kind: "row", key: s.id, label: siteName(s.id), sub: siteSub(s.id),
                    nation: s.nation, lanes, placed, closed: s.unavailable || [], site: s });
      }
    } else {
      const sites = Object.fromEntries(problem.sites.map((s) => [s.id, s]));
      const byBase = new Map();
      const aircraft = [...problem.aircraft].sort((a, b) =>
        a.nation.localeCompare(b.nation) || a.base.localeCompare(b.base) || a.tail.localeCompare(b.tail));
      for (const a of aircraft) {
        const k = `${a.nation}|${a.base}`;
        if (!byBase.has(k)) byBase.set(k, []);
        byBase.get(k).push(a);
      }
      for (const [k, list] of byBase) {
        const [nation, base] = k.split("|");
        rows.push({ kind: "group", label: siteName(base), sub: `${list.length}`, nation, key: base, site: sites[base] });
        for (const a of list) {
          const placed = (plan.events || []).filter((e) => e.tail === a.tail).map((e) => ({ e, lane: 0 }));
          const unplaced = (plan.unplaced || []).filter((u) => u.tail === a.tail);
          rows.push({ kind: "row", key: a.tail, label: a.tail, sub: "", nation: a.nation, lanes: 1, placed, unplaced,
                      ready: a.available_from ? dayOf(a.available_from, start) : null });
        }
      }
    }
    return rows;
  }

  function draw() {
    const plan = state.plan, problem = state.problem;
    if (!plan) return;
    const view = (form.ownerDocument.querySelector('input[name="gantt-view"]:checked') || {}).value || "site";
    const zoom = $("gantt-zoom").value;
    const H = problem.horizon_days;
    const start = problem.start;
    const wrap = $("gantt");
    const LABEL_W = 210;
    const avail = Math.max(300, wrap.clientWidth - LABEL_W - 18);
    const px = zoom === "fit" ? Math.max(1.6, Math.min(14, avail / H)) : Number(zoom);
    const W = Math.ceil(H * px);
    const LANE = view === "site" ? 16 : 15;
    const ROW_PAD = view === "site" ? 6 : 3;
    const GROUP_H = 20;
    const HEAD_H = 34;
    const colorOf = colors(problem);
    const rows = layout(plan, problem, view);
    let y = 0;
    for (const r of rows) {
      r.y = y;
      r.h = r.kind === "group" ? GROUP_H : r.lanes * LANE + ROW_PAD;
      y += r.h;
    }
    const bodyH = Math.max(y, 20);
    const x = (day) => day * px;

    // header: years and months
    const head = svg("svg", { width: W, height: HEAD_H, class: "gantt-head-svg", "aria-hidden": "true" });
    const body = svg("svg", { width: W, height: bodyH, class: "gantt-body-svg", role: "img",
      "aria-label": `${(plan.events || []).length} maintenance events from ${start}, rows by ${view}` });
    const defs = svg("defs");
    for (const [id, c] of Object.entries(colorOf)) {
      defs.append(svg("pattern", { id: `hatch-${c.index}`, width: 5, height: 5, patternUnits: "userSpaceOnUse",
                                   patternTransform: "rotate(45)" },
        svg("rect", { width: 5, height: 5, fill: "#fff" }),
        svg("rect", { width: 2.2, height: 5, fill: c.color })));
      void id;
    }
    defs.append(svg("pattern", { id: "hatch-closed", width: 6, height: 6, patternUnits: "userSpaceOnUse",
                                 patternTransform: "rotate(45)" },
      svg("rect", { width: 6, height: 6, fill: "#eceff2" }), svg("rect", { width: 2, height: 6, fill: "#c9d0d6" })));
    body.append(defs);

    const grid = svg("g", { class: "gantt-grid" });
    // row bands
    rows.forEach((r, i) => {
      if (r.kind === "group") grid.append(svg("rect", { x: 0, y: r.y, width: W, height: r.h, class: "group-band" }));
      else if (i % 2) grid.append(svg("rect", { x: 0, y: r.y, width: W, height: r.h, class: "alt-band" }));
    });
    // closed periods of a site
    for (const r of rows) {
      if (r.ready && r.ready > 0) {   // an aircraft not yet delivered
        grid.append(svg("rect", { x: 0, y: r.y + 2, width: x(Math.min(r.ready, H)), height: r.h - 4, class: "not-delivered" },
          svg("title", { text: `${r.label} not delivered before ${dateAfter(start, r.ready)}` })));
      }
      for (const [a, b] of r.closed || []) {
        const from = Math.max(0, dayOf(a, start)), to = Math.min(H, dayOf(b, start) + 1);
        if (to > from) {
          grid.append(svg("rect", { x: x(from), y: r.y + 1, width: x(to) - x(from), height: r.h - 2, fill: "url(#hatch-closed)",
                                    class: "closed" }, svg("title", { text: `${r.label} closed ${a} – ${b}` })));
        }
      }
    }
    // months (and weeks when there is room)
    const first = new Date(`${start}T00:00:00Z`);
    let m = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1));
    const headG = svg("g");
    headG.append(svg("rect", { x: 0, y: 0, width: W, height: HEAD_H, class: "head-bg" }));
    while (true) {
      const iso = m.toISOString().slice(0, 10);
      const dd = dayOf(iso, start);
      if (dd >= H) break;
      const next = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1));
      const nd = Math.min(H, dayOf(next.toISOString().slice(0, 10), start));
      const x0 = x(Math.max(0, dd)), x1 = x(nd);
      if (dd > 0) {
        grid.append(svg("line", { x1: x0, x2: x0, y1: 0, y2: bodyH, class: m.getUTCMonth() === 0 ? "year-line" : "month-line" }));
        headG.append(svg("line", { x1: x0, x2: x0, y1: m.getUTCMonth() === 0 ? 0 : 17, y2: HEAD_H, class: "month-line" }));
      }
      const wide = x1 - x0;
      if (wide > 16) {
        headG.append(svg("text", { x: (x0 + x1) / 2, y: 29, class: "month", "text-anchor": "middle",
                                   text: wide > 34 ? MONTHS[m.getUTCMonth()] : MONTHS[m.getUTCMonth()][0] }));
      }
      if (m.getUTCMonth() === 0 || dd <= 0) {
        headG.append(svg("text", { x: x0 + 3, y: 12, class: "year", text: String(m.getUTCFullYear()) }));
      }
      m = next;
    }
    head.append(headG);
    body.append(grid);

    // bars
    const bars = svg("g", { class: "gantt-bars" });
    for (const r of rows) {
      if (r.kind !== "row") continue;
      for (const { e, lane } of r.placed) {
        const c = colorOf[e.type] || { color: "#6c7a86", index: 0 };
        const s = dayOf(e.start, start), end = dayOf(e.end, start) + 1, tr = e.transport_days || 0;
        const due = dayOf(e.due, start);
        const top = r.y + ROW_PAD / 2 + lane * LANE + 1;
        const h = LANE - 2;
        const tip = `${e.tail} (${e.nation}) · ${typeName(e.type)} at ${siteName(e.site)} · ${e.start} – ${e.end}` +
          (tr ? ` · transport ${tr} day${tr > 1 ? "s" : ""} each way` : "") + ` · due ${e.due}` +
          (e.late_days ? ` · ${e.late_days} days late` : "") + (e.foreign ? " · at the partner's site" : "");
        const g = svg("g", { class: `ev${e.late_days ? " late" : ""}${e.foreign ? " foreign" : ""}`,
                             "data-tail": e.tail, "data-type": e.type, "data-site": e.site, "data-start": e.start });
        g.append(svg("title", { text: tip }));
        if (e.late_days && view === "aircraft") {   // grounded, waiting for the overdue event
          const from = Math.max(0, Math.min(s - tr, Math.max(due, r.ready || 0)));
          if (s - tr > from) g.append(svg("rect", { x: x(from), y: top + h / 2 - 1.5, width: x(s - tr) - x(from), height: 3, class: "overdue" }));
        }
        if (tr) {
          g.append(svg("rect", { x: x(s - tr), y: top, width: x(tr), height: h, fill: `url(#hatch-${c.index})`, class: "transport" }),
                   svg("rect", { x: x(end), y: top, width: x(tr), height: h, fill: `url(#hatch-${c.index})`, class: "transport" }));
        }
        g.append(svg("rect", { x: x(s), y: top, width: Math.max(1.5, x(end) - x(s)), height: h, fill: c.color, class: "work" }));
        const label = view === "site" ? e.tail : e.site;
        const room = x(end) - x(s);
        if (room > label.length * 6.2 + 6) {
          g.append(svg("text", { x: x(s) + 3, y: top + h - 4, class: "bar-label", text: label }));
        }
        bars.append(g);
      }
      for (const u of r.unplaced || []) {
        const from = Math.max(0, dayOf(u.due, start), r.ready || 0);
        bars.append(svg("rect", { x: x(from), y: r.y + 3, width: Math.max(2, x(H) - x(from)), height: r.h - 6, class: "unplaced",
                                  "data-tail": u.tail }, svg("title", { text: `${u.tail} ${typeName(u.type)} due ${u.due}: unplaced (${u.why})` })));
      }
    }
    body.append(bars);

    // row names
    const labels = svg("svg", { width: LABEL_W, height: bodyH, class: "gantt-labels-svg", "aria-hidden": "true" });
    rows.forEach((r, i) => {
      const g = svg("g", { class: r.kind === "group" ? "group" : "row" });
      g.append(svg("rect", { x: 0, y: r.y, width: LABEL_W, height: r.h,
                             class: r.kind === "group" ? "group-band" : i % 2 ? "alt-band" : "band" }));
      const mid = r.y + Math.min(r.h, 22) / 2 + 4;
      const room = LABEL_W - 42 - (r.kind === "group" ? 28 : 6);
      g.append(svg("text", { x: 8, y: mid, class: "nation-txt", text: r.nation }),
               svg("text", { x: 42, y: mid, class: r.kind === "group" ? "group-name" : "row-name",
                             text: fit(r.label, room, r.kind === "group" ? 7 : 6.6) }, svg("title", { text: r.label })));
      if (r.kind === "group") {
        g.append(svg("text", { x: LABEL_W - 6, y: mid, class: "row-sub", "text-anchor": "end", text: r.sub },
          svg("title", { text: `${r.sub} aircraft based here` })));
      } else if (r.sub && r.h >= 30) g.append(svg("text", { x: 42, y: mid + 13, class: "row-sub", text: fit(r.sub, room, 5.8) }));
      labels.append(g);
    });

    const grid2 = el("div", { class: "gantt-grid2", style: `grid-template-columns:${LABEL_W}px ${W}px` },
      el("div", { class: "gantt-corner", text: view === "site" ? "site" : "aircraft" }),
      el("div", { class: "gantt-top" }, head),
      el("div", { class: "gantt-left" }, labels),
      el("div", { class: "gantt-main" }, body));
    wrap.replaceChildren(grid2);
    wrap.dataset.view = view;

    // legend
    const legend = $("gantt-legend");
    legend.replaceChildren(
      ...Object.entries(colorOf).map(([id, c]) => el("li", { "data-type": id },
        el("span", { class: "sw-box", style: `background:${c.color}` }), typeName(id))),
      el("li", {}, el("span", { class: "sw-box hatch" }), "transport (each way)"),
      el("li", {}, el("span", { class: "sw-box late" }), "late"),
      el("li", {}, el("span", { class: "sw-box closed" }), "site closed"),
      el("li", {}, el("span", { class: "sw-box unplaced" }), "unplaced: grounded"),
      ...(view === "aircraft" ? [el("li", {}, el("span", { class: "sw-box overdue" }), "overdue: grounded until it leaves"),
        el("li", {}, el("span", { class: "sw-box not-delivered" }), "not yet delivered")] : []));
  }

  // ---- CSV -------------------------------------------------------------------------------------------------------

  async function csv() {
    if (!state.plan) return;
    const msg = $("mx-message");
    try {
      const blob = await api("/api/f35/maintenance/plan.csv", { method: "POST", json: { plan: state.plan }, as: "blob" });
      F.download(blob, `dkfi-f35-maintenance-${state.problem.start}.csv`);
      state.csvs = (state.csvs || 0) + 1;
    } catch (err) {
      message(msg, `Could not make the CSV: ${err.message}`, "refused");
    }
  }

  // ---- run -------------------------------------------------------------------------------------------------------

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (state.busy) return;
    const start = $("m-start").value;
    const horizon = Number($("m-horizon").value);
    const limit = Number($("m-limit").value) || 30;
    const msg = $("mx-message");
    if (!start) { message(msg, "Give the first day of the plan.", "refused"); return; }
    if (!Number.isInteger(horizon)) {   // the range is the server's to check (its 422 names the field)
      message(msg, "The horizon is a whole number of days from 7 to 3650.", "refused");
      return;
    }
    state.busy = true;
    $("m-submit").disabled = true;
    message(msg, `Planning … (up to ${num(limit, 0)} s)`, "");
    try {
      const [out, sites] = await Promise.all([
        api("/api/f35/maintenance/stored", { method: "POST", json: { start, horizon_days: horizon, time_limit_s: limit } }),
        F.sites()]);
      state.plan = out.plan;
      state.problem = out.problem;
      state.sites = sites;
      for (const s of out.problem.sites) if (sites[s.id]) raise(sites[s.id].label.classification);
      $("mx-result").hidden = false;
      renderSummary(out.plan, out.problem);
      renderUtilisation(out.plan, out.problem);
      draw();
      message(msg, "", "");
      state.runs += 1;
    } catch (err) {
      $("mx-result").hidden = true;
      message(msg, `Could not plan: ${err.message}`, "refused");
    } finally {
      state.busy = false;
      $("m-submit").disabled = false;
    }
  });

  for (const r of document.querySelectorAll('input[name="gantt-view"]')) r.addEventListener("change", draw);
  $("gantt-zoom").addEventListener("change", draw);
  $("mx-csv").addEventListener("click", csv);
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { if ($("gantt-zoom").value === "fit") draw(); }, 150);
  });
})();
