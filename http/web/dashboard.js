// The dashboard at `/` of `weir serve` (http/dashboard_routes.cpp): reads
// GET /v1/dashboard and draws it; charts are SVG elements built here, text
// goes in as text nodes. With API keys on the server, the key typed into the
// form is kept for this tab only (sessionStorage).
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const number = new Intl.NumberFormat("en");
  const percent = (value) => (value * 100).toFixed(1) + "%";
  const money = (value) => "$" + (value < 1 ? value.toFixed(4) : value.toFixed(2));

  function svg(tag, attributes, children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
    for (const child of children || []) node.append(child);
    return node;
  }

  // A bar per day; `series` is a list of [field, class] stacked bottom up.
  function barChart(container, days, series, format) {
    const width = 700, height = 160, left = 48, bottom = 18, top = 8;
    const totals = days.map((day) => series.reduce((sum, [field]) => sum + Number(day[field] || 0), 0));
    const most = Math.max(...totals, 0) || 1;
    const step = (width - left) / days.length;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": container.previousElementSibling.textContent });
    const scale = (value) => (value / most) * (height - top - bottom);
    chart.append(svg("line", { x1: left, x2: width, y1: height - bottom, y2: height - bottom }));
    chart.append(svg("text", { x: 0, y: top + 8 }, [format(most)]));
    chart.append(svg("text", { x: 0, y: height - bottom }, ["0"]));
    days.forEach((day, index) => {
      let base = height - bottom;
      for (const [field, className] of series) {
        const size = scale(Number(day[field] || 0));
        if (size > 0) {
          const bar = svg("rect", { class: "bar " + className, x: left + index * step + 2, y: base - size,
                                    width: Math.max(1, step - 4), height: size }, [svg("title", {}, [`${day.day}: ${format(Number(day[field]))}`])]);
          chart.append(bar);
          base -= size;
        }
      }
      if (index % Math.ceil(days.length / 7) === 0)
        chart.append(svg("text", { x: left + index * step + 2, y: height - 4 }, [day.day.slice(5)]));
    });
    container.replaceChildren(chart);
  }

  function fillTable(id, rows, cells) {
    const body = $(id).tBodies[0];
    body.replaceChildren(...rows.map((row) => {
      const line = document.createElement("tr");
      for (const [text, className] of cells(row)) {
        const cell = document.createElement("td");
        cell.textContent = text;
        if (className) cell.className = className;
        line.append(cell);
      }
      return line;
    }));
  }

  function show(report) {
    const totals = report.totals;
    $("requests").textContent = number.format(totals.requests);
    $("tokens").textContent = number.format(totals.tokens_in + totals.tokens_out);
    $("cost").textContent = money(totals.cost);
    $("cache-rate").textContent = percent(totals.cache_hit_rate);
    $("error-rate").textContent = percent(totals.error_rate);
    $("generated").textContent = "as of " + new Date(report.generated_at).toLocaleString();
    barChart($("tokens-chart"), report.days, [["tokens_in", "in"], ["tokens_out", "out"]], (value) => number.format(Math.round(value)));
    barChart($("cost-chart"), report.days, [["cost", "in"]], money);
    fillTable("gateways", report.gateways, (row) => [[row.name], [`${row.provider || ""}/${row.model || ""}`],
      [(row.collections || []).join(", ")], [row.cache && row.cache.mode ? row.cache.mode : "off"]]);
    fillTable("collections", report.collections, (row) => [[row.name], [number.format(row.documents)], [row.embedder]]);
    fillTable("recent", report.recent, (row) => [[new Date(row.created_at).toLocaleString()], [row.gateway || "-"], [row.front_door],
      [row.status, row.status === "ok" ? "" : "error"], [number.format(row.tokens_in + row.tokens_out)], [money(row.cost)],
      [Math.round(row.latency_ms) + " ms"]]);
    $("report").hidden = false;
  }

  async function load() {
    const key = sessionStorage.getItem("weir-key");
    const response = await fetch("/v1/dashboard", { headers: key ? { Authorization: "Bearer " + key } : {}, cache: "no-store" });
    if (response.status === 401) {
      $("key-form").hidden = false;
      $("key").focus();
      document.body.dataset.state = "key";
      return;
    }
    if (!response.ok) {
      let message = "The server answered " + response.status + ".";
      try { message = (await response.json()).error.message; } catch { /* not JSON */ }
      $("notice").textContent = message;
      $("notice").hidden = false;
      document.body.dataset.state = "failed";
      return;
    }
    show(await response.json());
    document.body.dataset.state = "ready";
  }

  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("weir-key", $("key").value.trim());
    $("key-form").hidden = true;
    load();
  });
  load().catch((error) => { $("notice").textContent = "The dashboard could not load: " + error.message; $("notice").hidden = false; });
})();
