/* dkfi — helpers the exercises pages share (window.dkfiEx): those of every page (pages.js) and the filter forms'
 * rule. Air-gapped: every request goes to this server; the CSRF header comes from csrf.js. */
(function () {
  "use strict";

  // GET forms (filters) leave out empty fields: "any" means no parameter, and the URL stays short
  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || (form.getAttribute("method") || "get").toLowerCase() !== "get" ||
        !form.closest(".ex-page") || !form.hasAttribute("action")) return;
    const emptied = [...form.elements].filter((f) => f.name && !f.disabled && f.value === "");
    for (const f of emptied) f.disabled = true;
    setTimeout(() => { for (const f of emptied) f.disabled = false; }, 0);   // usable again after back
  });

  window.dkfiEx = window.dkfiPages;
})();
