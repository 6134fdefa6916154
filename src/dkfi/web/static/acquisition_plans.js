/* dkfi — acquisition plans page: both nations' plan items on one timeline (capability areas as groups, a Danish and
 * a Finnish lane in each, delivery windows as bars; overlapping windows of one lane stack), and the plan import
 * (planners): the file goes as it is, CSV as text/csv and XLSX with its own content type, to
 * POST /api/acquisition/plans/import; the report (received, stored, each rejected line and why) is shown, after a
 * reload when rows were stored. */
(function () {
  "use strict";
  const A = window.dkfiAcq;
  const { el, $, api, money, moneyShort, labelText, raise, flash } = A;
  const NATIONS = ["DNK", "FIN"];
  const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  const KEY = "dkfi.acquisition.import";

  // ---- the timeline ----------------------------------------------------------------------------------------------

  const utc = (iso) => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10));

  /** Items of one lane in rows so that no two windows in a row overlap (first fit, by start). */
  function pack(items) {
    const rows = [];
    for (const it of [...items].sort((a, b) => a.delivery_start.localeCompare(b.delivery_start))) {
      const row = rows.find((r) => r.end < it.delivery_start);
      if (row) { row.items.push(it); row.end = it.delivery_end; }
      else rows.push({ items: [it], end: it.delivery_end });
    }
    return rows.map((r) => r.items);
  }

  function drawTimeline(node, items) {
    const y0 = Math.min(...items.map((i) => +i.delivery_start.slice(0, 4)));
    const y1 = Math.max(...items.map((i) => +i.delivery_end.slice(0, 4))) + 1;
    const t0 = Date.UTC(y0, 0, 1);
    const t1 = Date.UTC(y1, 0, 1);
    const at = (ms) => `${(100 * (ms - t0)) / (t1 - t0)}%`;
    const years = [];
    for (let y = y0; y < y1; y += 1) years.push(y);
    const grid = () => years.map((y) => el("span", { class: "tl-year-line", style: `left:${at(Date.UTC(y, 0, 1))}` }));
    const now = Date.now();
    const todayLine = () => (now > t0 && now < t1 ? el("span", { class: "tl-today", style: `left:${at(now)}`,
                                                                  title: "today" }) : null);

    const rows = [el("div", { class: "tl-row tl-scale" },
      el("div", { class: "tl-name" }, el("span", { class: "sub", text: "capability area · nation" })),
      el("div", { class: "tl-track" }, grid(), years.map((y) => el("span", {
        class: "tl-year", style: `left:${at(Date.UTC(y, 0, 1))};width:${at(Date.UTC(y0 + 1, 0, 1))}`, text: y })),
        todayLine()))];

    const areas = [...new Set(items.map((i) => i.capability_area))].sort();
    for (const area of areas) {
      const here = items.filter((i) => i.capability_area === area);
      rows.push(el("div", { class: "tl-row tl-group", "data-area": area },
        el("div", { class: "tl-name" }, el("strong", { text: area })),
        el("div", { class: "tl-track" }, grid())));
      for (const n of NATIONS) {
        const lane = here.filter((i) => i.nation === n);
        const packed = lane.length ? pack(lane) : [[]];
        packed.forEach((row, k) => {
          rows.push(el("div", { class: `tl-row tl-lane lane-${n}${k ? " more" : ""}`, "data-area": area,
                                "data-nation": n },
            el("div", { class: "tl-name" }, k ? null : el("span", { class: `nation-tag nation-${n}`, text: n }),
              k || lane.length ? null : el("span", { class: "sub inline", text: "no item" })),
            el("div", { class: "tl-track" }, grid(), todayLine(), row.map((i) => bar(i, at)))));
        });
      }
    }
    // items of a nation other than DNK and FIN (none today) get their own lane at the end
    const others = items.filter((i) => !NATIONS.includes(i.nation));
    if (others.length) {
      rows.push(el("div", { class: "tl-row tl-group" }, el("div", { class: "tl-name" }, el("strong", { text: "other" })),
        el("div", { class: "tl-track" }, grid())));
      for (const row of pack(others)) {
        rows.push(el("div", { class: "tl-row tl-lane" }, el("div", { class: "tl-name" }),
          el("div", { class: "tl-track" }, grid(), row.map((i) => bar(i, at)))));
      }
    }
    node.replaceChildren(...rows);
  }

  function bar(i, at) {
    raise(i.label && i.label.classification);
    const key = A.bare(i.key);
    const start = utc(i.delivery_start);
    const end = utc(i.delivery_end) + 86400000;
    const title = `${i.nation} ${i.id}: ${i.description}\n${i.delivery_start} – ${i.delivery_end} · ` +
      `${i.quantity.toLocaleString("en-GB")} units · ${money(i.budget)} ${i.currency} · ${i.status}\n` +
      `${labelText(i.label)}`;
    return el("a", { class: `tl-bar bar-${i.nation} st-${i.status}`, href: `#item-${key}`, "data-key": key,
                     "data-nation": i.nation, title, style: `left:${at(start)};width:calc(${at(end)} - ${at(start)})` },
      el("span", { class: "tl-id", text: i.id }), " ",
      el("span", { class: "tl-desc", text: i.description }),
      el("span", { class: "tl-money", text: ` · ${moneyShort(i.budget)} ${i.currency}` }));
  }

  const items = A.data("plan-items") || [];
  const tl = $("timeline");
  if (tl && items.length) drawTimeline(tl, items);

  // a bar leads to its row in the table: mark it
  window.addEventListener("hashchange", mark);
  function mark() {
    document.querySelectorAll("#plan-table tr.marked").forEach((r) => r.classList.remove("marked"));
    const id = decodeURIComponent(location.hash.slice(1));
    const row = id && document.getElementById(id);
    if (row) row.classList.add("marked");
  }
  mark();

  // ---- the import ------------------------------------------------------------------------------------------------

  const form = $("plan-import");
  const out = $("import-report");
  if (!form || !out) return;

  function show(file, report) {
    const rejected = report.rejected || [];
    out.className = `report ${rejected.length ? "partial" : "done"}`;
    out.setAttribute("role", "status");
    out.replaceChildren(
      el("p", { class: "summary" }, el("strong", { text: file }), `: ${report.received} rows received, `,
        el("span", { class: "stored", text: `${report.stored} stored` }), `, ${rejected.length} rejected`),
      rejected.length ? el("ul", { class: "rejected" }, rejected.map((r) =>
        el("li", {}, el("span", { class: "line", text: `line ${r.line}` }), " ", r.reason))) : null);
  }

  function refused(file, text) {
    out.className = "report refused";
    out.setAttribute("role", "alert");
    out.replaceChildren(el("p", {}, el("strong", { text: file }), `: not imported — ${text}`));
  }

  const saved = flash(KEY);
  if (saved) show(saved.file, saved.report);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const file = $("import-file").files[0];
    if (!file) { refused("no file", "choose a CSV or XLSX file"); return; }
    const xlsx = /\.xlsx$/i.test(file.name) || file.type === XLSX;
    out.className = "report";
    out.setAttribute("role", "status");
    out.textContent = `importing ${file.name} …`;
    $("import-submit").disabled = true;
    let report;
    try {
      report = await api("/api/acquisition/plans/import", { method: "POST", body: file,
                                                             contentType: xlsx ? XLSX : "text/csv" });
    } catch (err) {
      refused(file.name, err.message);
      return;
    } finally {
      $("import-submit").disabled = false;
    }
    if (report.stored > 0) {   // reload so the timeline, the totals and the table show the new items
      flash(KEY, { file: file.name, report });
      location.reload();
    } else {
      show(file.name, report);
    }
  });
})();
