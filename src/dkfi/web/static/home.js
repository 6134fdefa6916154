/* dkfi — the home page: GET /api/home, one tile per domain (figures, charts, a short list), each linking to its
 * page. Charts are drawn by Chart.js (static/vendor/chart.umd.min.js, from npm; no CDN). The banner rises to the
 * highest label behind the figures. window.dkfiHome: {ready, error, charts} for the page's tests. */
(function () {
  "use strict";

  const { el, api, message, raise, num, moneyShort, $ } = window.dkfiPages;
  const state = { ready: false, error: null, charts: [], tiles: [] };
  window.dkfiHome = state;

  const NATION_COLOURS = { DNK: "#c8102e", FIN: "#003580" };
  const NAMED_COLOURS = { "on order": "#a9b6c1", delivered: "#2f4a60" };
  const PALETTE = ["#2f6b8a", "#c46a00", "#5b8c3a", "#7b4fa0", "#8a5a44", "#3c8d93"];

  function colour(name, i) {
    return NATION_COLOURS[name] || NAMED_COLOURS[name] || PALETTE[i % PALETTE.length];
  }

  /** A figure's value: "–" when nothing gives it, large numbers short (2.9 M), percentages with one decimal. */
  function valueText(v, unit) {
    if (v === null || v === undefined) return "–";
    if (unit === "%") return num(v, 1);
    return Math.abs(v) >= 100000 ? moneyShort(v) : num(v, Number.isInteger(v) ? 0 : 1);
  }

  function tickText(v) {
    return Math.abs(v) >= 1000 ? moneyShort(v) : num(v, 0);
  }

  function figureNode(f) {
    const inner = [
      el("span", { class: "v" }, valueText(f.value, f.unit), f.unit && f.value !== null ? el("span", { class: "u", text: f.unit }) : null),
      el("span", { class: "k", text: f.label }),
      f.note ? el("span", { class: "n", text: f.note }) : null,
    ];
    return f.href ? el("a", { class: "figure", href: f.href }, ...inner) : el("div", { class: "figure" }, ...inner);
  }

  /** What the chart shows, in words, for screen readers (the canvas itself is a picture). */
  function describe(c) {
    const parts = c.categories.map((cat, i) => {
      const vals = c.series.map((s) => (c.series.length > 1 ? `${s.name} ${tickText(s.values[i])}` : tickText(s.values[i])));
      return `${cat}: ${vals.join(", ")}`;
    });
    return `${c.title}. ${parts.join("; ")}.`;
  }

  function chartNode(c, tileKey, index) {
    const fig = el("figure", { class: "chart", "data-chart": `${tileKey}-${index}` }, el("figcaption", { text: c.title }));
    if (c.empty) {
      fig.append(el("p", { class: "empty", text: "Nothing to draw: every bar is zero." }));
      return fig;
    }
    const canvas = el("canvas", { role: "img", "aria-label": describe(c) });
    fig.append(el("div", { class: "chart-box" }, canvas));
    // drawn once the figure is in the document (Chart.js sizes the canvas from its box)
    fig.draw = () => {
      const chart = new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: c.categories,
          datasets: c.series.map((s, i) => ({ label: s.name, data: s.values, backgroundColor: colour(s.name, i) })),
        },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          plugins: {
            legend: { display: c.series.length > 1, position: "bottom", labels: { boxWidth: 12 } },
            tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${tickText(ctx.parsed.y)}${c.unit ? " " + c.unit : ""}` } },
          },
          scales: {
            x: { stacked: c.stacked, ticks: { autoSkip: false, maxRotation: 50 } },
            y: { stacked: c.stacked, beginAtZero: true, ticks: { precision: 0, callback: tickText } },
          },
        },
      });
      state.charts.push({ key: `${tileKey}-${index}`, title: c.title, chart });
    };
    return fig;
  }

  function labelChip(classification) {
    raise(classification);
    return el("span", { class: `lbl cls-${String(classification).toLowerCase().replace(/ /g, "-")}`,
                        title: "the highest label of the records behind this tile", text: classification });
  }

  function tileNode(t) {
    const node = el("section", { class: `tile${t.error ? " tile-error" : ""}`, "data-domain": t.domain,
                                 "aria-labelledby": `tile-${t.domain}` },
      el("header", {},
        el("h2", { id: `tile-${t.domain}` }, el("a", { href: t.href, text: t.title })),
        labelChip(t.classification)));
    if (t.error) {
      node.append(el("p", { class: "error-text", role: "alert", text: `This tile ${t.error}.` }));
      return node;
    }
    if (t.figures.length) node.append(el("div", { class: "figures" }, ...t.figures.map(figureNode)));
    if (t.empty) node.append(el("p", { class: "empty", text: t.empty }));
    const charts = t.empty ? [] : t.charts.map((c, i) => chartNode(c, t.domain, i));
    if (charts.length) node.append(el("div", { class: "charts" }, ...charts));
    if (t.items.length) {
      node.append(el("div", { class: "items" }, el("h3", { text: t.items_title }),
        el("ul", {}, ...t.items.map((it) => el("li", {},
          it.href ? el("a", { href: it.href, text: it.text }) : it.text,
          it.note ? el("span", { class: "n", text: it.note }) : null)))));
    }
    node.draws = charts.filter((c) => c.draw);
    return node;
  }

  async function load() {
    const box = $("tiles");
    try {
      const home = await api("/api/home");
      raise(home.classification);
      const asof = $("home-asof");
      if (asof) asof.textContent = `As of ${new Date(home.as_of).toLocaleString("en-GB")}.`;
      state.tiles = home.tiles;
      if (!home.tiles.length) {
        message($("home-message"), "No domain on this node puts a tile here.", "done");
      }
      const nodes = home.tiles.map(tileNode);
      box.replaceChildren(...nodes);
      for (const n of nodes) for (const c of n.draws || []) c.draw();
    } catch (err) {
      state.error = err.message;
      message($("home-message"), `The figures could not be loaded: ${err.message}`, "refused");
    } finally {
      box.setAttribute("aria-busy", "false");
      state.ready = true;
    }
  }

  load();
})();
