// The "find" view: search filed encounters (POST /v1/encounters/search; patient ids travel in the body, never in
// a URL), page through them, open one. Keyboard: f opens it, Enter searches, [ and ] page, Esc closes.
// Everything shown enters the page through textContent; nothing is logged.

const PAGE_SIZE = 50;
const CODE_MODES = {
  exact: { label: "is", field: "code", hint: "E11.9" },
  prefix: { label: "starts with", field: "code_prefix", hint: "E11." },
  range: { label: "in the range", field: "code_range", hint: "E10-E13.9" },
};

function el(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function labelled(id, label, input) {
  input.id = id;
  return el("div", { className: "find-field" }, [el("label", { text: label, attrs: { for: id } }), input]);
}

function buildDialog() {
  const modeSelect = el("select", {}, Object.entries(CODE_MODES).map(([value, mode]) =>
    el("option", { text: mode.label, attrs: { value } })));
  const input = (type, attrs = {}) => el("input", { attrs: { type, autocomplete: "off", spellcheck: "false", ...attrs } });
  const status = el("select", {}, [
    el("option", { text: "any", attrs: { value: "" } }),
    el("option", { text: "filed", attrs: { value: "filed" } }),
    el("option", { text: "corrected", attrs: { value: "corrected" } }),
  ]);
  const form = el("form", { className: "dialog-form find-form", attrs: { novalidate: "" } }, [
    el("h2", { text: "Find filed encounters", attrs: { id: "find-title" } }),
    el("div", { className: "find-grid" }, [
      labelled("find-code-mode", "Code", modeSelect),
      labelled("find-code", "Code value", input("text", { maxlength: "40", placeholder: CODE_MODES.exact.hint })),
      labelled("find-patient", "Patient id", input("text", { maxlength: "200" })),
      labelled("find-from", "Service from", input("date")),
      labelled("find-to", "Service to", input("date")),
      labelled("find-coder", "Coder", input("text", { maxlength: "100" })),
      labelled("find-status", "Status", status),
    ]),
    el("p", { className: "error", attrs: { id: "find-error", role: "alert" } }),
    el("div", { className: "dialog-actions" }, [
      el("button", { text: "Close", className: "ghost", attrs: { type: "button", id: "find-close" } }),
      el("button", { text: "Search", className: "primary", attrs: { type: "submit", id: "find-submit" } }),
    ]),
    el("p", { className: "muted", attrs: { id: "find-count", "aria-live": "polite" } }),
    el("ol", { className: "find-results", attrs: { id: "find-results", "aria-label": "Filed encounters found" } }),
    el("div", { className: "find-pages" }, [
      el("button", { text: "◀ Previous [", className: "small", attrs: { type: "button", id: "find-prev" } }),
      el("button", { text: "Next ] ▶", className: "small", attrs: { type: "button", id: "find-next" } }),
    ]),
  ]);
  const dialog = el("dialog", { attrs: { id: "find-dialog", "aria-labelledby": "find-title" } }, [form]);
  document.body.append(dialog);
  return dialog;
}

function criteria(dialog) {
  const value = (id) => dialog.querySelector(`#${id}`).value.trim();
  const body = {};
  const code = value("find-code");
  if (code) body[CODE_MODES[value("find-code-mode")].field] = code;
  if (value("find-patient")) body.patient_id = value("find-patient");
  if (value("find-from")) body.service_from = value("find-from");
  if (value("find-to")) body.service_to = value("find-to");
  if (value("find-coder")) body.coder = value("find-coder");
  if (value("find-status")) body.status = value("find-status");
  return body;
}

function codeChips(codes) {
  return codes
    .filter((code) => code.decision !== "rejected")
    .map((code) =>
      el("span", {
        className: `find-code ${code.decision}`,
        text: code.poa ? `${code.code} (POA ${code.poa})` : code.code,
        attrs: { title: code.description || code.code },
      }));
}

function resultItem(item, open) {
  const dates = item.service_end ? `${item.service_start} – ${item.service_end}` : item.service_start;
  const name = item.external_id || item.encounter_id.slice(0, 8);
  const button = el("button", {
    className: "find-open",
    attrs: { type: "button", "data-encounter": item.encounter_id, title: "Open this note" },
  }, [el("strong", { text: name }), ` ${dates} · ${item.setting} · ${item.coder} · ${item.status} v${item.version}`]);
  button.addEventListener("click", () => open(item.encounter_id));
  const line = el("li", { attrs: { "data-encounter": item.encounter_id } }, [button]);
  if (item.patient_id) line.append(el("span", { className: "muted", text: ` patient ${item.patient_id}` }));
  line.append(el("div", { className: "find-codes" }, codeChips(item.codes)));
  return line;
}

export function initFindView({ api, open }) {
  const dialog = buildDialog();
  const state = { body: {}, offset: 0, total: 0 };
  const $ = (id) => dialog.querySelector(`#${id}`);

  $("find-code-mode").addEventListener("change", () => {
    $("find-code").placeholder = CODE_MODES[$("find-code-mode").value].hint;
  });

  async function search(offset) {
    const client = api();
    if (!client) return;
    $("find-error").textContent = "";
    $("find-submit").disabled = true;
    try {
      const answer = await client.request("POST", "/v1/encounters/search", {
        json: { ...state.body, limit: PAGE_SIZE, offset },
      });
      const page = answer.body;
      state.offset = offset;
      state.total = page.total;
      $("find-results").replaceChildren(...page.items.map((item) => resultItem(item, openAndClose)));
      const total = page.total_capped ? `more than ${page.total.toLocaleString("en-US")}` : String(page.total);
      const shown = page.items.length ? `${offset + 1}–${offset + page.items.length} of ${total}` : "none";
      $("find-count").textContent = `${total} encounter${page.total === 1 ? "" : "s"} found (${shown}).`;
      $("find-prev").disabled = offset === 0;
      $("find-next").disabled = page.items.length < PAGE_SIZE || (!page.total_capped && offset + PAGE_SIZE >= page.total);
      $("find-error").textContent = (page.warnings || []).join(" ");
      dialog.dataset.loaded = String(Date.now());
    } catch (error) {
      $("find-error").textContent = error.message || String(error);
    } finally {
      $("find-submit").disabled = false;
    }
  }

  function openAndClose(encounterId) {
    dialog.close();
    open(encounterId);
  }

  dialog.querySelector("form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.body = criteria(dialog);
    search(0);
  });
  $("find-close").addEventListener("click", () => dialog.close());
  $("find-prev").addEventListener("click", () => search(Math.max(0, state.offset - PAGE_SIZE)));
  $("find-next").addEventListener("click", () => search(state.offset + PAGE_SIZE));
  dialog.addEventListener("keydown", (event) => {
    const typing = ["INPUT", "SELECT"].includes(event.target.tagName);
    if (typing) return;
    if (event.key === "[" && !$("find-prev").disabled) $("find-prev").click();
    if (event.key === "]" && !$("find-next").disabled) $("find-next").click();
  });
  $("find-prev").disabled = true;
  $("find-next").disabled = true;

  return {
    show() {
      if (!api()) return;
      dialog.showModal();
      $("find-code").focus();
    },
  };
}
