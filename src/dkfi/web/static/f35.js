/* dkfi — helpers the F-35 pages share (window.dkfiF35): those of every page (pages.js), the sites, percentages to two
 * decimals for the spares views, file downloads and day arithmetic of the maintenance plan. */
(function () {
  "use strict";

  const { api, bare, el } = window.dkfiPages;

  /** The sites the user may see, by bare key ({name, nation, kind, label}); best effort (empty on failure). */
  async function sites() {
    const rows = await api("/api/f35/sites").catch(() => []);
    return Object.fromEntries((rows || []).map((s) => [bare(s.key), s]));
  }

  /** A fraction as a percentage to two decimals by default: 0.9031 -> "90.31 %" */
  const pct = (x, digits) => window.dkfiPages.pct(x, digits === undefined ? 2 : digits);

  /** Save a Blob as a file (object URL, revoked after the click). */
  function download(blob, filename) {
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: filename, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  /** A calendar date "YYYY-MM-DD" as a day number from ``start`` (UTC, no time zone surprises). */
  function dayOf(iso, start) {
    const t = Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10));
    const s = Date.UTC(+start.slice(0, 4), +start.slice(5, 7) - 1, +start.slice(8, 10));
    return Math.round((t - s) / 86400000);
  }

  /** The ISO date ``days`` after ``start``. */
  function dateAfter(start, days) {
    const s = Date.UTC(+start.slice(0, 4), +start.slice(5, 7) - 1, +start.slice(8, 10));
    return new Date(s + days * 86400000).toISOString().slice(0, 10);
  }

  window.dkfiF35 = Object.assign({}, window.dkfiPages, { sites, pct, download, dayOf, dateAfter });
})();
