// The coder review page: sign in, work queue, note with highlighted evidence, decisions, submit.
// Note text only ever enters the page through textContent / text nodes, and is never logged or put in a URL.

import { Api, ApiError, newIdempotencyKey } from "./api.js";
import { attachEncounters, detachEncounters, installEncounterView } from "./encounter-view.js";
import { PALETTE_SIZE, assertionLabel, renderNote, sectionLabel } from "./note-view.js";
import { hccBadge } from "./hcc.js";
import { initDashboard } from "./dashboard.js";
import { clearQueries, draftFirstQuery, setupQueries, showQueries } from "./queries.js";
import { initFindView } from "./find-view.js";

const KEY_STORAGE = "chartcoder.apiKey";
const QUEUE_LIMIT = 100;
const SEARCH_DELAY_MS = 120;
const FLAG_NAMES = {
  needs_specificity: "needs a more specific code",
  seventh_character: "7th character",
  excludes1: "Excludes1 conflict",
  code_first: "code first",
  use_additional: "use additional code",
  code_also: "code also",
  unspecified: "unspecified",
  uncertain_inpatient: "uncertain (inpatient)",
};
const SPECIFIC_FLAGS = ["needs_specificity", "unspecified", "seventh_character"];
const LONG_FLAG = 120; // characters: longer coding-rule notes show two lines until expanded
const NOTE_KEYS = new Set(["j", "k", "J", "K", "a", "r", "u", "s", "e", "o", "q", "/"]);
// Present-on-admission indicators (Official Guidelines, Appendix I), in the order `o` cycles through them.
const POA_VALUES = ["Y", "N", "U", "W", "1"];
const POA_NAMES = {
  Y: "Y: present at admission",
  N: "N: not present at admission",
  U: "U: documentation insufficient",
  W: "W: clinically undetermined",
  1: "1: exempt from POA reporting",
};
const ROLE_NAMES = { principal: "principal", first_listed: "first-listed" };
const FULL_CODE = /^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$/;

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

function kbd(text) {
  return el("kbd", { text });
}

const state = {
  api: null,
  queue: [],
  queueTotal: 0,
  note: null,
  items: [], // one per suggestion: { suggestion, index, decision: null|accepted|rejected|replaced, replacement, poa }
  order: [], // item indices in the coder's reporting order (the engine's order until moved with J / K)
  added: [], // { code, description, billable, poa }
  current: 0, // an item index
  marks: new Map(),
  drafts: new Map(), // note id -> { items decisions, added } kept in memory while the tab lives
  submitting: false,
  retry: null, // { noteId, body, key }: the Idempotency-Key is reused while the same review is retried
  search: { results: [], active: -1, timer: 0, controller: null },
  openedAt: 0,
};

// --- messages ---------------------------------------------------------------------------------------------
let toastTimer = 0;
function toast(message, kind = "info") {
  const box = $("toast");
  box.textContent = message;
  box.dataset.kind = kind;
  box.classList.add("shown");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove("shown"), 3500);
}

function reportError(error, where) {
  const message = error instanceof ApiError ? error.message : "The service could not be reached.";
  if (where) where.textContent = message;
  else toast(message, "error");
}

// --- sign in / out ----------------------------------------------------------------------------------------
function makeApi(token) {
  return new Api(token, {
    onUnauthorized: (error) => signOut(`Signed out: ${error.message}`),
  });
}

async function signIn(token, { quiet = false } = {}) {
  const api = makeApi(token);
  try {
    await api.listNotes({ status: "pending", limit: 1 });
  } catch (error) {
    if (!quiet) reportError(error, $("sign-in-error"));
    if (error instanceof ApiError && error.status === 401) sessionStorage.removeItem(KEY_STORAGE);
    showSignIn();
    return false;
  }
  sessionStorage.setItem(KEY_STORAGE, token);
  state.api = api;
  attachEncounters(api);
  $("api-key").value = "";
  $("sign-in-error").textContent = "";
  $("sign-in").hidden = true;
  $("workspace").hidden = false;
  $("sign-out").hidden = false;
  // Focus leaves the key field before the queue loads: a key pressed meanwhile (n) is a command, not typing.
  $("next-note").focus();
  clearNote();
  await loadQueue();
  return true;
}

function showSignIn() {
  $("workspace").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("api-key").focus();
}

function signOut(message = "") {
  sessionStorage.removeItem(KEY_STORAGE);
  state.api = null;
  detachEncounters();
  state.queue = [];
  state.retry = null;
  clearNote();
  state.drafts.clear();
  $("queue-list").replaceChildren();
  $("queue-count").textContent = "";
  $("sign-in-error").textContent = message;
  showSignIn();
}

// --- queue ------------------------------------------------------------------------------------------------
function noteName(summary) {
  return summary.external_id || `note ${summary.id.slice(0, 8)}`;
}

function formatTime(iso) {
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? "" : when.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

async function loadQueue() {
  if (!state.api) return;
  const status = $("queue-status").value;
  try {
    const page = await state.api.listNotes({ status, limit: QUEUE_LIMIT });
    if (!state.api) return; // signed out meanwhile
    state.queue = page.items;
    state.queueTotal = page.total;
  } catch (error) {
    reportError(error);
    return;
  }
  renderQueue();
}

function renderQueue() {
  const list = $("queue-list");
  list.replaceChildren(
    ...state.queue.map((item) => {
      const open = state.note && state.note.id === item.id;
      const button = el(
        "button",
        {
          className: "queue-item",
          attrs: {
            type: "button",
            "aria-current": open ? "true" : null,
            "aria-label": `${noteName(item)}, ${item.status}, ${item.suggestion_count} suggestions`,
          },
        },
        [
          el("span", { className: "queue-name", text: noteName(item) }),
          el("span", { className: `status status-${item.status}`, text: item.status }),
          el("span", {
            className: "queue-meta",
            text: `${formatTime(item.created_at)} · ${item.suggestion_count} codes · ${item.setting}`,
          }),
        ],
      );
      button.addEventListener("click", () => openNote(item.id));
      return el("li", {}, [button]);
    }),
  );
  const shown = state.queue.length;
  const label = $("queue-status").selectedOptions[0].textContent.toLowerCase();
  $("queue-count").textContent =
    shown < state.queueTotal ? `${shown} of ${state.queueTotal} ${label}` : `${state.queueTotal} ${label}`;
}

async function openNext() {
  if (!state.api) return;
  if ($("queue-status").value !== "pending") {
    $("queue-status").value = "pending";
  }
  await loadQueue();
  const pending = state.queue.filter((item) => item.status === "pending");
  if (!pending.length) {
    clearNote();
    $("note-empty").firstElementChild.textContent = "The queue is empty: no pending notes. Paste one with p.";
    toast("No pending notes.");
    return;
  }
  const at = state.note ? pending.findIndex((item) => item.id === state.note.id) : -1;
  const next = at >= 0 ? pending[(at + 1) % pending.length] : pending[0];
  if (state.note && next.id === state.note.id && pending.length === 1) {
    toast("This is the only pending note.");
    return;
  }
  await openNote(next.id);
}

// --- one note ---------------------------------------------------------------------------------------------
function clearNote() {
  saveDraft();
  state.note = null;
  state.items = [];
  state.order = [];
  state.added = [];
  state.current = 0;
  state.marks = new Map();
  $("note-text").replaceChildren();
  $("note-text").hidden = true;
  $("note-empty").replaceChildren(EMPTY_HINT.cloneNode(true));
  $("note-empty").hidden = false;
  $("note-title").textContent = "No note open";
  $("note-meta").textContent = "";
  $("model-info").textContent = "";
  $("suggestion-list").replaceChildren();
  $("suggestion-count").textContent = "";
  $("suggestion-empty").hidden = true;
  $("added-list").replaceChildren();
  $("excluded-list").replaceChildren();
  $("excluded-count").textContent = "";
  $("history-box").hidden = true;
  $("submit-error").textContent = "";
  clearQueries();
  closeSearch();
  updateSummary();
}

function saveDraft() {
  if (!state.note) return;
  state.drafts.set(state.note.id, {
    decisions: state.items.map((item) => [item.decision, item.replacement, item.poa]),
    order: state.order.slice(),
    added: state.added.map((added) => ({ ...added })),
  });
}

async function openNote(id) {
  let note;
  try {
    note = await state.api.getNote(id);
  } catch (error) {
    reportError(error);
    return;
  }
  if (!state.api) return; // signed out meanwhile
  clearNote();
  state.note = note;
  state.openedAt = performance.now();
  const suggestions = note.suggestions.suggestions;
  const excluded = note.suggestions.excluded;
  state.items = suggestions.map((suggestion, index) => ({
    suggestion,
    index,
    decision: null,
    replacement: null,
    poa: suggestion.poa ?? null,
  }));
  state.order = state.items.map((item) => item.index);
  restoreDecisions(note);

  $("note-title").textContent = note.external_id ? `Note ${note.external_id}` : `Note ${note.id.slice(0, 8)}`;
  const meta = [note.setting, `queued ${formatTime(note.created_at)}`, note.status];
  if (note.encounter && note.encounter.specialty) meta.push(note.encounter.specialty);
  $("note-meta").textContent = meta.join(" · ");
  $("model-info").textContent = `Suggested by model ${note.suggestions.model || note.model} · ${note.suggestions.code_set}`;
  $("model-info").title = "The model version whose suggestions you are reviewing";

  if (note.text === null) {
    $("note-text").replaceChildren(
      el("p", {
        className: "purged",
        text: `The text of this note was purged${note.text_purged_at ? ` on ${formatTime(note.text_purged_at)}` : ""} (retention). Codes and offsets remain.`,
      }),
    );
    state.marks = new Map();
  } else {
    state.marks = renderNote($("note-text"), note.text, suggestions, excluded);
  }
  $("note-text").hidden = false;
  $("note-empty").hidden = true;
  $("note-pane").scrollTop = 0;

  renderSuggestions();
  renderExcluded(excluded);
  renderAdded();
  renderHistory(note.reviews);
  showQueries(note);
  renderQueue();
  updateSummary();
  if (state.items.length) setCurrent(state.order[0], { focus: true, scroll: false });
  else $("note-pane").focus({ preventScroll: true }); // Enter then submits "no code applies"
}

function restoreDecisions(note) {
  const draft = state.drafts.get(note.id);
  if (draft && draft.decisions.length === state.items.length) {
    draft.decisions.forEach(([decision, replacement, poa], i) => {
      state.items[i].decision = decision;
      state.items[i].replacement = replacement;
      state.items[i].poa = poa;
    });
    state.order = draft.order.slice();
    state.added = draft.added.map((added) => ({ ...added }));
    return;
  }
  const latest = note.reviews.length ? note.reviews[note.reviews.length - 1] : null;
  if (!latest) return;
  const accepted = new Set(latest.accepted);
  const rejected = new Set(latest.rejected);
  for (const item of state.items) {
    if (accepted.has(item.suggestion.code)) item.decision = "accepted";
    else if (rejected.has(item.suggestion.code)) item.decision = "rejected";
  }
  const poa = new Map((latest.poa || []).map((entry) => [entry.code, entry.poa]));
  for (const item of state.items) if (poa.has(item.suggestion.code)) item.poa = poa.get(item.suggestion.code);
  state.added = latest.added.map((code) => ({ code, description: "", billable: true, poa: poa.get(code) ?? null }));
  const place = new Map((latest.sequence || []).map((code, i) => [code, i]));
  if (place.size) {
    // the stored reporting order first (stable: the codes outside it keep the engine's order after it)
    const at = (index) => place.get(state.items[index].suggestion.code) ?? Number.MAX_SAFE_INTEGER;
    state.order.sort((a, b) => at(a) - at(b));
    state.added.sort((a, b) => (place.get(a.code) ?? Number.MAX_SAFE_INTEGER) - (place.get(b.code) ?? Number.MAX_SAFE_INTEGER));
  }
  for (const added of state.added) describeInto(added);
}

async function describeInto(added) {
  try {
    const detail = await state.api.describeCode(added.code);
    added.description = detail.description;
    added.billable = detail.billable;
    renderAdded();
  } catch {
    /* the code stays listed without its title */
  }
}

// --- suggestions ------------------------------------------------------------------------------------------
function renderSuggestions() {
  const list = $("suggestion-list");
  list.replaceChildren(...state.order.map((index) => suggestionCard(state.items[index])));
  $("suggestion-count").textContent = state.items.length ? `(${state.items.length})` : "";
  $("suggestion-empty").hidden = state.items.length > 0;
}

function suggestionCard(item) {
  const { suggestion, index } = item;
  const colour = `c${index % PALETTE_SIZE}`;
  const card = el("li", {
    className: `card ${colour}`,
    attrs: { tabindex: "-1", "data-index": String(index), "data-code": suggestion.code },
  });
  const score = Math.round(suggestion.score * 100);
  const bar = el("span", { className: "score-bar", attrs: { "aria-hidden": "true" } }, [el("span")]);
  bar.firstChild.style.width = `${Math.max(2, score)}%`;
  card.append(
    el("div", { className: "card-head" }, [
      el("span", { className: `swatch ${colour}`, attrs: { "aria-hidden": "true" } }),
      el("span", { className: "code", text: suggestion.code }),
      el("span", { className: "score", attrs: { title: `score ${suggestion.score}` } }, [
        bar,
        el("span", { text: `${score}%` }),
      ]),
      el("span", {
        className: suggestion.billable ? "badge billable" : "badge not-billable",
        text: suggestion.billable ? "billable" : "not billable",
      }),
      el("span", {
        className: suggestion.proposed ? "badge proposed" : "badge listed",
        text: suggestion.proposed ? "proposed" : "listed only",
        attrs: {
          title: suggestion.proposed
            ? "The engine proposes this code for the claim"
            : "Listed for your review only: below the engine's threshold",
        },
      }),
      ROLE_NAMES[suggestion.role]
        ? el("span", {
            className: "badge role",
            text: ROLE_NAMES[suggestion.role],
            attrs: { title: `The engine's ${ROLE_NAMES[suggestion.role]} diagnosis` },
          })
        : null,
      hccBadge(suggestion),
      el("span", { className: "decision-badge", attrs: { "aria-hidden": "true" } }),
    ]),
    el("p", { className: "title", text: suggestion.description }),
  );
  card.classList.toggle("proposed", Boolean(suggestion.proposed));
  if (suggestion.replaces && suggestion.replaces.length) {
    card.append(
      el("p", {
        className: "replaces",
        text: `Combination code: replaces ${suggestion.replaces.join(", ")} (not reported beside it)`,
      }),
    );
  }
  if (isInpatient()) card.append(poaControl(item));
  if (suggestion.flags.length) card.append(flagList(item));
  const specific = specificChoices(item);
  if (specific) card.append(specific);
  card.append(evidenceList(suggestion.evidence, `s${index}`));
  if (suggestion.rationale) card.append(el("p", { className: "rationale", text: suggestion.rationale }));
  card.append(el("p", { className: "replacement", attrs: { hidden: true } }));
  card.append(el("p", { className: "sequence", attrs: { hidden: true } }));
  const accept = el("button", {
    className: "accept",
    attrs: { type: "button", "aria-label": `Accept ${suggestion.code}`, "aria-pressed": "false" },
  }, [document.createTextNode("Accept "), kbd("a")]);
  const reject = el("button", {
    className: "reject",
    attrs: { type: "button", "aria-label": `Reject ${suggestion.code}`, "aria-pressed": "false" },
  }, [document.createTextNode("Reject "), kbd("r")]);
  accept.addEventListener("click", () => {
    setCurrent(index, { focus: false });
    decide(index, item.decision === "accepted" ? null : "accepted");
  });
  reject.addEventListener("click", () => {
    setCurrent(index, { focus: false });
    decide(index, item.decision === "rejected" ? null : "rejected");
  });
  card.append(el("div", { className: "actions" }, [accept, reject]));
  card.addEventListener("click", (event) => {
    if (event.target.closest("button, summary, a, input")) return;
    setCurrent(index, { focus: true });
  });
  card.addEventListener("mouseenter", () => linkMarks(`s${index}e`, true));
  card.addEventListener("mouseleave", () => linkMarks(`s${index}e`, false));
  return card;
}

function flagList(item) {
  const list = el("ul", { className: "flags", attrs: { "aria-label": "Coding rules" } });
  for (const flag of item.suggestion.flags) {
    const message = el("span", { className: "flag-message", text: flag.message });
    const entry = el("li", { className: `flag flag-${flag.kind}` }, [
      el("span", { className: "flag-kind", text: FLAG_NAMES[flag.kind] || flag.kind }),
    ]);
    if (flag.message.length > LONG_FLAG) {
      message.classList.add("clamped");
      const more = el("button", {
        className: "more",
        text: "more",
        attrs: { type: "button", "aria-expanded": "false", "aria-label": `Show the whole ${FLAG_NAMES[flag.kind] || flag.kind} note` },
      });
      more.addEventListener("click", () => {
        const open = message.classList.toggle("expanded");
        more.setAttribute("aria-expanded", String(open));
        more.textContent = open ? "less" : "more";
      });
      entry.append(more);
    }
    entry.append(message);
    if (!SPECIFIC_FLAGS.includes(flag.kind) && flag.codes.length) {
      const codes = el("span", { className: "flag-codes" });
      for (const code of flag.codes) {
        const other = state.items.find((candidate) => candidate.suggestion.code === code);
        if (other) {
          const go = el("button", {
            className: "chip suggested",
            text: code,
            attrs: { type: "button", "aria-label": `Go to the suggestion ${code}`, title: `${code} is suggested too: go to it` },
          });
          go.addEventListener("click", () => setCurrent(other.index));
          codes.append(go);
        } else if (flag.kind === "excludes1") {
          codes.append(el("span", { className: "chip plain", text: code }));
        } else if (FULL_CODE.test(code)) {
          const add = el("button", {
            className: "chip",
            text: code,
            attrs: { type: "button", "aria-label": `Add ${code}`, title: `Add ${code} to the review` },
          });
          add.addEventListener("click", () => addByCode(code));
          codes.append(add);
        } else {
          const look = el("button", {
            className: "chip range",
            text: code,
            attrs: { type: "button", "aria-label": `Search ${code}`, title: `Search codes for ${code}` },
          });
          look.addEventListener("click", () => searchFor(code.replace(/[.-]+$/, "").split("-")[0]));
          codes.append(look);
        }
      }
      entry.append(codes);
    }
    list.append(entry);
  }
  return list;
}

function specificOptions(suggestion) {
  const options = [];
  for (const flag of suggestion.flags) {
    if (flag.kind === "seventh_character") {
      const base = suggestion.code.slice(0, -1);
      for (const entry of flag.codes) {
        const [letter, ...rest] = entry.split(":");
        const code = base + letter.trim();
        if (code !== suggestion.code) options.push({ code, description: rest.join(":").trim(), seventh: true });
      }
    } else if (flag.kind === "needs_specificity" || flag.kind === "unspecified") {
      for (const code of flag.codes) {
        if (code !== suggestion.code && !options.some((option) => option.code === code)) {
          options.push({ code, description: "" });
        }
      }
    }
  }
  return options;
}

function specificChoices(item) {
  const options = specificOptions(item.suggestion);
  if (!options.length) return null;
  const box = el("details", { className: "specific" });
  const summary = el("summary", {}, [
    document.createTextNode(`Replace by a more specific code (${options.length}) `),
    kbd("s"),
  ]);
  const choices = el("div", { className: "choices", attrs: { role: "group", "aria-label": "More specific codes" } });
  for (const option of options) {
    const label = el("span", { className: "choice-title", text: option.description });
    const button = el(
      "button",
      {
        className: "choice",
        attrs: { type: "button", "data-code": option.code, "aria-label": `Replace ${item.suggestion.code} by ${option.code}` },
      },
      [el("span", { className: "code", text: option.code }), label],
    );
    button.addEventListener("click", () => replace(item.index, option.code, label.textContent));
    choices.append(button);
  }
  box.append(summary, choices);
  box.addEventListener("toggle", () => {
    if (box.open && !box.dataset.loaded) {
      box.dataset.loaded = "1";
      fillDescriptions(item.suggestion, options, choices);
    }
  });
  return box;
}

async function fillDescriptions(suggestion, options, choices) {
  // Titles of the choices: the children of the suggestion, or of its parent, in one or two look-ups.
  const wanted = options.filter((option) => !option.description);
  if (!wanted.length) return;
  const titles = new Map();
  const collect = (detail) => {
    for (const child of detail.children || []) titles.set(child.code, child.description);
  };
  try {
    const own = await state.api.describeCode(suggestion.code);
    collect(own);
    if (own.parents && own.parents.length) collect(await state.api.describeCode(own.parents[own.parents.length - 1].code));
  } catch {
    /* choices keep their codes */
  }
  const missing = wanted.filter((option) => !titles.has(option.code)).slice(0, 20);
  await Promise.all(
    missing.map(async (option) => {
      try {
        titles.set(option.code, (await state.api.describeCode(option.code)).description);
      } catch {
        /* unknown here */
      }
    }),
  );
  for (const button of choices.querySelectorAll("button.choice")) {
    const title = titles.get(button.dataset.code);
    if (title) button.querySelector(".choice-title").textContent = title;
  }
}

function evidenceList(evidence, prefix) {
  const list = el("ul", { className: "evidence", attrs: { "aria-label": "Evidence in the note" } });
  evidence.forEach((item, k) => {
    const key = `${prefix}e${k}`;
    const quote = item.text === null ? "(text purged)" : `“${item.text}”`;
    const button = el(
      "button",
      {
        className: `ev-link a-${item.assertion}`,
        attrs: {
          type: "button",
          "data-key": key,
          "aria-label": `Show in the note: ${item.text ?? "purged text"}, ${assertionLabel(item.assertion)}, ${sectionLabel(item.section)}`,
        },
      },
      [el("span", { className: "ev-quote", text: quote })],
    );
    if (item.text === null) button.disabled = true;
    button.addEventListener("click", () => showEvidence(key));
    button.addEventListener("mouseenter", () => linkMarks(key, true));
    button.addEventListener("mouseleave", () => linkMarks(key, false));
    const meta = [sectionLabel(item.section)];
    if (item.assertion !== "present") meta.push(assertionLabel(item.assertion));
    list.append(el("li", {}, [button, el("span", { className: "ev-meta", text: meta.join(" · ") })]));
  });
  return list;
}

// Mark elements of one evidence key ("s2e0"), or of every evidence of an item when given "s2e" / "x0e".
function marksFor(key) {
  if (!key.endsWith("e")) return state.marks.get(key) || [];
  const found = [];
  for (const [name, elements] of state.marks) if (name.startsWith(key)) found.push(...elements);
  return found;
}

function linkMarks(prefix, on) {
  for (const element of marksFor(prefix)) element.classList.toggle("linked", on);
}

function showEvidence(key) {
  const elements = marksFor(key);
  if (!elements.length) return;
  elements[0].scrollIntoView({ block: "center", behavior: "smooth" });
  for (const element of elements) {
    element.classList.remove("flash");
    void element.offsetWidth; // restart the animation
    element.classList.add("flash");
  }
}

function cards() {
  return [...$("suggestion-list").children];
}

function cardOf(index) {
  return $("suggestion-list").querySelector(`:scope > li[data-index="${Number(index)}"]`);
}

/** The suggestion `steps` places after the current one in the list as shown (j / k). */
function step(steps) {
  const at = state.order.indexOf(state.current);
  setCurrent(state.order[Math.max(0, Math.min(at + steps, state.order.length - 1))]);
}

function setCurrent(index, { focus = true, scroll = true } = {}) {
  if (!state.items.length) return;
  state.current = Math.max(0, Math.min(index, state.items.length - 1));
  cards().forEach((card) => {
    const current = Number(card.dataset.index) === state.current;
    card.classList.toggle("current", current);
    card.setAttribute("tabindex", current ? "0" : "-1");
    if (current) card.setAttribute("aria-current", "true");
    else card.removeAttribute("aria-current");
  });
  for (const element of $("note-text").querySelectorAll("mark.selected")) element.classList.remove("selected");
  const selected = marksFor(`s${state.current}e`);
  for (const element of selected) element.classList.add("selected");
  const card = cardOf(state.current);
  if (focus) card.focus({ preventScroll: true });
  card.scrollIntoView({ block: "nearest" });
  if (scroll && selected.length) selected[0].scrollIntoView({ block: "nearest" });
}

function decide(index, decision) {
  const item = state.items[index];
  if (!item) return;
  item.decision = decision;
  item.replacement = null;
  updateCard(item);
  updateSummary();
}

// --- reporting order and POA ------------------------------------------------------------------------------
function isInpatient() {
  return Boolean(state.note && state.note.setting === "inpatient");
}

/** Move the current suggestion `by` places in the reporting order (Shift+J down, Shift+K up). */
function moveCurrent(by) {
  const at = state.order.indexOf(state.current);
  const to = at + by;
  if (at < 0 || to < 0 || to >= state.order.length) {
    toast(by > 0 ? "Already the last code." : "Already the first code.");
    return;
  }
  [state.order[at], state.order[to]] = [state.order[to], state.order[at]];
  const list = $("suggestion-list");
  const card = cardOf(state.current);
  const neighbour = cardOf(state.order[at]);
  if (by > 0) list.insertBefore(neighbour, card);
  else list.insertBefore(card, neighbour);
  card.focus({ preventScroll: true });
  card.scrollIntoView({ block: "nearest" });
  updateSummary();
  toast(`${state.items[state.current].suggestion.code} moved to place ${to + 1} of ${state.order.length}.`);
}

function poaControl(item) {
  const id = `poa-${item.index}`;
  const select = el("select", { className: "poa-select", attrs: { id, "aria-label": `POA of ${item.suggestion.code}` } }, [
    el("option", { text: "POA: not set", attrs: { value: "" } }),
    ...POA_VALUES.map((value) => el("option", { text: POA_NAMES[value], attrs: { value } })),
  ]);
  select.addEventListener("change", () => setPoa(item, select.value || null, { announce: false }));
  return el("div", { className: "poa" }, [el("label", { text: "POA", attrs: { for: id } }), select]);
}

function setPoa(item, value, { announce = true } = {}) {
  item.poa = value;
  updateCard(item);
  updateSummary();
  if (announce) toast(`${item.suggestion.code}: POA ${value ? POA_NAMES[value] : "not set"}`);
}

/** `o`: the current suggestion's POA indicator, cycled Y, N, U, W, 1 (inpatient notes). */
function cyclePoa() {
  if (!isInpatient()) {
    toast("POA is reported for inpatient notes only.");
    return;
  }
  const item = state.items[state.current];
  const next = POA_VALUES[(POA_VALUES.indexOf(item.poa) + 1) % POA_VALUES.length];
  setPoa(item, next);
}

/** The codes reported, in the coder's order: accepted (or replacing) codes as listed, then the added ones. */
function reportedSequence() {
  const sequence = [];
  const poa = new Map();
  for (const index of state.order) {
    const item = state.items[index];
    const code =
      item.decision === "accepted" ? item.suggestion.code : item.decision === "replaced" ? item.replacement.code : null;
    if (code && !sequence.includes(code)) {
      sequence.push(code);
      if (item.poa) poa.set(code, item.poa);
    }
  }
  for (const added of state.added) {
    if (sequence.includes(added.code)) continue;
    sequence.push(added.code);
    if (added.poa) poa.set(added.code, added.poa);
  }
  return { sequence, poa };
}

function replace(index, code, description) {
  const item = state.items[index];
  const other = state.items.find((candidate) => candidate.suggestion.code === code);
  item.decision = "replaced";
  item.replacement = { code, description: description || (other ? other.suggestion.description : "") };
  if (other) {
    other.decision = "accepted"; // a suggested code is accepted, not added
    other.replacement = null;
    updateCard(other);
  }
  state.added = state.added.filter((added) => added.code !== code);
  renderAdded();
  updateCard(item);
  updateSummary();
  const card = cardOf(index);
  card.querySelector("details.specific")?.removeAttribute("open");
  card.focus({ preventScroll: true });
  toast(`${item.suggestion.code} replaced by ${code}`);
}

function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : { 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th";
  return `${n}${suffix}`;
}

function updateCard(item, sequence = reportedSequence().sequence) {
  const card = cardOf(item.index);
  if (!card) return;
  const { code } = item.suggestion;
  card.classList.toggle("accepted", item.decision === "accepted");
  card.classList.toggle("rejected", item.decision === "rejected" || item.decision === "replaced");
  card.classList.toggle("replaced", item.decision === "replaced");
  card.dataset.decision = item.decision || "undecided";
  card.querySelector("button.accept").setAttribute("aria-pressed", String(item.decision === "accepted"));
  card.querySelector("button.reject").setAttribute("aria-pressed", String(item.decision === "rejected"));
  const words = { accepted: "accepted", rejected: "rejected", replaced: "replaced" };
  card.querySelector(".decision-badge").textContent = words[item.decision] || "";
  const replacement = card.querySelector(".replacement");
  replacement.hidden = item.decision !== "replaced";
  replacement.textContent = item.replacement
    ? `Replaced by ${item.replacement.code}${item.replacement.description ? ` ${item.replacement.description}` : ""}`
    : "";
  const reported = item.decision === "accepted" ? code : item.decision === "replaced" ? item.replacement.code : null;
  const place = reported ? sequence.indexOf(reported) + 1 : 0;
  const label = card.querySelector(".sequence");
  label.hidden = place === 0;
  label.textContent =
    place === 1
      ? `Reported 1st: the ${isInpatient() ? "principal" : "first-listed"} diagnosis`
      : place
        ? `Reported ${ordinal(place)}`
        : "";
  card.dataset.sequence = String(place);
  card.classList.toggle("first", place === 1);
  const select = card.querySelector("select.poa-select");
  if (select) select.value = item.poa || "";
  card.setAttribute(
    "aria-label",
    `${code} ${item.suggestion.description}, score ${Math.round(item.suggestion.score * 100)} percent, ${
      item.suggestion.proposed ? "proposed" : "listed only"
    }, ${item.decision === "replaced" ? `replaced by ${item.replacement.code}` : item.decision || "undecided"}${
      place ? `, reported ${place} of the codes` : ""
    }${isInpatient() ? `, POA ${item.poa || "not set"}` : ""}`,
  );
}

function openSpecific() {
  const card = cardOf(state.current);
  const box = card && card.querySelector("details.specific");
  if (!box) {
    toast("No more specific code is offered for this suggestion.");
    return;
  }
  box.open = true;
  box.querySelector("button.choice")?.focus();
}

// --- exclusions, added codes, history ---------------------------------------------------------------------
function renderExcluded(excluded) {
  $("excluded-count").textContent = `(${excluded.length})`;
  $("excluded-list").replaceChildren(
    ...excluded.map((exclusion, j) =>
      el("li", { className: "excluded-item" }, [
        el("div", {}, [
          el("span", { className: "code", text: exclusion.code }),
          el("span", { className: "reason", text: exclusion.reason }),
        ]),
        evidenceList(exclusion.evidence, `x${j}`),
      ]),
    ),
  );
  $("excluded-box").open = excluded.length > 0 && excluded.length <= 6;
}

function renderAdded() {
  $("added-list").replaceChildren(
    ...state.added.map((added) => {
      const remove = el("button", {
        className: "ghost small remove",
        text: "✕",
        attrs: { type: "button", "aria-label": `Remove ${added.code}` },
      });
      remove.addEventListener("click", () => {
        state.added = state.added.filter((other) => other.code !== added.code);
        renderAdded();
        updateSummary();
      });
      let poa = null;
      if (isInpatient()) {
        poa = el("select", { className: "poa-select", attrs: { "aria-label": `POA of ${added.code}` } }, [
          el("option", { text: "POA", attrs: { value: "" } }),
          ...POA_VALUES.map((value) => el("option", { text: value, attrs: { value, title: POA_NAMES[value] } })),
        ]);
        poa.value = added.poa || "";
        poa.addEventListener("change", () => {
          added.poa = poa.value || null;
          updateSummary();
        });
      }
      return el("li", { className: "added-item", attrs: { "data-code": added.code } }, [
        el("span", { className: "code", text: added.code }),
        el("span", { className: "title", text: added.description }),
        added.billable ? null : el("span", { className: "badge not-billable", text: "not billable" }),
        poa,
        remove,
      ]);
    }),
  );
}

function renderHistory(reviews) {
  $("history-box").hidden = reviews.length === 0;
  $("history-list").replaceChildren(
    ...reviews
      .slice()
      .reverse()
      .map((review) =>
        el("li", {
          text: `v${review.version} by ${review.coder}, ${formatTime(review.created_at)}: accepted ${
            review.accepted.join(", ") || "none"
          }; rejected ${review.rejected.join(", ") || "none"}; added ${review.added.join(", ") || "none"}${
            review.sequence && review.sequence.length ? `; order ${review.sequence.join(", ")}` : ""
          }${review.poa && review.poa.length ? `; POA ${review.poa.map((e) => `${e.code} ${e.poa}`).join(", ")}` : ""}`,
        }),
      ),
  );
}

function addCode(hit) {
  const suggested = state.items.find((item) => item.suggestion.code === hit.code);
  if (suggested) {
    decide(suggested.index, "accepted");
    toast(`${hit.code} was suggested: accepted it.`);
    return;
  }
  if (state.added.some((added) => added.code === hit.code)) {
    toast(`${hit.code} is added already.`);
    return;
  }
  state.added.push({ code: hit.code, description: hit.description, billable: hit.billable, poa: null });
  renderAdded();
  updateSummary();
  toast(`Added ${hit.code}`);
}

async function addByCode(code) {
  try {
    const detail = await state.api.describeCode(code);
    addCode({ code: detail.code, description: detail.description, billable: detail.billable });
  } catch (error) {
    reportError(error);
  }
}

// --- code search (type-ahead) -----------------------------------------------------------------------------
function searchFor(text) {
  const input = $("code-search");
  input.value = text;
  input.focus();
  runSearch();
}

function runSearch() {
  const q = $("code-search").value.trim();
  clearTimeout(state.search.timer);
  if (!q) {
    closeSearch();
    return;
  }
  state.search.timer = setTimeout(async () => {
    state.search.controller?.abort();
    const controller = new AbortController();
    state.search.controller = controller;
    try {
      const answer = await state.api.searchCodes(q, { limit: 12, signal: controller.signal });
      if ($("code-search").value.trim() !== q) return;
      showResults(answer.results);
    } catch (error) {
      if (error.name !== "AbortError") reportError(error);
    }
  }, SEARCH_DELAY_MS);
}

function showResults(results) {
  state.search.results = results;
  state.search.active = results.length ? 0 : -1;
  const list = $("search-results");
  const suggested = new Set(state.items.map((item) => item.suggestion.code));
  list.replaceChildren(
    ...results.map((hit, i) => {
      const option = el(
        "li",
        { className: "search-option", attrs: { role: "option", id: `search-option-${i}`, "data-code": hit.code } },
        [
          el("span", { className: "code", text: hit.code }),
          el("span", { className: "title", text: hit.description }),
          hit.billable ? null : el("span", { className: "badge not-billable", text: "not billable" }),
          suggested.has(hit.code) ? el("span", { className: "badge suggested", text: "suggested" }) : null,
        ],
      );
      option.addEventListener("mousedown", (event) => {
        event.preventDefault(); // keep the focus in the input
        pickResult(i);
      });
      return option;
    }),
  );
  if (!results.length) list.append(el("li", { className: "search-none", text: "No code matches.", attrs: { role: "option", "aria-disabled": "true" } }));
  list.hidden = false;
  placeResults();
  $("code-search").setAttribute("aria-expanded", "true");
  markActive();
}

function placeResults() {
  // Below the input, or above it when the window has more room there (the search sits low in its pane).
  const list = $("search-results");
  const box = $("code-search").getBoundingClientRect();
  const below = window.innerHeight - box.bottom - 12;
  const above = box.top - 56;
  const up = below < 220 && above > below;
  list.classList.toggle("above", up);
  list.style.maxHeight = `${Math.max(120, Math.min(320, up ? above : below))}px`;
}

function markActive() {
  const options = [...$("search-results").querySelectorAll(".search-option")];
  options.forEach((option, i) => option.setAttribute("aria-selected", String(i === state.search.active)));
  const input = $("code-search");
  if (state.search.active >= 0 && options[state.search.active]) {
    input.setAttribute("aria-activedescendant", options[state.search.active].id);
    options[state.search.active].scrollIntoView({ block: "nearest" });
  } else {
    input.removeAttribute("aria-activedescendant");
  }
}

function pickResult(i) {
  const hit = state.search.results[i];
  if (!hit) return;
  addCode(hit);
  $("code-search").value = "";
  closeSearch();
}

function closeSearch() {
  clearTimeout(state.search.timer);
  state.search.controller?.abort();
  state.search.results = [];
  state.search.active = -1;
  $("search-results").hidden = true;
  $("search-results").replaceChildren();
  $("code-search").setAttribute("aria-expanded", "false");
  $("code-search").removeAttribute("aria-activedescendant");
}

function onSearchKey(event) {
  const { results } = state.search;
  if (event.key === "ArrowDown" && results.length) {
    event.preventDefault();
    state.search.active = (state.search.active + 1) % results.length;
    markActive();
  } else if (event.key === "ArrowUp" && results.length) {
    event.preventDefault();
    state.search.active = (state.search.active - 1 + results.length) % results.length;
    markActive();
  } else if (event.key === "Enter") {
    event.preventDefault();
    if (state.search.active >= 0) pickResult(state.search.active);
  } else if (event.key === "Escape") {
    event.preventDefault();
    $("code-search").value = "";
    closeSearch();
    cardOf(state.current)?.focus();
  }
}

// --- the review -------------------------------------------------------------------------------------------
function reviewPayload() {
  const accepted = [];
  const rejected = [];
  const added = [];
  const suggested = new Set(state.items.map((item) => item.suggestion.code));
  for (const item of state.items) {
    if (item.decision === "accepted") accepted.push(item.suggestion.code);
    else if (item.decision === "rejected" || item.decision === "replaced") rejected.push(item.suggestion.code);
    if (item.decision === "replaced" && !suggested.has(item.replacement.code)) added.push(item.replacement.code);
  }
  for (const code of state.added.map((entry) => entry.code)) if (!added.includes(code)) added.push(code);
  const { sequence, poa } = reportedSequence();
  const payload = { accepted, rejected, added, sequence };
  if (isInpatient()) payload.poa = [...poa].map(([code, value]) => ({ code, poa: value }));
  return payload;
}

function updateSummary() {
  const button = $("submit-review");
  if (!state.note) {
    $("review-summary").textContent = "";
    button.disabled = true;
    return;
  }
  const payload = reviewPayload();
  for (const item of state.items) updateCard(item, payload.sequence); // reporting places follow every change
  const undecided = state.items.filter((item) => !item.decision).length;
  const parts = [
    `${payload.accepted.length} accepted`,
    `${payload.rejected.length} rejected`,
    `${payload.added.length} added`,
  ];
  if (undecided) parts.push(`${undecided} undecided (left out of the review)`);
  $("review-summary").textContent = parts.join(" · ");
  button.disabled = state.submitting;
}

async function submitReview() {
  if (!state.note || state.submitting) return;
  const note = state.note;
  const payload = reviewPayload();
  const body = JSON.stringify(payload);
  if (!state.retry || state.retry.noteId !== note.id || state.retry.body !== body) {
    state.retry = { noteId: note.id, body, key: newIdempotencyKey() };
  }
  state.submitting = true;
  updateSummary();
  $("submit-error").textContent = "";
  let answer = null;
  for (let attempt = 0; attempt < 2 && !answer; attempt += 1) {
    try {
      answer = await state.api.submitReview(note.id, payload, state.retry.key);
    } catch (error) {
      if (error instanceof ApiError || attempt === 1) {
        state.submitting = false;
        updateSummary();
        reportError(error, $("submit-error"));
        if (error instanceof ApiError && error.status !== 503) state.retry = null;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 400)); // a dropped connection: same key, once more
    }
  }
  state.submitting = false;
  state.retry = null;
  state.drafts.delete(note.id);
  const review = answer.body;
  const seconds = ((performance.now() - state.openedAt) / 1000).toFixed(1);
  toast(`Review v${review.version} stored for ${note.external_id || note.id.slice(0, 8)} (${seconds} s).`, "ok");
  document.body.dataset.lastReview = review.id;
  state.note = null; // do not keep a draft of a submitted note
  await openNextAfter(note.id);
}

async function openNextAfter(doneId) {
  const before = state.queue.filter((item) => item.status === "pending").map((item) => item.id);
  const position = Math.max(0, before.indexOf(doneId));
  if ($("queue-status").value !== "pending") $("queue-status").value = "pending";
  await loadQueue();
  const pending = state.queue.filter((item) => item.status === "pending" && item.id !== doneId);
  if (!pending.length) {
    clearNote();
    $("note-empty").firstElementChild.textContent = "All done: no pending notes left. Paste one with p.";
    renderQueue();
    $("next-note").focus();
    return;
  }
  await openNote(pending[Math.min(position, pending.length - 1)].id);
}

// --- pasting a note ---------------------------------------------------------------------------------------
function openPaste() {
  $("paste-error").textContent = "";
  $("paste-dialog").showModal();
  $("paste-text").focus();
}

async function submitPaste(event) {
  event.preventDefault();
  const text = $("paste-text").value;
  if (!text.trim()) {
    $("paste-error").textContent = "Paste the note text first.";
    return;
  }
  $("paste-submit").disabled = true;
  try {
    const note = await state.api.createNote({
      text,
      setting: $("paste-setting").value,
      note_id: $("paste-external-id").value.trim() || undefined,
    });
    $("paste-dialog").close();
    $("paste-text").value = "";
    $("paste-external-id").value = "";
    $("queue-status").value = "pending";
    await loadQueue();
    await openNote(note.id);
  } catch (error) {
    reportError(error, $("paste-error"));
  } finally {
    $("paste-submit").disabled = false;
  }
}

// --- keyboard ---------------------------------------------------------------------------------------------
function typingIn(target) {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))
  );
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  if (document.querySelector("dialog[open]")) return; // dialogs keep their own keys (Esc closes)
  if (!state.api || typingIn(event.target)) return;
  const interactive = event.target instanceof HTMLElement && event.target.closest("button, a, summary");
  if (event.key === "Escape") {
    const box = event.target instanceof HTMLElement && event.target.closest("details.specific");
    if (box) {
      event.preventDefault();
      box.open = false;
      cardOf(state.current)?.focus();
    }
    return;
  }
  const actions = {
    j: () => step(1),
    k: () => step(-1),
    J: () => moveCurrent(1),
    K: () => moveCurrent(-1),
    o: () => cyclePoa(),
    a: () => decide(state.current, "accepted"),
    r: () => decide(state.current, "rejected"),
    u: () => decide(state.current, null),
    s: () => openSpecific(),
    e: () => showEvidence(`s${state.current}e`),
    q: () => draftFirstQuery(),
    n: () => openNext(),
    p: () => openPaste(),
    "?": () => $("help-dialog").showModal(),
    "/": () => $("code-search").focus(),
    f: () => findView?.show(),
  };
  if (event.key === "Enter") {
    if (interactive || !state.note) return; // Enter on a button presses it
    event.preventDefault();
    submitReview();
    return;
  }
  const action = actions[event.key];
  if (!action) return;
  if (NOTE_KEYS.has(event.key) && !state.note) return;
  event.preventDefault();
  action();
}

// --- wiring -----------------------------------------------------------------------------------------------
function wire() {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("api-key").value.trim();
    if (!token) {
      $("sign-in-error").textContent = "Enter an API key.";
      return;
    }
    signIn(token);
  });
  $("sign-out").addEventListener("click", () => signOut("Signed out."));
  $("queue-refresh").addEventListener("click", loadQueue);
  $("queue-status").addEventListener("change", loadQueue);
  $("next-note").addEventListener("click", openNext);
  $("paste-open").addEventListener("click", openPaste);
  $("paste-form").addEventListener("submit", submitPaste);
  $("paste-cancel").addEventListener("click", () => $("paste-dialog").close());
  $("help-button").addEventListener("click", () => $("help-dialog").showModal());
  $("help-close").addEventListener("click", () => $("help-dialog").close());
  $("submit-review").addEventListener("click", submitReview);
  $("code-search").addEventListener("input", runSearch);
  $("code-search").addEventListener("keydown", onSearchKey);
  $("code-search").addEventListener("blur", () => setTimeout(closeSearch, 150));
  $("note-text").addEventListener("click", (event) => {
    const mark = event.target.closest("mark.ev");
    if (!mark) return;
    const first = mark.dataset.m.split(" ").find((key) => key.startsWith("s"));
    if (first) setCurrent(Number(first.slice(1, first.indexOf("e"))), { focus: true, scroll: false });
  });
  $("note-text").addEventListener("mouseover", (event) => hoverMark(event, true));
  $("note-text").addEventListener("mouseout", (event) => hoverMark(event, false));
  document.addEventListener("keydown", onKey);
  initDashboard(() => state.api);
  setupQueries({ getApi: () => state.api, toast, reportError, onChange: loadQueue });
  findView = initFindView({ api: () => state.api, open: (id) => openNote(id) });
  $("find-open").addEventListener("click", () => findView.show());
}

function hoverMark(event, on) {
  const mark = event.target.closest("mark.ev");
  if (!mark) return;
  for (const key of mark.dataset.m.split(" ")) {
    if (!key.startsWith("s")) continue;
    cardOf(Number(key.slice(1, key.indexOf("e"))))?.classList.toggle("linked", on);
  }
}

let findView = null; // the find view (find-view.js): search filed encounters
const EMPTY_HINT = $("note-empty").firstElementChild.cloneNode(true);
installEncounterView();
wire();
const saved = sessionStorage.getItem(KEY_STORAGE);
if (saved) signIn(saved, { quiet: true });
else showSignIn();
document.body.dataset.ready = "true";
