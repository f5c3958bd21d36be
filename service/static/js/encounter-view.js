// Reviewing an encounter: its documents as tabs, the evidence of each code across them, one code set to
// accept / reject / add / reorder (and POA for inpatient encounters), submitted once.
//
// A view of its own beside the notes' workspace (Shift+E switches). It listens to keys in the capture phase
// while it is shown, so the notes' shortcuts never act on a hidden note. Everything from the chart goes into
// the page as text nodes (renderNote), never as markup; the encounter's text is read only through
// GET /v1/encounters/{id}, which the service audits (and counts as the moment the coder opened it).

import { ApiError, newIdempotencyKey } from "./api.js";
import { PALETTE_SIZE, assertionLabel, renderNote, sectionLabel } from "./note-view.js";

const POA_VALUES = ["Y", "N", "U", "W", "1"];
const TYPE_NAMES = {
  history_and_physical: "H&P",
  emergency_department: "ED note",
  progress_note: "Progress note",
  consult_note: "Consult",
  operative_note: "Operative note",
  discharge_summary: "Discharge summary",
  provider_note: "Provider note",
  nurse_intake: "Nurse intake",
};
const ROLE_NAMES = { principal: "principal", first_listed: "first-listed" };

const view = {
  api: null,
  shown: false,
  queue: [],
  encounter: null,
  items: [], // { suggestion, index, decision, poa }
  order: [], // suggestion indexes in reporting order
  added: [], // { code, description, poa }
  current: 0,
  documentIndex: 0,
  marks: new Map(),
  evidenceCursor: new Map(), // suggestion index -> the evidence piece shown last
  retry: null,
  submitting: false,
};

function el(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

const $ = (id) => document.getElementById(id);

function build(root) {
  root.replaceChildren(
    el("nav", { className: "pane queue-pane", attrs: { "aria-labelledby": "enc-queue-title" } }, [
      el("div", { className: "pane-head" }, [el("h2", { text: "Encounters", attrs: { id: "enc-queue-title" } })]),
      el("button", {
        className: "small wide",
        attrs: { id: "enc-next", type: "button", "aria-keyshortcuts": "n" },
        text: "Next encounter (n)",
      }),
      el("p", { className: "muted", attrs: { id: "enc-queue-count", "aria-live": "polite" } }),
      el("ol", { className: "queue-list", attrs: { id: "enc-queue-list", "aria-label": "Encounters to review" } }),
    ]),
    el("main", { className: "pane note-pane", attrs: { id: "enc-document-pane", tabindex: "-1" } }, [
      el("div", { className: "note-head" }, [
        el("h2", { text: "No encounter open", attrs: { id: "enc-title" } }),
        el("p", { className: "muted", attrs: { id: "enc-meta" } }),
      ]),
      el("div", {
        className: "enc-tabs",
        attrs: { id: "enc-tabs", role: "tablist", "aria-label": "Documents of the encounter" },
      }),
      el("div", {
        className: "note-text",
        attrs: { id: "enc-document", role: "tabpanel", tabindex: "0", hidden: "" },
      }),
    ]),
    el("aside", { className: "pane review-pane", attrs: { "aria-labelledby": "enc-codes-title" } }, [
      el("div", { className: "pane-head" }, [
        el("h2", { text: "Encounter code set", attrs: { id: "enc-codes-title" } }),
      ]),
      el("ol", { className: "suggestion-list", attrs: { id: "enc-code-list", "aria-labelledby": "enc-codes-title" } }),
      el("section", { className: "added" }, [
        el("label", { text: "Add a code (/)", attrs: { for: "enc-add" } }),
        el("input", {
          attrs: { id: "enc-add", type: "text", autocomplete: "off", spellcheck: "false", placeholder: "words or a code" },
        }),
        el("ul", { className: "search-results", attrs: { id: "enc-add-results", role: "listbox", hidden: "" } }),
        el("ul", { className: "added-list", attrs: { id: "enc-added-list", "aria-label": "Codes added by hand" } }),
      ]),
      el("div", { className: "submit-bar" }, [
        el("p", { className: "review-summary", attrs: { id: "enc-summary", "aria-live": "polite" } }),
        el("button", {
          className: "primary",
          attrs: { id: "enc-submit", type: "button", disabled: "" },
          text: "Submit encounter review (Enter)",
        }),
        el("p", { className: "error", attrs: { id: "enc-error", role: "alert" } }),
      ]),
    ]),
  );
  $("enc-next").addEventListener("click", openNext);
  $("enc-submit").addEventListener("click", submit);
  $("enc-add").addEventListener("keydown", onAddKey);
}

// --- showing and hiding -------------------------------------------------------------------------------------
export function attachEncounters(api) {
  view.api = api;
  const toggle = $("encounters-toggle");
  if (toggle) toggle.hidden = false;
}

export function detachEncounters() {
  view.api = null;
  hide();
  const toggle = $("encounters-toggle");
  if (toggle) toggle.hidden = true;
  view.encounter = null;
  view.queue = [];
}

async function show() {
  if (!view.api) return;
  const root = $("encounter-workspace");
  if (!root.firstChild) build(root);
  view.shown = true;
  root.hidden = false;
  $("workspace").hidden = true;
  document.body.dataset.view = "encounters";
  $("encounters-toggle").setAttribute("aria-pressed", "true");
  $("enc-next").focus();
  await loadQueue();
}

function hide() {
  view.shown = false;
  const root = $("encounter-workspace");
  if (root) root.hidden = true;
  if (view.api) $("workspace").hidden = false;
  delete document.body.dataset.view;
  $("encounters-toggle")?.setAttribute("aria-pressed", "false");
}

function toggle() {
  if (view.shown) hide();
  else show();
}

// --- queue ----------------------------------------------------------------------------------------------------
async function loadQueue() {
  try {
    const page = (await view.api.request("GET", "/v1/encounters?status=pending&limit=100")).body;
    view.queue = page.items;
    $("enc-queue-count").textContent = `${page.total} pending`;
  } catch (error) {
    $("enc-queue-count").textContent = error.message;
    return;
  }
  $("enc-queue-list").replaceChildren(
    ...view.queue.map((item) => {
      const button = el("button", {
        attrs: { type: "button", "data-id": item.id },
        text: `${item.external_id || item.id.slice(0, 8)} · ${item.document_count} documents · ${item.setting}`,
      });
      button.addEventListener("click", () => openEncounter(item.id));
      return el("li", {}, [button]);
    }),
  );
}

async function openNext() {
  await loadQueue();
  const next = view.queue.find((item) => !view.encounter || item.id !== view.encounter.id);
  if (next) await openEncounter(next.id);
  else $("enc-summary").textContent = "No encounter is waiting for review.";
}

// --- one encounter ----------------------------------------------------------------------------------------------
async function openEncounter(id) {
  let encounter;
  try {
    encounter = (await view.api.request("GET", `/v1/encounters/${encodeURIComponent(id)}`)).body;
  } catch (error) {
    $("enc-error").textContent = error.message;
    return;
  }
  view.encounter = encounter;
  view.items = encounter.suggestions.suggestions.map((suggestion, index) => ({
    suggestion,
    index,
    decision: null,
    poa: suggestion.poa,
  }));
  view.order = view.items.map((item) => item.index);
  view.added = [];
  view.current = 0;
  view.retry = null;
  view.evidenceCursor = new Map();
  $("enc-error").textContent = "";
  $("enc-title").textContent = `Encounter ${encounter.external_id || encounter.id.slice(0, 8)}`;
  const when = encounter.service_date ? ` · service date ${encounter.service_date}` : "";
  $("enc-meta").textContent = `${encounter.setting}${when} · ${encounter.documents.length} documents`;
  renderTabs();
  showDocument(0);
  renderCodes();
  setCurrent(0);
}

function documentName(document) {
  const type = TYPE_NAMES[document.type] || document.type;
  return document.date ? `${type} ${document.date}` : type;
}

function renderTabs() {
  const tabs = view.encounter.documents.map((doc, index) => {
    const tab = el("button", {
      className: "enc-tab",
      text: documentName(doc),
      attrs: {
        type: "button",
        role: "tab",
        id: `enc-tab-${index}`,
        "data-document": doc.document_id,
        "aria-controls": "enc-document",
        "aria-selected": "false",
        tabindex: "-1",
      },
    });
    tab.addEventListener("click", () => showDocument(index));
    tab.addEventListener("keydown", (event) => {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        event.stopPropagation();
        showDocument(index + (event.key === "ArrowRight" ? 1 : -1), { focusTab: true });
      }
    });
    return tab;
  });
  $("enc-tabs").replaceChildren(...tabs);
}

function documentSuggestions(documentId) {
  // Every suggestion (indexes kept: the marks' keys name them) with only this document's evidence.
  const only = (list) => list.map((item) => ({ ...item, evidence: item.evidence.filter((p) => p.document_id === documentId) }));
  return { suggestions: only(view.encounter.suggestions.suggestions), excluded: only(view.encounter.suggestions.excluded) };
}

function showDocument(index, { focusTab = false } = {}) {
  const documents = view.encounter.documents;
  view.documentIndex = (index + documents.length) % documents.length;
  const document_ = documents[view.documentIndex];
  document.querySelectorAll("#enc-tabs [role=tab]").forEach((tab, i) => {
    const selected = i === view.documentIndex;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    if (selected && focusTab) tab.focus();
  });
  const panel = $("enc-document");
  panel.hidden = false;
  panel.setAttribute("aria-labelledby", `enc-tab-${view.documentIndex}`);
  panel.dataset.document = document_.document_id;
  if (document_.text === null) {
    panel.replaceChildren(el("p", { className: "muted", text: "The text of this document has been purged." }));
    view.marks = new Map();
    return;
  }
  const { suggestions, excluded } = documentSuggestions(document_.document_id);
  view.marks = renderNote(panel, document_.text, suggestions, excluded);
}

function renderCodes() {
  const list = $("enc-code-list");
  list.replaceChildren(...view.order.map((index) => codeCard(view.items[index])));
  renderAdded();
  updateSummary();
}

function codeCard(item) {
  const { suggestion, index } = item;
  const card = el("li", {
    className: `suggestion c${index % PALETTE_SIZE}`,
    attrs: { "data-code": suggestion.code, "data-index": String(index), tabindex: "-1" },
  });
  const head = el("div", { className: "card-head" }, [
    el("span", { className: "code", text: suggestion.code }),
    el("span", { className: "description", text: ` ${suggestion.description}` }),
  ]);
  const status = el("p", { className: "decision muted", attrs: { "data-role": "status" } });
  const evidence = el(
    "ul",
    { className: "evidence", attrs: { "aria-label": `Evidence of ${suggestion.code}` } },
    suggestion.evidence.map((piece, k) => {
      const document_ = view.encounter.documents.find((d) => d.document_id === piece.document_id);
      const words = piece.text === null ? "(purged)" : `"${piece.text}"`;
      const button = el("button", {
        className: "evidence-link",
        attrs: { type: "button", "data-document": piece.document_id, "data-evidence": String(k) },
        text: `${document_ ? documentName(document_) : piece.document_id}: ${words} · ${sectionLabel(piece.section)}`
          + (piece.assertion === "present" ? "" : ` · ${assertionLabel(piece.assertion)}`),
      });
      button.addEventListener("click", () => jumpTo(index, k));
      return el("li", {}, [button]);
    }),
  );
  card.append(head, status, evidence);
  card.addEventListener("click", (event) => {
    if (!event.target.closest("button")) setCurrent(view.order.indexOf(index), { focus: false });
  });
  updateCard(card, item);
  return card;
}

function reported() {
  // Accepted suggestions in their order, then the added codes: the reporting order (rank 1 principal).
  const accepted = view.order.map((index) => view.items[index]).filter((item) => item.decision === "accepted");
  return [...accepted.map((item) => item.suggestion.code), ...view.added.map((added) => added.code)];
}

function updateCard(card, item) {
  const sequence = reported();
  const place = sequence.indexOf(item.suggestion.code);
  const role = place === 0 ? (view.encounter.setting === "inpatient" ? "principal" : "first-listed") : null;
  const parts = [item.decision || "undecided"];
  if (place >= 0) parts.push(role ? `reported 1st: ${role}` : `reported #${place + 1}`);
  else if (!item.decision && ROLE_NAMES[item.suggestion.role]) parts.push(`engine: ${ROLE_NAMES[item.suggestion.role]}`);
  if (view.encounter.setting === "inpatient") parts.push(`POA ${item.poa || "-"}`);
  parts.push(`documents: ${item.suggestion.documents.join(", ")}`);
  card.querySelector("[data-role=status]").textContent = parts.join(" · ");
  card.dataset.decision = item.decision || "";
}

function cards() {
  return [...document.querySelectorAll("#enc-code-list > li")];
}

function setCurrent(position, { focus = true } = {}) {
  const list = cards();
  if (!list.length) return;
  view.current = Math.max(0, Math.min(position, list.length - 1));
  list.forEach((card, i) => card.classList.toggle("current", i === view.current));
  if (focus) list[view.current].focus();
}

function currentItem() {
  return view.items[view.order[view.current]];
}

function decide(decision) {
  const item = currentItem();
  if (!item) return;
  item.decision = decision;
  refreshCards();
  if (decision) setCurrent(view.current + 1);
}

function refreshCards() {
  for (const card of cards()) updateCard(card, view.items[Number(card.dataset.index)]);
  updateSummary();
}

function move(by) {
  const from = view.current;
  const to = from + by;
  if (to < 0 || to >= view.order.length) return;
  [view.order[from], view.order[to]] = [view.order[to], view.order[from]];
  renderCodes();
  setCurrent(to);
}

function cyclePoa() {
  const item = currentItem();
  if (!item || view.encounter.setting !== "inpatient") return;
  const at = POA_VALUES.indexOf(item.poa);
  item.poa = POA_VALUES[(at + 1) % POA_VALUES.length];
  refreshCards();
}

// Evidence that jumps across documents: each press shows the current code's next piece, in whichever document.
function nextEvidence() {
  const item = currentItem();
  if (!item || !item.suggestion.evidence.length) return;
  const last = view.evidenceCursor.get(item.index);
  const next = last === undefined ? 0 : (last + 1) % item.suggestion.evidence.length;
  jumpTo(item.index, next);
}

function jumpTo(index, k) {
  const piece = view.items[index].suggestion.evidence[k];
  view.evidenceCursor.set(index, k);
  const documentIndex = view.encounter.documents.findIndex((d) => d.document_id === piece.document_id);
  if (documentIndex !== view.documentIndex) showDocument(documentIndex);
  // the mark key counts this document's pieces only
  const inDocument = view.items[index].suggestion.evidence
    .slice(0, k + 1)
    .filter((other) => other.document_id === piece.document_id).length - 1;
  const marks = view.marks.get(`s${index}e${inDocument}`) || [];
  document.querySelectorAll("#enc-document mark.flash").forEach((mark) => mark.classList.remove("flash"));
  for (const mark of marks) mark.classList.add("flash");
  if (marks[0]) marks[0].scrollIntoView({ block: "center" });
  $("enc-document").dataset.shown = `${piece.document_id}:${piece.start}-${piece.end}`;
}

// --- adding a code ------------------------------------------------------------------------------------------------
async function onAddKey(event) {
  if (event.key === "Escape") {
    event.preventDefault();
    $("enc-add").value = "";
    $("enc-add-results").hidden = true;
    setCurrent(view.current);
    return;
  }
  if (event.key !== "Enter") return;
  event.preventDefault();
  const text = $("enc-add").value.trim();
  if (!text) return;
  try {
    const hits = (await view.api.request("GET", `/v1/codes/search?${new URLSearchParams({ q: text, limit: "5" })}`))
      .body.results;
    const hit = hits.find((result) => result.billable !== false) || hits[0];
    if (!hit) {
      $("enc-error").textContent = "No code matches that search.";
      return;
    }
    if (view.items.some((item) => item.suggestion.code === hit.code)) {
      $("enc-error").textContent = `${hit.code} is suggested already: accept it instead.`;
      return;
    }
    if (!view.added.some((added) => added.code === hit.code)) {
      view.added.push({ code: hit.code, description: hit.description, poa: null });
    }
    $("enc-add").value = "";
    $("enc-error").textContent = "";
    renderAdded();
    refreshCards();
    setCurrent(view.current);
  } catch (error) {
    $("enc-error").textContent = error.message;
  }
}

function renderAdded() {
  $("enc-added-list").replaceChildren(
    ...view.added.map((added) => {
      const remove = el("button", { className: "ghost small", attrs: { type: "button" }, text: "remove" });
      remove.addEventListener("click", () => {
        view.added = view.added.filter((other) => other.code !== added.code);
        renderAdded();
        refreshCards();
      });
      return el("li", { attrs: { "data-code": added.code } }, [
        el("span", { className: "code", text: added.code }),
        el("span", { text: ` ${added.description} ` }),
        remove,
      ]);
    }),
  );
}

// --- submitting once ------------------------------------------------------------------------------------------------
function payload() {
  const accepted = view.items.filter((item) => item.decision === "accepted").map((item) => item.suggestion.code);
  const rejected = view.items.filter((item) => item.decision === "rejected").map((item) => item.suggestion.code);
  const added = view.added.map((item) => item.code);
  const body = { accepted, rejected, added, sequence: reported() };
  if (view.encounter.setting === "inpatient") {
    body.poa = view.items
      .filter((item) => item.decision === "accepted" && item.poa)
      .map((item) => ({ code: item.suggestion.code, poa: item.poa }));
  }
  return body;
}

function updateSummary() {
  const decided = view.items.filter((item) => item.decision).length;
  // with no encounter open the line keeps its last word ("submitted", "nothing waiting")
  if (view.encounter) $("enc-summary").textContent = `${decided} of ${view.items.length} decided · ${view.added.length} added`;
  $("enc-submit").disabled = !view.encounter || view.submitting;
}

async function submit() {
  if (!view.encounter || view.submitting) return;
  const body = payload();
  if (!view.retry || view.retry.id !== view.encounter.id) {
    view.retry = { id: view.encounter.id, key: newIdempotencyKey() };
  }
  view.submitting = true;
  updateSummary();
  try {
    const response = await view.api.request("POST", `/v1/encounters/${encodeURIComponent(view.encounter.id)}/review`, {
      json: body,
      headers: { "Idempotency-Key": view.retry.key },
    });
    const review = response.body;
    const seconds = review.seconds_to_submit === null ? "" : ` in ${Math.round(review.seconds_to_submit)} s`;
    view.encounter = null;
    view.retry = null;
    $("enc-code-list").replaceChildren();
    $("enc-added-list").replaceChildren();
    $("enc-tabs").replaceChildren();
    $("enc-document").hidden = true;
    $("enc-title").textContent = "No encounter open";
    $("enc-meta").textContent = "";
    $("enc-summary").textContent = `Review version ${review.version} submitted${seconds}. Press n for the next encounter.`;
    await loadQueue();
    $("enc-next").focus();
  } catch (error) {
    $("enc-error").textContent = error.message;
    if (error instanceof ApiError && error.status !== 503) view.retry = null;
  } finally {
    view.submitting = false;
    updateSummary();
  }
}

// --- keys ---------------------------------------------------------------------------------------------------------
function typing(target) {
  return target instanceof HTMLElement && (target.closest("input, textarea, select") || target.isContentEditable);
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (!view.api || document.querySelector("dialog[open]") || typing(event.target)) return;
  if (event.key === "E") {
    event.preventDefault();
    event.stopImmediatePropagation();
    toggle();
    return;
  }
  if (!view.shown) return;
  const open = Boolean(view.encounter);
  const actions = {
    n: () => openNext(),
    j: () => open && setCurrent(view.current + 1),
    k: () => open && setCurrent(view.current - 1),
    J: () => open && move(1),
    K: () => open && move(-1),
    a: () => open && decide("accepted"),
    r: () => open && decide("rejected"),
    u: () => open && decide(null),
    o: () => open && cyclePoa(),
    e: () => open && nextEvidence(),
    "]": () => open && showDocument(view.documentIndex + 1, { focusTab: false }),
    "[": () => open && showDocument(view.documentIndex - 1, { focusTab: false }),
    "/": () => open && $("enc-add").focus(),
  };
  if (event.key === "Enter") {
    if (event.target instanceof HTMLElement && event.target.closest("button")) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    submit();
    return;
  }
  const action = actions[event.key];
  if (!action && !/^[a-zA-Z[\]/]$/.test(event.key)) return; // ?, Tab, Escape, arrows: the page's own
  event.preventDefault();
  event.stopImmediatePropagation(); // the notes' shortcuts never act on the hidden note
  if (action) action();
}

export function installEncounterView() {
  document.addEventListener("keydown", onKey, { capture: true });
  $("encounters-toggle")?.addEventListener("click", toggle);
}
