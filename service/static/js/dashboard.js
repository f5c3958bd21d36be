// The coding manager's dashboard: GET /v1/stats drawn as inline SVG (no charting library, nothing from a CDN).
// Every text comes from the server and goes in with textContent, never as markup. Each chart is a focusable
// figure whose SVG carries a text summary (role="img"), so the keyboard and a screen reader reach all of it.

const SVG = "http://www.w3.org/2000/svg";
const BAR_WIDTH = 360; // px of the longest bar
const LABEL_WIDTH = 190;
const ROW_HEIGHT = 22;
const TOP = 10; // rows shown per chart
const NOTE_WIDTH = 100; // px after the longest bar for its figure ("15229.33 / h")

const DECISIONS = [
  { key: "accepted", name: "accepted", className: "seg-accepted" },
  { key: "added", name: "added by the coder", className: "seg-added" },
  { key: "rejected", name: "rejected", className: "seg-rejected" },
];

// Provider queries by status (issue 16's workflow, counted in /v1/stats "queries").
const QUERY_STATES = [
  { key: "answered", name: "answered", className: "seg-accepted" },
  { key: "open", name: "open", className: "seg-added" },
  { key: "withdrawn", name: "withdrawn", className: "seg-rejected" },
];
const $ = (id) => document.getElementById(id);

function html(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function percent(rate) {
  return rate === null || rate === undefined ? "–" : `${Math.round(rate * 1000) / 10}%`;
}

function clip(text, length = 28) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

let figures = 0;
// A <figure> with its caption and one SVG; `summary` is what the SVG says in words.
function figure(caption, drawing, summary) {
  const id = `dash-fig-${++figures}`;
  drawing.setAttribute("role", "img");
  drawing.setAttribute("aria-label", summary || "No data in this period.");
  drawing.prepend(svg("title", {}, summary || "No data in this period."));
  return html("figure", { className: "chart", attrs: { tabindex: "0", "aria-labelledby": id } }, [
    html("figcaption", { text: caption, attrs: { id } }),
    drawing,
  ]);
}

function legend(series) {
  return html(
    "ul",
    { className: "chart-legend", attrs: { "aria-hidden": "true" } },
    series.map((item) => html("li", {}, [html("span", { className: `key ${item.className}` }), item.name])),
  );
}

// Horizontal stacked bars: rows [{label, values: {key: n}, note}], one segment per series.
function stackedBars(rows, series) {
  const max = Math.max(1, ...rows.map((row) => series.reduce((sum, item) => sum + (row.values[item.key] || 0), 0)));
  const height = Math.max(1, rows.length) * ROW_HEIGHT + 4;
  const drawing = svg("svg", {
    viewBox: `0 0 ${LABEL_WIDTH + BAR_WIDTH + NOTE_WIDTH} ${height}`,
    width: "100%",
    class: "bars",
    preserveAspectRatio: "xMinYMin meet",
  });
  if (!rows.length) drawing.append(svg("text", { x: 0, y: 16, class: "bar-note" }, "No data in this period."));
  rows.forEach((row, index) => {
    const y = index * ROW_HEIGHT + 2;
    const group = svg("g", { class: "bar-row" });
    group.append(svg("text", { x: LABEL_WIDTH - 6, y: y + 14, "text-anchor": "end", class: "bar-label" }, clip(row.label)));
    let x = LABEL_WIDTH;
    for (const item of series) {
      const value = row.values[item.key] || 0;
      if (!value) continue;
      const width = Math.max(1, (value / max) * BAR_WIDTH);
      const rect = svg("rect", { x, y: y + 3, width, height: ROW_HEIGHT - 8, class: item.className, rx: 2 });
      rect.append(svg("title", {}, `${row.label}: ${value} ${item.name}`));
      group.append(rect);
      x += width;
    }
    group.append(svg("text", { x: x + 6, y: y + 14, class: "bar-note" }, row.note ?? ""));
    drawing.append(group);
  });
  return drawing;
}

function describeRows(rows, series) {
  return rows
    .map((row) => {
      const parts = series.map((item) => `${row.values[item.key] || 0} ${item.name}`).join(", ");
      return `${row.label}: ${parts}${row.note ? ` (${row.note})` : ""}`;
    })
    .join("; ");
}

function barsFigure(caption, rows, series) {
  const box = html("div", { className: "chart-box" }, [figure(caption, stackedBars(rows, series), describeRows(rows, series))]);
  if (series.length > 1) box.append(legend(series));
  return box;
}

// Reviews per UTC day as columns.
function dayColumns(days) {
  const width = LABEL_WIDTH + BAR_WIDTH + NOTE_WIDTH;
  const height = 120;
  const drawing = svg("svg", { viewBox: `0 0 ${width} ${height + 20}`, width: "100%", class: "columns" });
  const max = Math.max(1, ...days.map((day) => day.reviews));
  const step = days.length ? Math.min(48, width / days.length) : width; // a few days stay narrow columns
  days.forEach((day, index) => {
    const columnHeight = Math.max(1, (day.reviews / max) * height);
    const rect = svg("rect", {
      x: index * step + step * 0.15,
      y: height - columnHeight,
      width: Math.max(1, step * 0.7),
      height: columnHeight,
      class: "seg-reviews",
      rx: 2,
    });
    rect.append(svg("title", {}, `${day.day}: ${day.reviews} reviews`));
    drawing.append(rect);
  });
  if (days.length) {
    drawing.append(svg("text", { x: 0, y: height + 16, class: "bar-note" }, days[0].day));
    const last = svg("text", { x: days.length * step, y: height + 16, "text-anchor": "end", class: "bar-note" });
    last.textContent = days.at(-1).day;
    if (days.length > 1) drawing.append(last);
  }
  const summary = days.map((day) => `${day.day}: ${day.reviews}`).join("; ");
  return figure("Reviews per day (every version)", drawing, summary);
}

function figuresBox(title, ...children) {
  return html("section", { className: "dash-section", attrs: { "aria-label": title } }, [
    html("h3", { text: title }),
    ...children,
  ]);
}

function numbers(stats) {
  const capture = stats.hcc_capture;
  const items = [
    ["Reviews", String(stats.reviews_total)],
    ["Notes reviewed", String(stats.notes_reviewed)],
    ["Acceptance", percent(stats.acceptance_rate)],
    ["HCC capture", capture ? percent(capture.capture_rate) : "–"],
    ["HCC codes rejected", capture ? String(capture.rejected) : "–"],
    ["Queries raised", stats.queries ? String(stats.queries.raised) : "–"],
    ["Query answer rate", stats.queries ? percent(stats.queries.answer_rate) : "–"],
    ["Median hours to answer", stats.queries && stats.queries.median_hours_to_answer != null ? String(stats.queries.median_hours_to_answer) : "–"],
  ];
  return html(
    "dl",
    { className: "dash-numbers" },
    items.flatMap(([name, value]) => [html("dt", { text: name }), html("dd", { text: value })]),
  );
}

function throughputTable(coders) {
  const head = ["Coder", "Reviews", "Timed", "Hours", "Encounters / h", "Codes / h", "Median min / review"];
  const rows = coders.map((row) => [
    row.coder,
    row.reviews,
    row.timed_reviews,
    row.hours.toFixed(2),
    row.encounters_per_hour ?? "–",
    row.codes_per_hour ?? "–",
    row.median_review_seconds === null ? "–" : (row.median_review_seconds / 60).toFixed(1),
  ]);
  return html("table", { className: "dash-table", attrs: { id: "dashboard-coders" } }, [
    html("caption", { text: "Throughput per coder (open to submit; a note open over an hour counts one hour)" }),
    html("thead", {}, [html("tr", {}, head.map((name) => html("th", { text: name, attrs: { scope: "col" } })))]),
    html(
      "tbody",
      {},
      rows.map((cells) =>
        html("tr", {}, cells.map((cell, index) => html(index ? "td" : "th", { text: String(cell), attrs: index ? {} : { scope: "row" } }))),
      ),
    ),
  ]);
}

export function renderDashboard(container, stats) {
  figures = 0;
  const accepted = DECISIONS.filter((item) => item.key !== "added");
  const coders = stats.per_coder || [];
  const chapters = stats.per_chapter || [];
  const capture = stats.hcc_capture || { accepted: 0, added: 0, rejected: 0, per_hcc: [] };
  const queries = stats.queries || { raised: 0, answer_rate: null, by_kind: [] };
  container.replaceChildren(
    numbers(stats),
    figuresBox(
      "Throughput",
      throughputTable(coders),
      barsFigure(
        "Codes reported per hour",
        coders.map((row) => ({ label: row.coder, values: { codes: row.codes_per_hour || 0 }, note: `${row.codes_per_hour ?? "–"} / h` })),
        [{ key: "codes", name: "codes per hour", className: "seg-reviews" }],
      ),
      dayColumns(stats.reviews_per_day || []),
    ),
    figuresBox(
      "Acceptance",
      barsFigure(
        "By model version",
        stats.per_model.map((row) => ({ label: row.model, values: row, note: percent(row.acceptance_rate) })),
        accepted,
      ),
      barsFigure(
        "By ICD-10-CM chapter",
        chapters.map((row) => ({ label: `${row.chapter} ${row.title}`, values: row, note: percent(row.acceptance_rate) })),
        DECISIONS,
      ),
    ),
    figuresBox(
      "What the engine misses",
      barsFigure(
        "Codes most often added by coders",
        stats.most_added.slice(0, TOP).map((row) => ({
          label: row.description ? `${row.code} ${row.description}` : row.code,
          values: { added: row.count },
          note: String(row.count),
        })),
        [DECISIONS[1]],
      ),
    ),
    figuresBox(
      "Risk adjustment (CMS-HCC V28, payment year 2026)",
      barsFigure(
        "HCC codes: captured vs rejected",
        [{ label: "All HCC codes", values: capture, note: percent(capture.capture_rate) }],
        DECISIONS,
      ),
      barsFigure(
        "By HCC",
        capture.per_hcc.slice(0, TOP).map((row) => ({ label: `HCC ${row.hcc} ${row.label}`, values: row })),
        DECISIONS,
      ),
    ),
    figuresBox(
      "Provider queries",
      barsFigure(
        "Queries by finding kind and status",
        queries.by_kind.slice(0, TOP).map((row) => ({ label: row.kind, values: row, note: String(row.raised) })),
        QUERY_STATES,
      ),
    ),
  );
}

async function load(getApi) {
  const api = getApi();
  const status = $("dashboard-status");
  if (!api) return;
  const days = $("dashboard-days").value;
  const query = new URLSearchParams({ top: "50" });
  if (days) query.set("days", days);
  status.textContent = "Loading…";
  try {
    const { body } = await api.request("GET", `/v1/stats?${query}`);
    renderDashboard($("dashboard-body"), body);
    const reviews = body.reviews_total === 1 ? "1 review" : `${body.reviews_total} reviews`;
    status.textContent = `${reviews}${days ? ` in the last ${days} days` : ""}.`;
  } catch (error) {
    status.textContent = error && error.message ? error.message : "The service could not be reached.";
  }
}

// Wires the dashboard button and dialog; `getApi` returns the signed-in Api (or null).
export function initDashboard(getApi) {
  const dialog = $("dashboard-dialog");
  if (!dialog) return;
  $("dashboard-open").addEventListener("click", () => {
    dialog.showModal();
    $("dashboard-days").focus();
    load(getApi);
  });
  $("dashboard-days").addEventListener("change", () => load(getApi));
  $("dashboard-close").addEventListener("click", () => dialog.close());
}
