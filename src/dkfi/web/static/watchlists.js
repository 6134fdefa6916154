// Watch lists page: the import form posts the chosen CSV to /api/watchlists and reloads the tables.
(function () {
  "use strict";
  const form = document.getElementById("import");
  const out = document.getElementById("import-result");
  const KEY = "dkfi.watchlists.result";
  if (out && sessionStorage.getItem(KEY)) {  // the result of the import that caused this reload
    out.textContent = sessionStorage.getItem(KEY);
    sessionStorage.removeItem(KEY);
  }
  if (!form) return;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const file = document.getElementById("i-file").files[0];
    if (!file) { out.textContent = "choose a CSV file"; return; }
    const q = new URLSearchParams({
      classification: document.getElementById("i-classification").value,
      releasable_to: document.getElementById("i-rel").value,
    });
    const list = document.getElementById("i-list").value.trim();
    if (list) q.set("list", list);
    out.textContent = "importing " + file.name + " …";
    let res, body;
    try {
      res = await fetch("/api/watchlists?" + q, {method: "POST", headers: {"Content-Type": "text/csv"},
                                                 body: await file.text()});
      body = await res.json();
    } catch (err) {
      out.textContent = "import failed: " + err;
      return;
    }
    if (!res.ok) { out.textContent = file.name + ": " + (body.detail || res.statusText); return; }
    const lists = Object.entries(body.lists).map(([n, c]) => n + " (" + c + ")").join(", ");
    let msg = file.name + ": " + body.stored + " entries stored in " + lists + ", " + body.replaced +
      " older entries replaced, " + body.bad_rows + " bad rows skipped";
    if (body.errors.length) msg += " — " + body.errors.slice(0, 5).map((x) => "row " + x.row + ": " + x.message).join("; ");
    sessionStorage.setItem(KEY, msg);
    location.reload();
  });
})();
