/* dkfi — acquisition opportunities page (planners): "Match now" (POST /api/acquisition/match), Confirm / Dismiss /
 * Reopen of one opportunity (POST /api/acquisition/opportunities/{key}/decision; the key holds "/" and "|", so each
 * path segment is encoded on its own), and "Open case" (POST /api/acquisition/cases with the Danish and the Finnish
 * item). The page reloads after each, with the outcome kept over the reload. Also marks the opportunities that
 * already have a joint case (GET /api/acquisition/cases). */
(function () {
  "use strict";
  const A = window.dkfiAcq;
  const { el, $, api, message, flash, pathKey } = A;
  const KEY = "dkfi.acquisition.opportunities";

  const saved = flash(KEY);
  if (saved) {
    const node = $("opps-message");
    message(node, saved.text, saved.kind);
    if (saved.href) node.append(" ", el("a", { href: saved.href, text: saved.link || "open" }));
  }

  function reloadWith(text, kind, href, link) {
    flash(KEY, { text, kind, href, link });
    location.reload();
  }

  // which opportunities already have a case: a link to it
  api("/api/acquisition/cases").then((cases) => {
    for (const c of cases || []) {
      if (!c.opportunity) continue;
      for (const card of document.querySelectorAll(".opp")) {
        if (A.bare(card.dataset.key) !== A.bare(c.opportunity)) continue;
        card.classList.add("has-case");
        card.querySelector(".opp-cases").append(el("a", { class: "case-link", href: `/acquisition/cases#case-${A.bare(c.key)}`,
                                                          title: c.title, text: `case: ${c.stage}` }));
      }
    }
  }).catch(() => { /* best effort */ });

  const matchBtn = $("match-now");
  if (matchBtn) {
    matchBtn.addEventListener("click", async () => {
      matchBtn.disabled = true;
      message($("opps-message"), "matching the plan items you may see …", "");
      try {
        const out = await api("/api/acquisition/match", { method: "POST" });
        const n = (out.matches || []).length;
        reloadWith(`Matched: ${n} pair${n === 1 ? "" : "s"} (${out.backend}); dismissed pairs stay dismissed.`, "done");
      } catch (err) {
        message($("opps-message"), `Not matched: ${err.message}`, "refused");
        matchBtn.disabled = false;
      }
    });
  }

  function itemName(card, nation) {
    const box = card.querySelector(`.opp-item-${nation}`);
    const desc = box && box.querySelector(".opp-desc");
    return desc ? desc.textContent.trim() : (box ? box.dataset.item : nation);
  }

  document.querySelectorAll(".opp").forEach((card) => {
    const msg = card.querySelector(".message");
    const key = card.dataset.key;
    const buttons = () => card.querySelectorAll("button");
    const busy = (on) => buttons().forEach((b) => { b.disabled = on; });

    card.querySelectorAll(".act-decide").forEach((b) => b.addEventListener("click", async () => {
      busy(true);
      try {
        await api(`/api/acquisition/opportunities/${pathKey(key)}/decision`, { method: "POST",
                                                                              json: { state: b.dataset.state } });
        reloadWith(`${A.bare(key)}: ${b.dataset.state}.`, "done");
      } catch (err) {
        message(msg, err.message, "refused");
        busy(false);
      }
    }));

    const open = card.querySelector(".act-case");
    if (open) {
      open.addEventListener("click", async () => {
        busy(true);
        const title = `${itemName(card, "DNK")} / ${itemName(card, "FIN")}`.slice(0, 200);
        try {
          const c = await api("/api/acquisition/cases", { method: "POST", json: {
            title, items: [card.dataset.dnk, card.dataset.fin], opportunity: key } });
          reloadWith(`Case ${A.bare(c.key)} opened (stage ${c.stage}).`, "done",
                     `/acquisition/cases#case-${A.bare(c.key)}`, "to the case");
        } catch (err) {
          message(msg, err.message, "refused");
          busy(false);
        }
      });
    }
  });
})();
