// Documentation findings beside the codes, and the provider queries raised from them: draft -> edit -> mark
// sent -> record the provider's answer (or withdraw). chartcoder delivers nothing itself: the coder copies the
// query's text to the provider's channel. Everything from the note goes into the page as text, never as markup;
// nothing here is logged (queries quote the note).

const SEVERITY_NAMES = { error: "error", warning: "warning", info: "opportunity" };
const STATUS_NAMES = { open: "open", answered: "answered", withdrawn: "withdrawn" };
const ANSWER_NAMES = { clinical: "a listed option", other: "other", undetermined: "unable to determine" };

const COPY_LABEL = "Query text, to copy to the provider";

const $ = (id) => document.getElementById(id);

function el(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

const ctx = {
  getApi: () => null,
  toast: () => {},
  reportError: () => {},
  onChange: () => {},
  note: null,
  findings: [],
  queries: [],
  words: new Map(), // query id -> text, once shown in this tab (sent now, or read on request: audited)
  drafting: null, // { finding }
  answering: null, // query id
};

// --- dialogs (built here, so the page's HTML needs only the panel's hook) -----------------------------------
function draftDialog() {
  const dialog = el("dialog", { attrs: { id: "query-dialog", "aria-labelledby": "query-dialog-title" } }, [
    el("form", { className: "dialog-form", attrs: { id: "query-form", method: "dialog" } }, [
      el("h2", { text: "Provider query", attrs: { id: "query-dialog-title" } }),
      el("p", { className: "hint", text: "Clinical indicators quoted from the note:" }),
      el("ul", { className: "query-indicators", attrs: { id: "query-indicators" } }),
      el("label", { text: "Question", attrs: { for: "query-question" } }),
      el("textarea", { attrs: { id: "query-question", rows: "3", spellcheck: "true", required: true } }),
      el("label", { text: "Answer options, one per line", attrs: { for: "query-options" } }),
      el("textarea", { attrs: { id: "query-options", rows: "8", spellcheck: "true", required: true } }),
      el("p", {
        className: "hint",
        text: "Keep \u201cOther\u201d and \u201cUnable to determine\u201d; no leading wording, nothing about payment.",
      }),
      el("p", { className: "error", attrs: { id: "query-error", role: "alert" } }),
      el("div", { className: "dialog-actions" }, [
        el("button", { className: "ghost", text: "Cancel", attrs: { type: "button", id: "query-cancel" } }),
        el("button", { className: "primary", text: "Mark sent", attrs: { type: "submit", id: "query-send" } }),
      ]),
    ]),
  ]);
  document.body.append(dialog);
  $("query-form").addEventListener("submit", sendQuery);
  $("query-cancel").addEventListener("click", () => dialog.close());
  return dialog;
}

function answerDialog() {
  const dialog = el("dialog", { attrs: { id: "answer-dialog", "aria-labelledby": "answer-dialog-title" } }, [
    el("form", { className: "dialog-form", attrs: { id: "answer-form", method: "dialog" } }, [
      el("h2", { text: "The provider's answer", attrs: { id: "answer-dialog-title" } }),
      el("p", { className: "query-question", attrs: { id: "answer-question" } }),
      el("fieldset", { attrs: { id: "answer-options" } }, [el("legend", { text: "Answered" })]),
      el("label", { text: "The provider's words (required for \u201cOther\u201d)", attrs: { for: "answer-text" } }),
      el("textarea", { attrs: { id: "answer-text", rows: "3" } }),
      el("p", { className: "error", attrs: { id: "answer-error", role: "alert" } }),
      el("div", { className: "dialog-actions" }, [
        el("button", { className: "ghost", text: "Cancel", attrs: { type: "button", id: "answer-cancel" } }),
        el("button", { className: "ghost", text: "Withdraw query", attrs: { type: "button", id: "answer-withdraw" } }),
        el("button", { className: "primary", text: "Record answer", attrs: { type: "submit", id: "answer-save" } }),
      ]),
    ]),
  ]);
  document.body.append(dialog);
  $("answer-form").addEventListener("submit", recordAnswer);
  $("answer-cancel").addEventListener("click", () => dialog.close());
  $("answer-withdraw").addEventListener("click", withdrawQuery);
  return dialog;
}

// --- the panel ----------------------------------------------------------------------------------------------
function findingItem(finding, index) {
  const quotes = (finding.indicators.length ? finding.indicators : finding.evidence).filter((item) => item.text);
  const draft = finding.needs_query
    ? el("button", {
        className: "small draft-query",
        text: "Draft query",
        attrs: {
          type: "button",
          "data-finding": String(index),
          "aria-label": `Draft a provider query: ${finding.message}`,
        },
      })
    : null;
  draft?.addEventListener("click", () => openDraft(index));
  return el("li", { className: `finding severity-${finding.severity}`, attrs: { "data-kind": finding.kind } }, [
    el("span", {
      className: `severity severity-${finding.severity}`,
      text: SEVERITY_NAMES[finding.severity] || finding.severity,
    }),
    el("span", { className: "finding-message", text: finding.message }),
    quotes.length
      ? el("span", {
          className: "finding-quotes",
          text: quotes.map((item) => `\u201c${item.text}\u201d`).join(" \u00b7 "),
        })
      : null,
    el("span", { className: "finding-basis muted", text: finding.basis }),
    draft,
  ]);
}

function queryItem(query) {
  const words = ctx.words.get(query.id);
  const when = new Date(query.created_at).toLocaleString([], { dateStyle: "short", timeStyle: "short" });
  const answer = query.answer_kind ? ` \u00b7 answered: ${ANSWER_NAMES[query.answer_kind]}` : "";
  const buttons = [];
  if (query.status === "open") {
    const record = el("button", {
      className: "small record-answer",
      text: "Record answer",
      attrs: { type: "button", "data-query": query.id },
    });
    record.addEventListener("click", () => openAnswer(query.id));
    buttons.push(record);
  }
  if (!words) {
    const show = el("button", { className: "small ghost", text: "Show text", attrs: { type: "button" } });
    show.addEventListener("click", () => showWords(query.id));
    buttons.push(show);
  }
  const attrs = { "data-query": query.id, "data-status": query.status };
  return el("li", { className: `query status-${query.status}`, attrs }, [
    el("span", { className: `status query-status-${query.status}`, text: STATUS_NAMES[query.status] }),
    el("span", { className: "query-kind", text: `${query.finding_kind} \u00b7 sent ${when}${answer}` }),
    words ? el("pre", { className: "query-text", text: words, attrs: { tabindex: "0", title: COPY_LABEL } }) : null,
    ...buttons,
  ]);
}

function render() {
  const box = $("documentation-box");
  if (!box) return;
  if (!ctx.note || (!ctx.findings.length && !ctx.queries.length)) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  box.hidden = false;
  box.replaceChildren(
    el("h3", { attrs: { id: "documentation-title" } }, [
      document.createTextNode("Documentation "),
      el("span", { className: "count", text: String(ctx.findings.length) }),
    ]),
    el(
      "ol",
      { className: "finding-list", attrs: { id: "finding-list", "aria-label": "Documentation findings" } },
      ctx.findings.map(findingItem),
    ),
    ctx.queries.length ? el("h4", { text: "Provider queries", attrs: { id: "queries-title" } }) : null,
    ctx.queries.length
      ? el(
          "ol",
          { className: "query-list", attrs: { id: "query-list", "aria-labelledby": "queries-title" } },
          ctx.queries.map(queryItem),
        )
      : null,
  );
}

async function loadQueries() {
  const api = ctx.getApi();
  if (!api || !ctx.note) return;
  const noteId = ctx.note.id;
  const query = new URLSearchParams({ note_id: noteId, limit: "200" });
  try {
    const page = (await api.request("GET", `/v1/queries?${query}`)).body;
    if (!ctx.note || ctx.note.id !== noteId) return; // another note opened meanwhile
    ctx.queries = page.items;
  } catch (error) {
    ctx.reportError(error);
  }
  render();
}

// --- draft -> edit -> mark sent -----------------------------------------------------------------------------
async function openDraft(index) {
  const api = ctx.getApi();
  const finding = ctx.findings[index];
  if (!api || !finding || !ctx.note) return;
  let draft;
  try {
    const json = { note_id: ctx.note.id, finding: findingIn(finding) };
    draft = (await api.request("POST", "/v1/queries/draft", { json })).body;
  } catch (error) {
    ctx.reportError(error);
    return;
  }
  ctx.drafting = { finding };
  const dialog = $("query-dialog") || draftDialog();
  $("query-indicators").replaceChildren(
    ...draft.indicators.map((item) =>
      el("li", { text: `\u201c${item.text}\u201d${item.section ? ` (${item.section})` : ""}` }),
    ),
  );
  $("query-question").value = draft.question;
  $("query-options").value = draft.options.join("\n");
  $("query-error").textContent = "";
  dialog.showModal();
  $("query-question").focus();
}

function findingIn(finding) {
  // the finding as the API takes it back (FindingIn): purged spans (text null) are never sent
  const spans = (items) =>
    (items || [])
      .filter((item) => item.text !== null)
      .map(({ start, end, text, section, assertion }) => ({ start, end, text, section, assertion }));
  return {
    kind: finding.kind,
    severity: finding.severity,
    message: finding.message || "",
    basis: finding.basis || "",
    evidence: spans(finding.evidence),
    indicators: spans(finding.indicators),
    codes: finding.codes || [],
    needs_query: Boolean(finding.needs_query),
  };
}

async function sendQuery(event) {
  event.preventDefault();
  const api = ctx.getApi();
  if (!api || !ctx.drafting || !ctx.note) return;
  const options = $("query-options").value.split("\n").map((line) => line.trim()).filter(Boolean);
  const body = {
    note_id: ctx.note.id,
    finding: findingIn(ctx.drafting.finding),
    question: $("query-question").value,
    options,
  };
  $("query-send").disabled = true;
  try {
    const stored = (await api.request("POST", "/v1/queries", { json: body })).body;
    ctx.words.set(stored.id, stored.text);
    $("query-dialog").close();
    ctx.drafting = null;
    ctx.toast("Query recorded as sent: copy its text to the provider.", "ok");
    await loadQueries();
    ctx.onChange();
    document.querySelector(`#query-list li[data-query="${stored.id}"] .record-answer`)?.focus();
  } catch (error) {
    ctx.reportError(error, $("query-error"));
  } finally {
    $("query-send").disabled = false;
  }
}

// --- answer / withdraw --------------------------------------------------------------------------------------
async function openAnswer(queryId) {
  const api = ctx.getApi();
  if (!api) return;
  let query;
  try {
    query = (await api.request("GET", `/v1/queries/${encodeURIComponent(queryId)}`)).body; // an audited read
  } catch (error) {
    ctx.reportError(error);
    return;
  }
  ctx.answering = queryId;
  const dialog = $("answer-dialog") || answerDialog();
  $("answer-question").textContent = query.question || "(The query's words were purged.)";
  const legend = $("answer-options").querySelector("legend");
  $("answer-options").replaceChildren(
    legend,
    ...(query.options || []).map((option, index) =>
      el("label", { className: "answer-option" }, [
        el("input", { attrs: { type: "radio", name: "query-answer", value: String(index), checked: index === 0 } }),
        document.createTextNode(` ${option}`),
      ]),
    ),
  );
  $("answer-text").value = "";
  $("answer-error").textContent = "";
  dialog.showModal();
  $("answer-options").querySelector("input")?.focus();
}

async function closeWith(path, json, done) {
  const api = ctx.getApi();
  if (!api || !ctx.answering) return;
  try {
    await api.request("POST", `/v1/queries/${encodeURIComponent(ctx.answering)}/${path}`, { json });
    $("answer-dialog").close();
    ctx.answering = null;
    ctx.toast(done, "ok");
    await loadQueries();
    ctx.onChange();
    $("note-pane")?.focus({ preventScroll: true }); // Enter then submits the review
  } catch (error) {
    ctx.reportError(error, $("answer-error"));
  }
}

function recordAnswer(event) {
  event.preventDefault();
  const chosen = $("answer-options").querySelector("input:checked");
  if (!chosen) {
    $("answer-error").textContent = "Choose the option the provider answered.";
    return;
  }
  const text = $("answer-text").value.trim();
  closeWith("answer", { option: Number(chosen.value), ...(text ? { text } : {}) }, "Answer recorded.");
}

function withdrawQuery() {
  const reason = $("answer-text").value.trim();
  closeWith("withdraw", reason ? { reason } : {}, "Query withdrawn.");
}

async function showWords(queryId) {
  const api = ctx.getApi();
  if (!api) return;
  try {
    const query = (await api.request("GET", `/v1/queries/${encodeURIComponent(queryId)}`)).body;
    ctx.words.set(queryId, query.text || "(The query's words were purged.)");
    render();
  } catch (error) {
    ctx.reportError(error);
  }
}

// --- what app.js calls --------------------------------------------------------------------------------------
export function setupQueries({ getApi, toast, reportError, onChange }) {
  Object.assign(ctx, { getApi, toast, reportError, onChange });
}

export function showQueries(note) {
  ctx.note = note;
  ctx.findings = (note.suggestions && note.suggestions.documentation) || [];
  ctx.queries = [];
  render();
  loadQueries();
}

export function clearQueries() {
  ctx.note = null;
  ctx.findings = [];
  ctx.queries = [];
  ctx.words = new Map();
  render();
}

// The `q` key: draft a query from the first finding that needs the provider.
export function draftFirstQuery() {
  const index = ctx.findings.findIndex((finding) => finding.needs_query);
  if (index < 0) {
    ctx.toast("No finding on this note needs a provider query.");
    return;
  }
  openDraft(index);
}
