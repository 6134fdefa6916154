/* dkfi — participation planner page: POST /api/exercises/plan/stored with the period and the two budgets, then the
 * plan: status, value against what each nation would reach alone, cost against budget, who attends what,
 * objectives met and why the others are open. Names come from the record lists (GET), whose labels raise the
 * banner like every record the page shows. */
(function () {
  "use strict";
  const { el, api, $, message, raise, num } = window.dkfiEx;
  const NATIONS = ["DNK", "FIN"];
  const bare = (key) => String(key).replace(/^[A-Z]{3}:/, "");
  const form = $("plan-form");
  if (!form) return;   // no planner role: the page explains

  const state = { busy: false };
  window.dkfiPlanner = state;

  async function names(start, end) {   // best effort: ids are shown when a list cannot be read
    const get = (path) => api(path).catch(() => []);
    const q = new URLSearchParams({ start, end });
    const [exercises, units, objectives] = await Promise.all([
      get(`/api/exercises?${q}`), get("/api/exercises/units"), get("/api/exercises/objectives")]);
    const by = (rows) => Object.fromEntries(rows.map((r) => [bare(r.key), r]));
    return { exercises: by(exercises), units: by(units), objectives: by(objectives) };
  }

  function unitText(n, id) {
    const u = n.units[id];
    return u ? u.name : id;
  }

  function renderCosts(plan, budget) {
    const body = $("plan-costs").querySelector("tbody");
    body.replaceChildren(...NATIONS.map((nation) => {
      const cost = Number(plan.cost[nation] || 0);
      const b = Number(budget[nation] || 0);
      const bar = el("span", { class: `spend${cost > b ? " over" : ""}`, title: `${num(cost)} of ${num(b)} kEUR` },
        el("span"));
      bar.firstChild.style.width = `${b > 0 ? Math.min(100, (100 * cost) / b) : (cost > 0 ? 100 : 0)}%`;
      const alone = (plan.separate || {})[nation] || {};
      return el("tr", { "data-nation": nation },
        el("th", { scope: "row", text: nation }),
        el("td", { class: "num", text: num(cost) }),
        el("td", { class: "num", text: num(b) }),
        el("td", { class: "num", text: num(b - cost) }),
        el("td", {}, bar, ` ${b > 0 ? Math.round((100 * cost) / b) : 0} %`),
        el("td", { class: "num", text: num(alone.cost) }),
        el("td", { text: alone.status || "–" }));
    }));
  }

  function renderAttendance(plan, problem, n) {
    const exs = Object.fromEntries((problem.exercises || []).map((e) => [e.id, e]));
    const nationOf = Object.fromEntries((problem.units || []).map((u) => [u.id, u.nation]));
    const fixed = new Set((problem.fixed || []).map((f) => `${f.unit}|${f.exercise}`));
    const byUnit = new Map();
    for (const a of plan.attend || []) {
      if (!byUnit.has(a.unit)) byUnit.set(a.unit, []);
      byUnit.get(a.unit).push(a.exercise);
    }
    const units = [...byUnit.keys()].sort((a, b) =>
      (nationOf[a] || "").localeCompare(nationOf[b] || "") || unitText(n, a).localeCompare(unitText(n, b)));
    const rows = [];
    for (const u of units) {
      const list = byUnit.get(u).sort((a, b) => String((exs[a] || {}).start).localeCompare(String((exs[b] || {}).start)));
      if (n.units[u]) raise(n.units[u].label.classification);
      list.forEach((x, i) => {
        const e = exs[x] || {};
        const rec = n.exercises[x];
        if (rec) raise(rec.label.classification);
        const tr = el("tr", { class: i === 0 ? "first" : null, "data-unit": u, "data-exercise": x });
        if (i === 0) {
          tr.append(el("td", { class: "unit", rowspan: String(list.length) },
            el("span", { class: `nation-tag nation-${nationOf[u] || ""}`, text: nationOf[u] || "?" }), " ",
            unitText(n, u)));
        }
        tr.append(
          el("td", {}, rec ? rec.name : x, fixed.has(`${u}|${x}`) ? el("span", { class: "fixed", text: "confirmed" }) : null),
          el("td", { class: "time", text: e.start ? `${e.start} – ${e.end}` : "" }),
          el("td", { class: "num", text: num(((e.cost || {})[nationOf[u]]) || 0) }));
        rows.push(tr);
      });
    }
    $("plan-attend").querySelector("tbody").replaceChildren(...rows);
    $("plan-attend-empty").hidden = rows.length > 0;
  }

  function objectiveItem(n, id, extra) {
    const o = n.objectives[id];
    if (o) raise(o.label.classification);
    return el("li", { "data-objective": id },
      el("strong", { text: o ? o.name : id }),
      o ? ` — ${unitText(n, o.unit_a)} + ${unitText(n, o.unit_b)}, priority ${o.priority}` : "",
      extra || null);
  }

  function render(result, budget, n) {
    const plan = result.plan;
    const problem = result.problem;
    const st = $("plan-status");
    st.textContent = plan.status;
    st.className = `plan-status ${plan.status}`;
    $("plan-period").textContent = `${(problem.exercises || []).length} exercises, ${(problem.units || []).length} units, ` +
      `${(problem.objectives || []).length} objectives · solved in ${plan.solve_s} s`;
    const sep = plan.separate || {};
    $("plan-value").textContent = num(plan.value);
    $("plan-separate").textContent = num(sep.value);
    const gain = plan.value !== null && sep.value !== null && sep.value !== undefined ? plan.value - sep.value : null;
    $("plan-gain").textContent = gain === null ? "–" : `${gain > 0 ? "+" : ""}${num(gain)}`;
    $("plan-met-count").textContent = `${(plan.met || []).length} of ${(problem.objectives || []).length}`;
    renderCosts(plan, budget);
    renderAttendance(plan, problem, n);
    $("plan-met").replaceChildren(...(plan.met || []).map((id) => objectiveItem(n, id)));
    if (!(plan.met || []).length) $("plan-met").append(el("li", { class: "empty", text: "none" }));
    $("plan-open").replaceChildren(...(plan.open || []).map((o) =>
      objectiveItem(n, o.objective, el("span", { class: "why", text: o.why }))));
    if (!(plan.open || []).length) $("plan-open").append(el("li", { class: "empty", text: "none: every objective is met" }));
    $("plan-result").hidden = false;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (state.busy) return;
    const start = $("p-start").value;
    const end = $("p-end").value;
    const budget = { DNK: Number($("p-budget-dnk").value), FIN: Number($("p-budget-fin").value) };
    const msg = $("plan-message");
    if (!start || !end) { message(msg, "Give the first and the last start date.", "refused"); return; }
    if (NATIONS.some((x) => !Number.isFinite(budget[x]) || budget[x] < 0)) {
      message(msg, "Budgets are amounts in kEUR, zero or more.", "refused");
      return;
    }
    state.busy = true;
    $("p-submit").disabled = true;
    message(msg, "Planning …", "");
    try {
      const [result, n] = await Promise.all([
        api("/api/exercises/plan/stored", { method: "POST", json: { start, end, budget } }), names(start, end)]);
      render(result, budget, n);
      message(msg, "", "");
      state.done = (state.done || 0) + 1;
    } catch (err) {
      $("plan-result").hidden = true;
      message(msg, `Could not plan: ${err.message}`, "refused");
    } finally {
      state.busy = false;
      $("p-submit").disabled = false;
    }
  });
})();
