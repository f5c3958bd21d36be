// The note text with its evidence highlighted. Offsets from the service count Unicode code points (Python
// string indices); JavaScript strings count UTF-16 units, so they are converted before slicing.
// Everything from the note goes into the page as text nodes: never as markup.

export const PALETTE_SIZE = 8;

export const SECTION_LABELS = {
  none: "before the first heading",
  assessment_and_plan: "assessment and plan",
  history_of_present_illness: "history of present illness",
  past_medical_history: "past medical history",
  past_surgical_history: "past surgical history",
  family_history: "family history",
  social_history: "social history",
  review_of_systems: "review of systems",
  labs_and_studies: "labs and studies",
  hospital_course: "hospital course",
  chief_complaint: "chief complaint",
  problem_list: "problem list",
};

export function sectionLabel(section) {
  return SECTION_LABELS[section] || String(section || "none").replaceAll("_", " ");
}

const ASSERTION_WORDS = {
  present: "present",
  negated: "negated",
  possible: "possible (uncertain)",
  hypothetical: "hypothetical or future",
  historical: "historical",
  family: "a relative's",
};

export function assertionLabel(assertion) {
  return ASSERTION_WORDS[assertion] || String(assertion);
}

// cp -> UTF-16 index; identity when the text has no character outside the Basic Multilingual Plane.
export function codePointOffsets(text) {
  if (!/[\uD800-\uDFFF]/.test(text)) return (offset) => Math.max(0, Math.min(offset, text.length));
  const table = [];
  let unit = 0;
  for (const character of text) {
    table.push(unit);
    unit += character.length;
  }
  table.push(unit);
  return (offset) => table[Math.max(0, Math.min(offset, table.length - 1))];
}

// Heading-like lines ("ASSESSMENT AND PLAN:", "Family history:"): shown in bold, labelled with the section
// the engine gave the evidence below them.
const HEADING_PATTERNS = [
  /^[ \t]*([A-Z][A-Z0-9 /&,()'+-]{2,}[A-Z)])[ \t]*:/gm, // four characters at least: not "BP: 120/80"
  /^[ \t]*([A-Z][a-z]+(?: [A-Za-z]+){0,4})[ \t]*:[ \t]*$/gm,
];

export function findHeadings(text) {
  const found = new Map();
  for (const pattern of HEADING_PATTERNS) {
    pattern.lastIndex = 0;
    for (const match of text.matchAll(pattern)) {
      const start = match.index + match[0].indexOf(match[1]);
      const end = match.index + match[0].length;
      if (!found.has(start)) found.set(start, { start, end });
    }
  }
  return [...found.values()].sort((a, b) => a.start - b.start);
}

// Every evidence span of the note as a mark: key "s<i>e<k>" (suggestion i, evidence k) or "x<j>e<k>".
export function collectMarks(text, suggestions, excluded) {
  const toUnits = codePointOffsets(text);
  const marks = [];
  suggestions.forEach((suggestion, index) => {
    suggestion.evidence.forEach((evidence, k) => {
      marks.push({
        key: `s${index}e${k}`,
        kind: "suggestion",
        code: suggestion.code,
        index,
        start: toUnits(evidence.start),
        end: toUnits(evidence.end),
        assertion: evidence.assertion,
        section: evidence.section,
        title: `${suggestion.code} ${suggestion.description} (${assertionLabel(evidence.assertion)}; ${sectionLabel(evidence.section)})`,
      });
    });
  });
  excluded.forEach((exclusion, index) => {
    exclusion.evidence.forEach((evidence, k) => {
      marks.push({
        key: `x${index}e${k}`,
        kind: "excluded",
        code: exclusion.code,
        index,
        start: toUnits(evidence.start),
        end: toUnits(evidence.end),
        assertion: evidence.assertion,
        section: evidence.section,
        title: `Left out ${exclusion.code}: ${exclusion.reason} (${assertionLabel(evidence.assertion)}; ${sectionLabel(evidence.section)})`,
      });
    });
  });
  return marks.filter((mark) => mark.end > mark.start);
}

function headingSections(text, headings, marks) {
  // The sections of the evidence between one heading and the next: the engine's reading of that heading.
  return headings.map((heading, i) => {
    const stop = i + 1 < headings.length ? headings[i + 1].start : text.length;
    const sections = new Set(
      marks.filter((mark) => mark.start >= heading.end && mark.start < stop).map((mark) => mark.section),
    );
    return [...sections].map(sectionLabel).join(", ");
  });
}

function primaryMark(cover) {
  const shortest = (list) => list.reduce((best, mark) => (mark.end - mark.start < best.end - best.start ? mark : best));
  const suggested = cover.filter((mark) => mark.kind === "suggestion");
  return suggested.length ? shortest(suggested) : shortest(cover);
}

// Fills ``container`` with the note; returns the mark elements by evidence key.
export function renderNote(container, text, suggestions, excluded) {
  const marks = collectMarks(text, suggestions, excluded);
  const headings = findHeadings(text);
  const labels = headingSections(text, headings, marks);
  const cuts = new Set([0, text.length]);
  for (const item of [...marks, ...headings]) {
    cuts.add(item.start);
    cuts.add(item.end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const fragment = document.createDocumentFragment();
  const byKey = new Map();
  for (let i = 0; i + 1 < points.length; i += 1) {
    const [start, end] = [points[i], points[i + 1]];
    if (end <= start) continue;
    let node = document.createTextNode(text.slice(start, end));
    const cover = marks.filter((mark) => mark.start <= start && mark.end >= end);
    if (cover.length) {
      const primary = primaryMark(cover);
      const element = document.createElement("mark");
      element.className = "ev";
      element.classList.add(primary.kind === "suggestion" ? `c${primary.index % PALETTE_SIZE}` : "excluded");
      element.classList.add(`a-${primary.assertion}`);
      if (cover.length > 1) element.classList.add("overlap");
      element.dataset.m = cover.map((mark) => mark.key).join(" ");
      element.dataset.codes = [...new Set(cover.map((mark) => mark.code))].join(" ");
      element.title = cover.map((mark) => mark.title).join("\n");
      element.append(node);
      node = element;
      for (const mark of cover) {
        if (!byKey.has(mark.key)) byKey.set(mark.key, []);
        byKey.get(mark.key).push(element);
      }
    }
    const h = headings.findIndex((heading) => heading.start <= start && heading.end >= end);
    if (h >= 0) {
      const strong = document.createElement("strong");
      strong.className = "heading";
      if (end === headings[h].end && labels[h]) {
        strong.dataset.section = labels[h];
        strong.title = `section: ${labels[h]}`;
      }
      strong.append(node);
      node = strong;
    }
    fragment.append(node);
  }
  container.replaceChildren(fragment);
  return byKey;
}
