/* dkfi — joint acquisition cases page (planners): each action form of a case card sends
 * POST /api/acquisition/cases/{key}/actions with {action, text, lead_nation, vehicle, eu_member_states}; on success
 * the page reloads (the outcome kept over the reload, the case scrolled to), a refusal (409: e.g. "open_case needs
 * both nations' approvals; missing: FIN") is shown in the card. */
(function () {
  "use strict";
  const A = window.dkfiAcq;
  const { api, message, flash } = A;
  const KEY = "dkfi.acquisition.cases";

  const saved = flash(KEY);
  if (saved) {
    const card = document.getElementById(saved.card);
    const node = card && card.querySelector(".message");
    if (node) {
      message(node, saved.text, "done");
      card.classList.add("marked");
      card.scrollIntoView({ block: "center" });
    }
  }
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target && target.classList.contains("case-card")) target.classList.add("marked");

  const DONE = { assess: "assessed", approve: "approved", open_case: "case opened", contract: "contracted",
                 deliver: "delivered", withdraw: "withdrawn" };

  document.querySelectorAll(".case-card").forEach((card) => {
    const msg = card.querySelector(".case-actions .message");
    const key = card.dataset.key;
    const vehicle = card.querySelector('select[name="vehicle"]');
    const eu = card.querySelector(".eu-states");
    if (vehicle && eu) {
      const toggle = () => { eu.hidden = vehicle.value !== "eu_instrument"; };
      vehicle.addEventListener("change", toggle);
      toggle();
    }
    card.querySelectorAll("form.act").forEach((form) => form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const action = form.dataset.action;
      const body = { action };
      const f = (name) => form.elements.namedItem(name);
      if (f("text")) body.text = f("text").value.trim() || null;
      if (f("lead_nation")) body.lead_nation = f("lead_nation").value;
      if (f("vehicle")) body.vehicle = f("vehicle").value;
      if (f("eu_member_states") && body.vehicle === "eu_instrument") {
        body.eu_member_states = f("eu_member_states").value.split(/[\s,;]+/).map((s) => s.trim().toUpperCase())
          .filter(Boolean);
      }
      const buttons = card.querySelectorAll("button");
      buttons.forEach((b) => { b.disabled = true; });
      message(msg, `${action.replace("_", " ")} …`, "");
      try {
        const c = await api(`/api/acquisition/cases/${encodeURIComponent(key)}/actions`, { method: "POST", json: body });
        flash(KEY, { card: card.id, text: `${DONE[action] || action}: the case is now ${c.stage}.` });
        location.reload();
      } catch (err) {
        message(msg, err.status === 409 ? `Refused: ${err.message}` : err.message, "refused");
        buttons.forEach((b) => { b.disabled = false; });
      }
    }));
  });
})();
