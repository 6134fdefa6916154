/* dkfi — F-35 fleets and industry page: filter the sites and the aircraft by nation and by text (tail, base or
 * site name). Without scripts every row stays visible. */
(function () {
  "use strict";
  const { $ } = window.dkfiF35;
  const form = $("fleet-filter");
  if (!form) return;

  function apply() {
    const nation = (form.querySelector('input[name="nation"]:checked') || {}).value || "";
    const text = $("f-text").value.trim().toLowerCase();
    const counts = {};
    for (const id of ["sites", "aircraft"]) {
      const table = $(id);
      let shown = 0;
      if (table) {
        for (const tr of table.tBodies[0].rows) {
          const ok = (!nation || tr.dataset.nation === nation) && (!text || tr.dataset.text.includes(text));
          tr.hidden = !ok;
          if (ok) shown += 1;
        }
      }
      counts[id] = shown;
      const c = $(`${id}-count`);
      if (c && table) c.textContent = shown === table.tBodies[0].rows.length ? String(shown) :
        `${shown} of ${table.tBodies[0].rows.length}`;
    }
    for (const card of document.querySelectorAll(".nation-card")) {
      card.classList.toggle("dimmed", Boolean(nation) && card.dataset.nation !== nation);
    }
    $("filter-count").textContent = nation || text ?
      `showing ${counts.sites} sites and ${counts.aircraft} aircraft` : "";
  }

  form.addEventListener("change", apply);
  $("f-text").addEventListener("input", apply);
  apply();
})();
