/* dkfi — exercise calendar page: the CSV import form (planners). The file goes as text/csv to
 * POST /api/exercises/calendar/import; the report (received, stored, each rejected line and why) is shown,
 * and after a reload when rows were stored, so the calendar shows them. */
(function () {
  "use strict";
  const { el, api, $, flash } = window.dkfiEx;
  const KEY = "dkfi.exercises.import";
  const form = $("cal-import");
  const out = $("import-report");

  function show(file, report) {
    const rejected = report.rejected || [];
    out.className = `report ${rejected.length ? "partial" : "done"}`;
    out.replaceChildren(
      el("p", { class: "summary" }, el("strong", { text: file }), `: ${report.received} rows received, `,
        el("span", { class: "stored", text: `${report.stored} stored` }), `, ${rejected.length} rejected`),
      rejected.length ? el("ul", { class: "rejected" }, ...rejected.map((r) =>
        el("li", {}, el("span", { class: "line", text: `line ${r.line}` }), " ", r.reason))) : null);
  }

  function refused(file, text) {
    out.className = "report refused";
    out.setAttribute("role", "alert");
    out.replaceChildren(el("p", {}, el("strong", { text: file }), `: not imported — ${text}`));
  }

  if (!form || !out) return;
  const saved = flash(KEY);
  if (saved) show(saved.file, saved.report);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const file = $("import-file").files[0];
    if (!file) { refused("no file", "choose a CSV file"); return; }
    out.className = "report";
    out.setAttribute("role", "status");
    out.textContent = `importing ${file.name} …`;
    let report;
    try {
      report = await api("/api/exercises/calendar/import", { method: "POST", text: await file.text(),
                                                              contentType: "text/csv" });
    } catch (err) {
      refused(file.name, err.message);
      return;
    }
    if (report.stored > 0) {   // reload so the grid and the list show the new exercises
      flash(KEY, { file: file.name, report });
      location.reload();
    } else {
      show(file.name, report);
    }
  });
})();
