/* dkfi — lessons page: record an observation (POST /api/exercises/lessons) and move a lesson along the process
 * (POST /api/exercises/lessons/{id}/actions: identify, act, learn, reopen, note). The server decides; its 409/422
 * messages are shown beside the form. After a change the page reloads, scrolled to the lesson. */
(function () {
  "use strict";
  const { api, $, message, flash } = window.dkfiEx;
  const KEY = "dkfi.exercises.lessons";

  // the outcome of the change that caused this reload
  const done = flash(KEY);
  if (done) {
    message($("lessons-message"), done.text, "done");
    const card = $(`lesson-${done.id}`);
    if (card) {
      card.classList.add("fresh");
      card.scrollIntoView({ block: "center" });
      setTimeout(() => card.classList.remove("fresh"), 4000);
    }
  }

  function reloadAt(id, status, text) {
    flash(KEY, { id, text });
    const url = new URL(window.location.href);
    const filter = url.searchParams.get("status");
    if (filter && filter !== status) url.searchParams.delete("status");   // else the lesson would be filtered out
    url.hash = `lesson-${id}`;
    history.replaceState(null, "", url);
    window.location.reload();
  }

  const clean = (v) => { const t = String(v || "").trim(); return t === "" ? null : t; };

  // ---- the observation form ---------------------------------------------------------------------------
  const observe = $("observe");
  if (observe) {
    observe.addEventListener("submit", async (e) => {
      e.preventDefault();
      const msg = $("observe-message");
      const releasable = [...observe.querySelectorAll('input[name="rel"]:checked')].map((b) => b.value);
      const body = {
        title: clean($("o-title").value), observation: clean($("o-observation").value),
        exercise: clean($("o-exercise").value), objective: clean($("o-objective").value),
        classification: $("o-classification").value, releasable_to: releasable,
      };
      $("o-submit").disabled = true;
      message(msg, "Recording …", "");
      try {
        const lesson = await api("/api/exercises/lessons", { method: "POST", json: body });
        reloadAt(lesson.id, lesson.status, `Observation #${lesson.id} “${lesson.title}” recorded.`);
      } catch (err) {
        message(msg, `Not recorded: ${err.message}`, "refused");
        $("o-submit").disabled = false;
      }
    });
  }

  // ---- a step of one lesson ------------------------------------------------------------------------------
  const STEPS = { identify: "lesson identified", act: "remedial action started", learn: "lesson learned",
                  reopen: "reopened", note: "note added" };

  document.addEventListener("submit", async (e) => {
    const form = e.target.closest("form.step-form");
    if (!form) return;
    e.preventDefault();
    const card = form.closest("article.lesson");
    const id = card.dataset.id;
    const msg = card.querySelector(":scope > .message");
    const action = form.dataset.action;
    const body = { action };
    for (const f of ["lesson", "action_text", "owner", "due", "notes"]) {
      const input = form.elements.namedItem(f);
      if (input) body[f] = clean(input.value);
    }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    message(msg, "Saving …", "");
    try {
      const lesson = await api(`/api/exercises/lessons/${id}/actions`, { method: "POST", json: body });
      reloadAt(lesson.id, lesson.status, `Lesson #${lesson.id} “${lesson.title}”: ${STEPS[action] || action}.`);
    } catch (err) {
      message(msg, `Refused: ${err.message}`, "refused");
      button.disabled = false;
    }
  });
})();
