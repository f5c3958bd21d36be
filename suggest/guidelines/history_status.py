"""Personal and family history (I.C.21.c.4) through the classification, and status codes (I.C.21.c.3).

One mechanism for every history code, in the order a coder looks:

1. the Alphabetic Index: "History, family (of)" / "History, personal (of)" subterms named by the condition's
   own words (its Tabular title and category title, "without ..." clauses left out): I63.9 "cerebral
   infarction" -> "History, personal, cerebral infarction without residual deficit" Z86.73;
2. the Tabular List's "Conditions classifiable to ..." notes of Z80-Z87 (C50.- -> Z80.3 / Z85.3, F10.- ->
   Z81.1), the narrowest range first, a non-billable code resolved to the child the words support;
3. only for a condition documented as resolved ("resolved", "without residual", "s/p", "prior" ...): the
   Index's "History, personal, disease or disorder (of), <body system>" entry named by the code's chapter
   (resolved alcoholic pancreatitis K85.- -> digestive system Z87.19). A chronic condition "history of
   hypertension" is current, not history, and keeps its code.

Status (I.C.21.c.3): "s/p CABG", "pseudophakia", "home oxygen" ... walk the Index's "Status", "Absence",
"Dependence (on)" and "Transplant" entries.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.data import read_table
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft
from suggest.guidelines.folding import ranges_saying_any
from suggest.guidelines.index_walk import (
    best_subterm,
    billable_choice,
    content_words,
    expanded_words,
    level_words,
    subterm_rows,
)
from suggest.guidelines.note import AddedCode, NoteLine, NoteView, add_codes, note_of
from suggest.guidelines.registry import guideline_steps
from suggest.guidelines.tables import read_table as read_reviewed_table
from suggest.types import Mention
from vocab.codeset import CodeRange, CodeSet, parse_code_references
from vocab.index import AlphabeticIndex, IndexTerm
from vocab.lexicon import Abbreviations, load_abbreviations

__all__ = ["HISTORY_GUIDELINE", "STATUS_GUIDELINE", "HistoryCodes", "is_resolved", "is_still_treated", "status_codes"]

HISTORY_GUIDELINE = "I.C.21.c.4"
STATUS_GUIDELINE = "I.C.21.c.3"
_FAMILY_CATEGORIES = ("Z80", "Z81", "Z82", "Z83", "Z84")
_PERSONAL_CATEGORIES = ("Z85", "Z86", "Z87")
_NARROW_RANGE = 5  # categories
_CLASSIFIABLE_RE = re.compile(r"conditions classifiable (?:to|elsewhere in)", re.IGNORECASE)
_WITHOUT_RE = re.compile(r"\b(?:without|w/o)\b[^,;]*", re.IGNORECASE)
# "old" as in "old MI", never an age ("67-year-old", "3 months old"): the opening line of most notes says it
_RESOLVED_RE = re.compile(
    r"\b(resolved|without residual\w*|no residual\w*|no longer|recovered|remote|s/p|status post|prior|previous|"
    r"(?<!-)(?<!years )(?<!months )(?<!weeks )(?<!days )(?<!year )(?<!month )old|healed|cured|completed|"
    r"eradicated|no recurrence|"
    r"no evidence of (?:disease|recurrence))\b",
    re.IGNORECASE,
)
_STILL_TREATED_RE = re.compile(
    r"\b(currently|ongoing|continues|continuing|controlled|managed|maintained on|stable on|receiving|undergoing|"
    r"on (?:\w+ ){0,2}(?:therapy|treatment|medication|chemo\w*|dialysis)|(?<!no )active|persistent|"
    r"(?<!no )current)\b",
    re.IGNORECASE,
)


def is_resolved(sentence: str) -> bool:
    return bool(_RESOLVED_RE.search(sentence))


def is_still_treated(sentence: str) -> bool:
    """The sentence says the condition is still present or treated (it stays active, I.C.21.c.4)."""
    return bool(_STILL_TREATED_RE.search(sentence)) and not re.search(
        r"\b(completed|finished|no evidence)\b", sentence, re.IGNORECASE
    )


@lru_cache(maxsize=1)
def _lifelong_prefixes() -> tuple[str, ...]:
    """Codes that never become a personal history code (the reviewed table ``data/lifelong_conditions.tsv``)."""
    return tuple(row[0] for row in read_table("lifelong_conditions.tsv"))


def _titles_above(index: AlphabeticIndex, term: IndexTerm, entry: IndexTerm) -> set[str]:
    """The title words of the subterms between ``entry`` and ``term`` ("History, personal, fracture, fatigue":
    "fracture"); none for a term reached through a "see" reference from elsewhere in the Index."""
    words: set[str] = set()
    current = None if term.parent is None else index.term(term.parent)
    while current is not None and current.id != entry.id:
        words |= content_words(_WITHOUT_RE.sub("", current.title))
        current = None if current.parent is None else index.term(current.parent)
    return words if current is not None else set()


@dataclass
class HistoryCodes:
    """``code_for("personal"|"family", code, resolved)`` -> the history code, or None (the code stays)."""

    index: AlphabeticIndex | None
    codeset: CodeSet
    _cache: dict[tuple[str, str, bool], str | None] = field(default_factory=dict)

    def warm(self) -> None:
        """Read the Tabular ranges now (an engine does this at load, not on its first note)."""
        self._ranges  # noqa: B018

    def code_for(self, kind: str, code: str, resolved: bool = False) -> str | None:
        key = (kind, code, resolved)
        if key not in self._cache:
            self._cache[key] = self._lookup(kind, code, resolved)
        return self._cache[key]

    def _lookup(self, kind: str, code: str, resolved: bool) -> str | None:
        record = self.codeset.get(code)
        if record is None or record.code.startswith(_FAMILY_CATEGORIES + _PERSONAL_CATEGORIES):
            return None
        if kind == "personal" and record.code.startswith(_lifelong_prefixes()):
            return None  # HIV is reported on every encounter, never as a history code (I.C.1.a.2.f)
        words = self._condition_words(record.code)
        if kind == "family":  # a relative's condition: its Tabular range names the family-history code
            return self._from_ranges(kind, record.code, words) or self._from_index(kind, words, record.code)
        found = self._from_ranges(kind, record.code, words, narrow=True) or self._from_index(kind, words, record.code)
        if found is None and resolved:
            found = self._from_ranges(kind, record.code, words) or self._from_body_system(record.code)
        return found

    def _condition_words(self, code: str) -> set[str]:
        """The words of the code's title and its category's, "without ..." clauses left out."""
        words = self._title_words(code) | self._title_words(code[:3])
        return words - {"unspecified"}

    def _title_words(self, code: str) -> set[str]:
        words = set(content_words(_WITHOUT_RE.sub("", self.codeset.codes[code].description)))
        # a plural title word names the Index's singular subterm ("Repeated falls": History, personal, fall)
        return words | {word[:-1] for word in words if len(word) > 4 and word.endswith("s") and word[-2] not in "isu"}

    def _entry(self, kind: str) -> IndexTerm | None:
        return None if self.index is None else self.index.find("History", kind)

    def _from_index(self, kind: str, words: set[str], code: str) -> str | None:
        entry = self._entry(kind)
        if entry is None or self.index is None:
            return None
        found = best_subterm(self.index, entry, words)
        if found is None:
            return None
        term, score = found
        named = content_words(" ".join((term.title, *term.nemod))) | _titles_above(self.index, term, entry)
        title_words = named - {"nec"}
        # the subterm must be named by the condition: all its words and those of the subterms above it
        # ("embolism" above "pulmonary": COPD is no pulmonary embolism), or at least two of them, or one of the
        # forms its title lists ("fall, falling")
        if not (title_words <= words or score >= 2 or _names_a_form(term.title, words)):
            return None
        # a subterm the condition's own title does not name ("Repeated falls" is no "musculoskeletal system") must
        # be reached through subterms its words name (not "congenital malformation, musculoskeletal system")
        named_by_title = content_words(term.title) - {"nec"} <= self._title_words(code)
        if not named_by_title and any(not content_words(title) & words for title in self.index.path(term.id)[2:-1]):
            return None
        history = billable_choice(self.codeset, term.codes[0], words)
        # the Index may point a personal history elsewhere ("History, personal, myocardial infarction" I25.2)
        return (
            history if history is not None and (kind == "personal" or history.startswith(_categories(kind))) else None
        )

    @property
    def _ranges(self) -> dict[str, list[tuple[str, CodeRange]]]:
        """History code -> the ranges its "Conditions classifiable to" notes name (once per code set)."""
        cached = derived_table("history_status.ranges", self.codeset)
        if "ranges" in cached:
            known: dict[str, list[tuple[str, CodeRange]]] = cached["ranges"]
            return known
        ranges: dict[str, list[tuple[str, CodeRange]]] = {"family": [], "personal": []}
        for record in self.codeset:
            kind = "family" if record.code.startswith(_FAMILY_CATEGORIES) else None
            kind = kind or ("personal" if record.code.startswith(_PERSONAL_CATEGORIES) else None)
            if kind is None:
                continue
            for term in record.inclusion_terms:
                if _CLASSIFIABLE_RE.search(term):
                    ranges[kind].extend((record.code, reference) for reference in parse_code_references(term))
        cached["ranges"] = ranges
        return ranges

    def _from_ranges(self, kind: str, code: str, words: set[str], narrow: bool = False) -> str | None:
        """The history code whose "Conditions classifiable to" range covers ``code``; with ``narrow``, only a
        range of a few categories (C50.-, F10.-), not a body system (K00-K93), which needs "resolved"."""
        covering = [
            (history, reference)
            for history, reference in self._ranges[kind]
            if reference.covers(code) and (not narrow or _width(reference) <= _NARROW_RANGE)
        ]
        if not covering:
            return None
        # the narrowest range (fewest categories) names the condition best: F10.- before F01-F99
        history, _ = min(covering, key=lambda item: (_width(item[1]), -len(item[0])))
        return billable_choice(self.codeset, history, words)

    def _from_body_system(self, code: str) -> str | None:
        entry = self._entry("personal")
        if entry is None or self.index is None:
            return None
        disorder = next((child for child in self.index.children(entry.id) if child.title.startswith("disease")), None)
        if disorder is None:
            return None
        chapter_words = content_words(re.sub(r"\(.*?\)", "", self.codeset.chapter_of(code).title)) - {"disease"}
        found = best_subterm(self.index, disorder, chapter_words)
        return None if found is None else billable_choice(self.codeset, found[0].codes[0], chapter_words)


def _names_a_form(title: str, words: set[str]) -> bool:
    """A title listing the forms of one word ("fall, falling") is named by any of them."""
    forms = [content_words(form) for form in title.split(",")]
    if len(forms) < 2 or not all(len(form) == 1 for form in forms):
        return False
    stems = {next(iter(form))[:4] for form in forms}
    return len(stems) == 1 and any(form <= words for form in forms)


def _categories(kind: str) -> tuple[str, ...]:
    return _FAMILY_CATEGORIES if kind == "family" else _PERSONAL_CATEGORIES


def _width(reference: CodeRange) -> int:
    first, last = reference.first, reference.last
    if first[0] != last[0]:
        return 10_000
    return int(last[1:3]) - int(first[1:3]) if last[1:3].isdigit() and first[1:3].isdigit() else 100


# --- status -------------------------------------------------------------------------------------------------
_STATUS_CUE_RE = re.compile(
    r"\b(?:s/p|status post|post|history of|h/o|hx of|underwent|dependent on|requires|presence of|on home)\s+"
    r"(?P<what>[^.;,\n()]{3,60})",
    re.IGNORECASE,
)
# Every match of _STATUS_CUE_RE / _STATUS_WORD_RE holds one of these words: a sentence without any is not scanned.
_STATUS_CUE_WORDS = (
    "s/p",
    "post",
    "history of",
    "h/o",
    "hx of",
    "underwent",
    "dependent on",
    "requires",
    "presence of",
    "on home",
)
_STATUS_WORDS = (
    "pseudophak",
    "ostomy",
    "o2",
    "oxygen",
    "dialysis",
    "in place",
    "wheelchair",
    "hd",
    "dnr",
    "resuscitate",
    "transplant",
    "ectomy",
    "amputation",
)
_STATUS_WORD_RE = re.compile(
    r"\b(pseudophakia|pseudophakic|colostomy|ileostomy|tracheostomy|gastrostomy|nephrostomy|"
    r"(?:home|supplemental|continuous|nocturnal) (?:o2|oxygen)|hemodialysis|peritoneal dialysis|"
    r"(?:pacemaker|defibrillator|aicd|icd) in place|wheelchair[- ](?:bound|user|dependent)|"
    r"(?:full[- ]time|uses an?|in an?|confined to an?) (?:manual |power |motorized )?wheelchair(?: user)?|"
    r"(?:on|in-center|chronic|maintenance|outpatient|home) (?:hd|hemodialysis|peritoneal dialysis|dialysis)|"
    r"dialysis[- ]dependent|dnr(?:/dni)?|do[- ]not[- ]resuscitate|"
    r"(?:kidney|renal|liver|heart|lung|pancreas) transplant (?:recipient|status)|"
    r"(?:(?:left|right|bilateral|[lr]) )?"
    r"(?:mastectomy|nephrectomy|pneumonectomy|splenectomy|laryngectomy|hysterectomy)|"
    r"(?:(?:left|right|[lr]) )?(?:above|below)[- ]the[- ]knee amputation)\b",
    re.IGNORECASE,
)
_WALKED_LIMIT = 20_000
_STATUS_ENTRIES = (("Status",), ("Absence",), ("Dependence",), ("Transplant",), ("Presence",))
_SKIP_SECTIONS = ("family_history", "allergies")
_STATUS_CATEGORIES = ("Z89", "Z9")
# Index status codes that are findings, not the patient's status (Status, asthmaticus ...).
_STATUS_PREFIXES = ("Z2", "Z4", "Z8", "Z9", "Z7", "Z66")
# A subterm title of these words alone ("Presence, ear implant, specified type NEC") names no status itself.
_GENERIC_TITLE_WORDS = frozenset({"nec", "specified", "type", "other", "unspecified", "nos"})
# The words that make a body part a device in the Index's status subterms ("Presence, artificial, eye"): the note
# must say one, the code's title does not stand in for it.
_DEVICE_WORDS = frozenset(
    {"artificial", "prosthesis", "prosthetic", "mechanical", "device", "implant", "graft", "replacement"}
)
# Catch-all status codes ("presence of other specified devices") that one loosely shared word would give.
_TOO_GENERAL = frozenset({"Z97.8", "Z98.890", "Z99.89", "Z93.9", "Z96.9", "Z95.9", "Z94.9", "Z90.89", "Z89.9"})


# Words that say an organ or limb was taken away: an "Absence" entry names a status only with one of them
# ("L TKA" leaves a knee implant, not an absent knee).
_REMOVAL_RE = re.compile(r"ectom|amputat|absen|resect|remov|excis|explant", re.IGNORECASE)
# A procedure of this stay is the stay's procedure, not the patient's status ("s/p lap cholecystectomy 2/4" in a
# discharge summary): a date without a year or a hospital day in the phrase.
_THIS_STAY_RE = re.compile(
    r"\b\d{1,2}/\d{1,2}\b(?!/\d)|\b(?:hd|pod|hospital day)\s*#?\d+\b|\bthis (?:admission|stay|hospitalization)\b",
    re.IGNORECASE,
)
_NEGATED_BEFORE_RE = re.compile(
    r"\b(?:no|not|denies|denied|deny|without|never)\s+(?:[\w/-]+\s+){0,3}$", re.IGNORECASE
)  # "No known history of urinary lithiasis", "denied a history of"
_HEADING_RE = re.compile(r"^\s*[A-Za-z /]{1,30}:\s*")
_SURGICAL_HISTORY = "past_surgical_history"


def status_codes(
    note: NoteView,
    index: AlphabeticIndex,
    codeset: CodeSet,
    abbreviations: Abbreviations | None,
    setting: str = "outpatient",
) -> list[AddedCode]:
    """Status codes (Z89-Z99, Z66 ...) for devices, transplants, ostomies, absent organs, machine dependence and
    a do-not-resuscitate order (I.C.21.c.3)."""
    entries = _status_entries(index)
    # a phrase's status code depends on the phrase and the release alone: each is walked once per release
    owners = (index, codeset) if abbreviations is None else (index, codeset, abbreviations)
    walked = derived_table("history_status.status_code", *owners)
    if len(walked) > _WALKED_LIMIT:
        walked.clear()  # the phrases are the notes' words: a service running for months must not keep them all
    found: dict[str, list[tuple[int, int]]] = {}
    scores: dict[str, int] = {}
    sentences = list(note.sentences())
    # which sentences hold a cue or a status word: found once per note from where the words occur
    starts, ends = [sentence.start for sentence in sentences], [sentence.end for sentence in sentences]
    cued = ranges_saying_any(note.text, _STATUS_CUE_WORDS, starts, ends)
    worded = ranges_saying_any(note.text, _STATUS_WORDS, starts, ends)
    for position, sentence in enumerate(sentences):
        if sentence.section in _SKIP_SECTIONS:
            continue
        if position not in cued and position not in worded and sentence.section != _SURGICAL_HISTORY:
            continue  # no phrase where a status may be stated
        phrases = _status_phrases(note.text, sentence, position in cued, position in worded)
        coded: list[tuple[int, int]] = []
        for start, end in sorted(phrases, key=lambda span: span[0] - span[1]):  # longest first
            if any(start >= other_start and end <= other_end for other_start, other_end in coded):
                continue  # "transplant" inside "kidney transplant" already coded
            phrase = note.text[start:end]
            if _NEGATED_BEFORE_RE.search(note.text, sentence.start, start) or (
                setting == "inpatient" and _THIS_STAY_RE.search(phrase)
            ):
                continue
            if phrase not in walked:
                walked[phrase] = _status_code(phrase, entries, index, codeset, abbreviations)
            scored = walked[phrase]
            if scored is not None:
                coded.append((start, end))
                found.setdefault(scored[1], []).append((start, end))
                scores[scored[1]] = max(scores.get(scored[1], 0), scored[0])
    for code in _excluded_statuses(scores, codeset):
        del found[code]
    return [
        AddedCode(
            code,
            tuple(note.evidence(start, end) for start, end in spans),
            f"status ({codeset.codes[code].description})",
            STATUS_GUIDELINE,
        )
        for code, spans in found.items()
    ]


def _status_entries(index: AlphabeticIndex) -> list[IndexTerm]:
    """The Index's main terms a status is read under (found once per Index)."""
    table = derived_table("history_status.status_entries", index)
    if "entries" not in table:
        table["entries"] = [term for path in _STATUS_ENTRIES if (term := index.find(*path)) is not None]
    entries: list[IndexTerm] = table["entries"]
    return entries


def _status_phrases(text: str, sentence: NoteLine, cued: bool, worded: bool) -> list[tuple[int, int]]:
    """Where the sentence may state a status: after a cue ("s/p", "on home"), a status word ("pseudophakia",
    "DNR"), and each item of the past surgical history, which lists procedures already done (I.C.21.c.3).
    ``cued`` / ``worded``: whether the sentence holds one of the cues' words / of the status words (every match
    of the pattern holds one)."""
    phrases = []
    if cued:
        phrases += [
            (m.start("what"), m.end("what")) for m in _STATUS_CUE_RE.finditer(text, sentence.start, sentence.end)
        ]
    if worded:
        phrases += [(m.start(), m.end()) for m in _STATUS_WORD_RE.finditer(text, sentence.start, sentence.end)]
    if sentence.section == _SURGICAL_HISTORY:
        heading = _HEADING_RE.match(sentence.text)
        offset = sentence.start + (heading.end() if heading else 0)
        for item in re.finditer(r"[^,()]+", text[offset : sentence.end]):
            if item.group().strip():
                phrases.append((offset + item.start(), offset + item.end()))
    return phrases


def _excluded_statuses(scores: dict[str, int], codeset: CodeSet) -> set[str]:
    """Of two status codes whose Excludes1 notes rule each other out (I.A.12.a: "s/p PCI" Z98.61 and "DES to LAD"
    Z95.5, coronary angioplasty without and with implant), the one the fewer of the Index's words named."""
    return {
        code
        for code in scores
        for _note, reference in codeset.excludes1_references(code)
        if any(other != code and reference.covers(other) and scores[other] > scores[code] for other in scores)
    }


def _status_code(phrase, entries, index, codeset, abbreviations) -> tuple[int, str] | None:
    words = expanded_words(phrase, abbreviations) | _synonym_words(phrase)
    words |= _removed_organs(words, index, entries)
    if not words or not words & _entry_vocabulary(index, entries):
        return None
    removal = bool(_REMOVAL_RE.search(" ".join((phrase, *words))))
    best: tuple[int, str] | None = None
    for entry in entries:
        if entry.title == "Absence" and not removal:
            continue
        found = best_subterm(index, entry, words)
        if found is None:
            continue
        term, score = found
        if not _names_status(index, codeset, entry, term, words):
            continue
        code = billable_choice(codeset, term.codes[0], words)
        if code is None or code in _TOO_GENERAL or not code.startswith(_STATUS_PREFIXES):
            continue
        if best is None or score > best[0]:
            best = (score, code)
    return best


def _names_status(index: AlphabeticIndex, codeset: CodeSet, entry: IndexTerm, term: IndexTerm, words: set[str]) -> bool:
    """Whether the phrase's words name the status the walk reached (I.C.21.c.3: a status the note states):

    * every word of the subterm's title, or every word of one of its modifiers in a short phrase ("Status,
      dialysis (hemodialysis)") - not one shared word ("urinary lithiasis" is no "cystectomy (urinary bladder)");
    * the subterm right above it, by a word of the phrase ("a central scar" is no "Status, cystostomy,
      cutaneous"), or of the code's own title when that level is no device word ("pacemaker" is "Presence,
      cardiac, pacemaker", Z95.0 "Presence of cardiac pacemaker"; "eye pain" is no "Presence, artificial, eye").
      A subterm that only says "specified type NEC" names nothing: its parent must be said;
    * the word "transplant" for the Transplant entry ("the left kidney" states no kidney transplant)."""
    title_words = content_words(term.title) - _GENERIC_TITLE_WORDS
    named = title_words <= words or (
        len(words) <= 3 and any(modifier and modifier <= words for modifier in map(content_words, term.nemod))
    )
    vouching = _code_title_words(codeset, term) - _DEVICE_WORDS if title_words else frozenset()
    if not named or not _parent_named(index, entry, term, words, vouching):
        return False
    return entry.title != "Transplant" or any(word.startswith("transplant") for word in words)


def _code_title_words(codeset: CodeSet, term: IndexTerm) -> frozenset[str]:
    code = codeset.codes.get(term.codes[0]) if term.codes else None
    return content_words(code.description) if code is not None else frozenset()


def _parent_named(
    index: AlphabeticIndex, entry: IndexTerm, term: IndexTerm, words: AbstractSet[str], vouching: AbstractSet[str]
) -> bool:
    """The subterm right above ``term`` (when it is not ``entry`` itself) shares a word, of its title or
    modifiers, with ``words``, or has none but ``vouching`` words. Higher levels are often the Index's own
    wording ("Status, organ replacement, by artificial or mechanical device or prosthesis of, heart, valve"),
    which no note repeats."""
    parent = None if term.parent is None else index.term(term.parent)
    if parent is None or parent.id == entry.id:
        return True
    parent_words = level_words(parent)
    if not parent_words:  # "Dependence, on, wheelchair": "on" says nothing
        return True
    return bool(parent_words & words) or (bool(parent_words & vouching) and not parent_words & _DEVICE_WORDS)


def _synonym_words(phrase: str) -> frozenset[str]:
    """The Index words of the reviewed status wording in the phrase ("DES" -> coronary angioplasty, implant)."""
    synonyms = _status_synonyms()
    return frozenset().union(*(synonyms.get(word, frozenset()) for word in re.findall(r"[a-z]+", phrase.lower())))


@lru_cache(maxsize=1)
def _status_synonyms() -> dict[str, frozenset[str]]:
    return {row["word"]: content_words(row["index_words"]) for row in read_reviewed_table("status_synonyms")}


def _removed_organs(words: set[str], index: AlphabeticIndex, entries: list[IndexTerm]) -> set[str]:
    """The organ an "-ectomy" word names, as the Index's "Absence" entry spells it: "prostatectomy" -> prostate,
    "pancreatectomy" -> pancreas (the stem and the organ's word agree but for their last letter)."""
    organs: set[str] = set()
    for word in words:
        if word.endswith("ectomy") and len(word) > 10:
            organs |= _organ_of(word[: -len("ectomy")], _absence_vocabulary(index, entries))
    return organs


@lru_cache(maxsize=1024)
def _organ_of(stem: str, vocabulary: frozenset[str]) -> frozenset[str]:
    return frozenset(word for word in vocabulary if _shared_prefix(stem, word) >= max(5, len(stem) - 1, len(word) - 1))


def _shared_prefix(first: str, second: str) -> int:
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return length


def _absence_vocabulary(index: AlphabeticIndex, entries: list[IndexTerm]) -> frozenset[str]:
    cached = derived_table("history_status.absence_vocabulary", index)
    if "words" not in cached:
        absence = [entry for entry in entries if entry.title == "Absence"]
        cached["words"] = frozenset(word for entry in absence for row in subterm_rows(index, entry) for word in row[1])
    words: frozenset[str] = cached["words"]
    return words


def _entry_vocabulary(index: AlphabeticIndex, entries: list[IndexTerm]) -> frozenset[str]:
    """Every word of the status entries' subterms (a phrase sharing none cannot name a status)."""
    cached = derived_table("history_status.entry_vocabulary", index)
    if "words" not in cached:
        words: set[str] = set()
        for entry in entries:
            for row in subterm_rows(index, entry):
                words |= row[1]
        cached["words"] = frozenset(words)
    vocabulary: frozenset[str] = cached["words"]
    return vocabulary


@lru_cache(maxsize=1)
def _abbreviations() -> Abbreviations:
    return load_abbreviations()


@guideline_steps.register("chartcoder.guidelines.status.v1")
def code_status(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Status codes through the Index's Status / Absence / Dependence / Transplant / Presence entries
    (I.C.21.c.3)."""
    index = context.index("index")
    if index is not None:
        added = status_codes(note_of(context), index, context.codeset, _abbreviations(), context.setting)
        add_codes(draft, added, context.codeset, threshold=context.threshold)
    _drop_unstated_status(draft, context)


def _drop_unstated_status(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """A status code (Z89-Z99) says the patient has a device, a transplant, an absent organ, a dependence
    (I.C.21.c.3); one word the lexicon files there ("transplant" in "transplant referral") says none of it. A
    status code no rule built and no sentence of its evidence states (s/p, status post, on home O2 ...) leaves."""
    for entry in draft.in_category(*_STATUS_CATEGORIES):
        if any(mention.term_source == "guideline" for mention in entry.mentions):
            continue
        sentences = [context.sentence_around(mention.start, mention.end) for mention in entry.mentions]
        if not any(_STATUS_CUE_RE.search(text) or _STATUS_WORD_RE.search(text) for text in sentences):
            draft.remove(entry.code, f"no status stated: a passing word is not a status ({STATUS_GUIDELINE})")


# --- family history of the patient's own condition -----------------------------------------------------------
def _category(code: str) -> str:
    return code.replace(".", "")[:3]


def _patient_conditions(draft: CodeSetDraft) -> tuple[set[str], set[str]]:
    """(the categories of the codes the patient has now, with the components combinations replaced; the words
    of the patient's own mentions of them)."""
    categories: set[str] = set()
    terms: set[str] = set()
    for entry in draft.entries:
        if entry.code.startswith("Z"):
            continue
        own = [mention for mention in entry.mentions if mention.assertion in ("present", "possible")]
        if not own:
            continue
        categories.update(_category(code) for code in (entry.code, *entry.replaces))
        terms.update(mention.term.lower() for mention in own)
    return categories, terms


def _patient_has(mention: Mention, categories: set[str], terms: set[str]) -> bool:
    # the term's own (first) code: "MI" names I21.9 first, not the I25.2 of an old infarction a CAD patient has
    return mention.term.lower() in terms or any(_category(code) in categories for code in mention.codes[:1])


@guideline_steps.register("chartcoder.guidelines.family_history.v1")
def drop_family_history_of_own_condition(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """A family history code is for a relative's disease that puts the patient "at higher risk of also
    contracting the disease" (I.C.21.c.4): when every relative's condition behind it is one the patient has now
    (family DM2 in a patient with DM2), it tells nothing the patient's own code does not, and leaves the list."""
    categories, terms = _patient_conditions(draft)
    if not categories:
        return
    for entry in list(draft.in_category(*_FAMILY_CATEGORIES)):
        family = [mention for mention in entry.mentions if mention.assertion == "family"]
        if family and all(_patient_has(mention, categories, terms) for mention in family):
            draft.remove(
                entry.code,
                f"family history of a condition the patient has now: not a risk factor to report ({HISTORY_GUIDELINE})",
            )
