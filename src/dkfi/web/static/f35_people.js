/* dkfi — F-35 people and training page: "in 12 days" / "3 days ago" beside each expiry warning (counted from the
 * page's date, so the figures match the states the server gave). Without scripts the dates alone are shown. */
(function () {
  "use strict";
  const { dayOf } = window.dkfiF35;
  const h1 = document.querySelector(".people-page h1 .sub");
  const today = h1 ? (h1.textContent.match(/\d{4}-\d{2}-\d{2}/) || [])[0] : null;
  if (!today) return;
  for (const node of document.querySelectorAll(".days-left[data-until]")) {
    const until = node.dataset.until;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(until)) continue;
    const left = dayOf(until, today);
    node.textContent = left < 0 ? `(${-left} day${left === -1 ? "" : "s"} ago)` :
      left === 0 ? "(today)" : `(in ${left} day${left === 1 ? "" : "s"})`;
  }
})();
