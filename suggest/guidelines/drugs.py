"""Poisoning, adverse effect, underdosing and toxic effects from the Table of Drugs and Chemicals (I.C.19.e).

The drug named in the sentence gives its Table of Drugs row; the sentence says which column:

- poisoning (wrong drug, wrong dose, overdose, intoxication), intent 1-4 from the note: intentional self-harm
  (2), assault (3), undetermined only when the note says the intent cannot be told (4), else accidental (1)
  (I.C.19.e.5.b: "if the intent of the poisoning is unknown or unspecified, code the intent as accidental");
  a nonprescribed drug taken with a prescribed one: each drug an "interaction of X with Y" names is a poisoning;
- adverse effect of a drug properly prescribed and taken (T..5, I.C.19.e.5.a): the manifestation is coded
  first, the T code after it (the sequencing step never puts a T..5 first). The manifestation is the effect the
  sentence names ("hyperglycemia" of "steroid-induced hyperglycemia", "hyperkalemia" of "hyperkalemia due to
  lisinopril"); when no listed code reads those words, the Alphabetic Index main term they name gives it (a
  "decreased" / "poor" function is the Index's "Loss (of)": "decreased appetite" -> Loss, appetite R63.0);
- underdosing (T..6, I.C.19.e.5.c) with the noncompliance reason: Z91.120 / Z91.128 intentional (financial
  hardship / other), Z91.130 / Z91.138 unintentional (age-related debility / other), Z91.141 / Z91.148 other;
- toxic effects of non-medicinal substances (T51-T65) use the same intent columns.

A drug merely taken (a medication list, "timolol drops OD", "apixaban due to atrial fibrillation") gets no T code
(I.C.19.e.5): a poisoning needs words of overdose, ingestion, a wrong drug / dose / route or an intent said of the
drug; an adverse effect needs an effect stated as caused by it ("X due to DRUG", "DRUG-induced X").

The 7th character is A (initial encounter) unless the note says subsequent (D) or sequela (S).
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.cues import REACH as cue_reach
from suggest.guidelines.cues import cue_near, cue_words, forget_cues
from suggest.guidelines.draft import CodeSetDraft
from suggest.guidelines.drug_names import DrugMention, find_drugs
from suggest.guidelines.folding import folded_note, ranges_saying_any, says_any
from suggest.guidelines.index_walk import best_subterm, billable_choice, content_words
from suggest.guidelines.note import AddedCode, NoteLine, NoteView, add_codes, note_of
from suggest.guidelines.registry import guideline_steps
from vocab.codeset import CodeSet
from vocab.errors import VocabError
from vocab.index import AlphabeticIndex

__all__ = ["adverse_effect_manifestations", "drug_event_codes"]

POISONING = "I.C.19.e.5.b"
ADVERSE = "I.C.19.e.5.a"
UNDERDOSING = "I.C.19.e.5.c"
_SKIPPED_SECTIONS = ("allergies", "family_history", "medications")
_UNDERDOSING_RE = re.compile(
    r"\b(ran out|run(?:ning)? out|out of (?:\w+ )?(?:meds?|medications?|pills|refills?)|"
    r"missed (?:\w+ )?dos(?:e|es|ing)|"
    r"skipp\w+|stopped taking|not (?:been )?taking|non-?complian\w*|non-?adheren\w*|under-?dos\w*|"
    r"taking (?:less|half)|cut (?:back|down)|ration\w*|self-discontinued|unable to afford|"
    r"(?:couldn't|could not|can't|cannot) afford)\b",
    re.IGNORECASE,
)
# I.C.19.e.5.b: a poisoning is an overdose, a wrong substance / dose / route, an ingestion or an intent, said of
# the drug. Not a poisoning: "OD" meaning the right eye ("14 mmHg in OD with timolol", so only "OD on/of ..."),
# "suicidal" ideation, a person "intoxicated" (only an "intoxication" or "intoxicated with/on/by" names the drug),
# a dose count ("took 2 tablets"), and a medicine's route ("albuterol inhaler"): see _TOXIC_EXPOSURE_RE.
_POISONING_RE = re.compile(
    r"\b(overdos\w*|OD (?:on|of)|poison\w*|ingest\w*|swallowed|intoxication|intoxicated (?:with|on|by)|"
    r"took (?:about |approximately |~)?(?:\d{2,} (?:\w+ )?(?:tablets?|pills?|capsules?|tabs?)|a handful|several|"
    r"multiple|many|an? (?:entire|whole))|(?:intentionally|deliberately|purposely) (?:took|ingested|swallowed)|"
    r"suicide attempt|self[- ]harm|wrong (?:medication|drug|dose|route|patient)|(?:medication|dosing) error|"
    r"given in error|by mistake|accidental(?:ly)? (?:took|ingest\w*|given))\b",
    re.IGNORECASE,
)
# Exposure to / inhalation of a substance is a toxic effect only for a nonmedicinal substance (T51-T65, I.C.19.e.5.b):
# a medicine "inhaled" or an "inhalation" is its route of administration.
_TOXIC_EXPOSURE_RE = cue_words("exposure to", "exposed to", r"inhal(?:ed|ation|ing)")
_TOXIC_EFFECT_CATEGORIES = tuple(f"T{number}" for number in range(51, 66))
# I.C.19.e.5.a: an adverse effect is an effect stated as caused by the drug: "hyperkalemia due to lisinopril" (the
# cause cue before the drug) or "steroid-induced hyperglycemia" (the drug before its cue), within a few words and no
# punctuation between; "apixaban due to atrial fibrillation" or "started on X due to Y" names why it was given.
_CAUSED_BY_RE = cue_words(
    "due to",
    "secondary to",
    # "2/2" is "secondary to" ("hypokalemia 2/2 HCTZ"), but after a culture it counts bottles ("Blood cx 2/2")
    r"(?<!cx )(?<!cxs )(?<!culture )(?<!cultures )(?<!bottles )2/2",
    "caused by",
    "attributed to",
    "related to",
    "reaction to",
    r"adverse (?:effect|reaction|drug reaction)s? (?:of|to|from)",
    r"toxicity (?:of|from)",
    r"from (?:his|her|the)? ?(?:\w+ )?(?:therapy|use)",
)
_EFFECT_OF_RE = cue_words("induced", "toxicity")
_SIDE_EFFECT_RE = cue_words(r"side[- ]effects?", r"adverse (?:effect|reaction|drug reaction)s?")
# Side effects discussed, reviewed or to be watched for are not an effect the patient has.
_COUNSELING_RE = cue_words(r"discuss\w*", r"review\w*", r"counsel\w*", r"educat\w*", r"risks?", r"monitor\w* for")
_ADVERSE_RE = re.compile("|".join(cue.pattern for cue in (_CAUSED_BY_RE, _EFFECT_OF_RE, _SIDE_EFFECT_RE)), re.I)
# Between a cause cue and its drug: at most three words ("due to his recent lisinopril"), no punctuation.
_SHORT_GAP_RE = re.compile(r"[\s\-]*(?:[\w'/]+[\s\-]+){0,3}")
_INTENTIONAL_RE = cue_words(r"intentional\w*", r"suicid\w*", r"self[- ]harm", r"deliberate\w*", "on purpose")
_ASSAULT_RE = re.compile(r"\b(assault\w*|poisoned by (?:her|his|a|an)|homicid\w*|given by (?:another|someone))\b", re.I)
_UNDETERMINED_RE = re.compile(r"\b(undetermined|unknown intent|intent (?:unknown|unclear|undetermined))\b", re.I)
_FINANCIAL_RE = re.compile(r"\b(afford\w*|cost\w*|financ\w*|insurance|copay\w*|money|expensive)\b", re.IGNORECASE)
_INTENT_REASON_RE = re.compile(r"\b(chose|decided|didn't want|did not want|refus\w*|side effects?|on purpose)\b", re.I)
_FORGOT_RE = re.compile(r"\b(forg[eo]t\w*|confus\w*|memory|dementia|misunderst\w*|cognitive)\b", re.IGNORECASE)
_AGE_RE = re.compile(r"\b(age-related|elderly|frail\w*|debility)\b", re.IGNORECASE)
# I.C.19.e.5.b: a nonprescribed (over-the-counter) drug taken with a prescribed one: the interaction is a poisoning.
_NONPRESCRIBED_RE = re.compile(
    r"\b(otc|over[- ]the[- ]counter|non-?prescribed|not prescribed|on (?:his|her|their) own|interaction)\b", re.I
)
# Every match of _NONPRESCRIBED_RE holds one of these: most notes hold none, and skip the whole-note scan.
_NONPRESCRIBED_WORDS = ("otc", "counter", "prescribed", " own", "interaction")
# Every match of each of _UNDERDOSING_RE, _POISONING_RE, _TOXIC_EXPOSURE_RE and _ADVERSE_RE holds one of its own
# words (lower case): a sentence runs only the patterns whose words it holds (suggest/guidelines/folding.py).
_UNDERDOSING_WORDS = (
    "ran out",
    "run out",
    "running out",
    "out of",
    "missed",
    "skipp",
    "taking",
    "complian",
    "adheren",
    "underdos",
    "under-dos",
    "cut back",
    "cut down",
    "ration",
    "discontinued",
    "afford",
)
_POISONING_WORDS = (
    "overdos",
    "od ",
    "poison",
    "ingest",
    "swallowed",
    "intoxicat",
    "took",
    "suicide",
    "harm",
    "wrong",
    "error",
    "mistake",
    "accidental",
)
_TOXIC_EXPOSURE_WORDS = ("expos", "inhal")
# _ADVERSE_RE: _CAUSED_BY_RE, _EFFECT_OF_RE, _SIDE_EFFECT_RE
_ADVERSE_WORDS = (
    "due to",
    "secondary to",
    "2/2",
    "caused by",
    "attributed to",
    "related to",
    "reaction to",
    "adverse",
    "toxicity",
    "from",
    "induced",
    "side",
)
_EVENT_CUES = (
    (_UNDERDOSING_RE, _UNDERDOSING_WORDS),
    (_POISONING_RE, _POISONING_WORDS),
    (_TOXIC_EXPOSURE_RE, _TOXIC_EXPOSURE_WORDS),
    (_ADVERSE_RE, _ADVERSE_WORDS),
)
_EVENT_WORDS = _UNDERDOSING_WORDS + _POISONING_WORDS + _TOXIC_EXPOSURE_WORDS + _ADVERSE_WORDS
_INDUCED_RE = cue_words("induced")
_INTERACTION_RE = cue_words(r"interactions?")
_INTERACTION_REACH = 80
_CLAUSE_STOP_RE = re.compile(r"[.;()\n]")
# Where an effect's clause starts or stops: punctuation, a spaced dash, a list number or bullet.
_CLAUSE_BREAK_RE = re.compile(r"[.;:,()\n]|\s[-\u2013]\s|\bw/|\bwith\b")
_LIST_LEAD_RE = re.compile(r"\s*(?:#|\d{1,2}[.)]|[-*\u2022])?\s*")
_TRIM = " \t-\u2013*\u2022#"
_EFFECT_WORDS = 5
# The Index's main term for what notes call a decrease: "Loss (of), appetite" R63.0 for "decreased appetite".
_INDEX_WORDS = {"decreased": "loss", "reduced": "loss", "diminished": "loss", "poor": "loss"}
# An effect is a condition: never an injury, external cause, drug or status code.
_NOT_MANIFESTATIONS = ("S", "T", "V", "W", "X", "Y", "Z")
_INTENT_COLUMNS = ("poisoning_accidental", "poisoning_intentional", "poisoning_assault", "poisoning_undetermined")


def drug_event_codes(note: NoteView, drug_table: AlphabeticIndex, codeset: CodeSet) -> list[AddedCode]:
    """The T36-T65 codes (with their Z91.1- reason for underdosing) the note's sentences support."""
    return _unique([item for item, _ in _drug_events(note, drug_table, codeset)])


def _drug_events(
    note: NoteView, drug_table: AlphabeticIndex, codeset: CodeSet
) -> list[tuple[AddedCode, tuple[int, int] | None]]:
    """Each drug event code with, for an adverse effect, where the note states the effect (note offsets)."""
    seventh = ""  # read off the note when a sentence first gives a code (most notes give none)
    nonprescribed = says_any(folded_note(note), _NONPRESCRIBED_WORDS) and bool(_NONPRESCRIBED_RE.search(note.text))
    sentences = list(note.sentences())
    cued = _cued_sentences(note, sentences)
    # a sentence with no cue's words has no event, unless it names an interaction (read only when the note says
    # a drug was not prescribed)
    read = range(len(sentences)) if nonprescribed else sorted(set().union(*(holding for _, holding in cued)))
    added: list[tuple[AddedCode, tuple[int, int] | None]] = []
    for position in read:
        sentence = sentences[position]
        if sentence.section in _SKIPPED_SECTIONS:
            continue
        text = sentence.text
        interaction = nonprescribed and _INTERACTION_RE.search(text) is not None
        if not interaction and not any(position in holding and cue.search(text) for cue, holding in cued):
            continue  # no poisoning, adverse-effect or underdosing words: no drug event to code
        drugs = [drug for drug in find_drugs(note.text, sentence.start, sentence.end, drug_table) if drug.row]
        if not drugs:
            continue
        text = sentence.text
        for drug in drugs:
            column, guideline, why = _column(text, drug, sentence.start, nonprescribed)
            if column is None:
                continue
            printed = dict(drug.row.columns).get(column) if drug.row else None
            if printed and not seventh:
                seventh = _seventh_character(note.text)
            code = _with_seventh(codeset, printed, seventh) if printed else None
            if code is None:
                continue
            evidence = (note.evidence(sentence.start, sentence.end),)
            row_title = " > ".join(drug_table.path(drug.row.id)) if drug.row else drug.generic
            rationale = f"{why}: Table of Drugs row '{row_title}', column {column.replace('_', ' ')}"
            sequence = "after" if column == "adverse_effect" else "secondary"
            effect = None
            if column == "adverse_effect":
                found = _effect_span(text, (drug.start - sentence.start, drug.end - sentence.start))
                effect = None if found is None else (sentence.start + found[0], sentence.start + found[1])
            added.append((AddedCode(code, evidence, rationale, guideline, sequence=sequence), effect))
            if column == "underdosing":
                following = sentences[position + 1].text if position + 1 < len(sentences) else ""
                reason = _underdosing_reason(f"{text} {following}")  # the reason often follows ("... cost")
                added.append((AddedCode(reason, evidence, "reason for the underdosing", UNDERDOSING), None))
    return added


def _cued_sentences(note: NoteView, sentences: list[NoteLine]) -> list[tuple[re.Pattern[str], set[int]]]:
    """Each of the poisoning, toxic-exposure, adverse-effect and underdosing patterns with the positions of the
    sentences holding one of its words: a pattern runs only on those (most sentences hold none, or one pattern's)."""
    starts = [sentence.start for sentence in sentences]
    ends = [sentence.end for sentence in sentences]
    return [(cue, ranges_saying_any(note.text, words, starts, ends)) for cue, words in _EVENT_CUES]


def _column(text: str, drug: DrugMention, offset: int, nonprescribed: bool) -> tuple[str | None, str, str]:
    """The Table column the sentence ``text`` (starting at ``offset`` in the note) gives ``drug``."""
    columns = dict(drug.row.columns) if drug.row else {}
    where = (drug.start - offset, drug.end - offset)
    if cue_near(_UNDERDOSING_RE, text, where) and "underdosing" in columns:
        return "underdosing", UNDERDOSING, "underdosing (taken less than prescribed)"
    interaction = nonprescribed and (_caused_by_drug(text, where) or _in_interaction(text, where))
    toxic = (columns.get(_INTENT_COLUMNS[0]) or "").startswith(_TOXIC_EFFECT_CATEGORIES)
    if cue_near(_POISONING_RE, text, where) or (toxic and cue_near(_TOXIC_EXPOSURE_RE, text, where)) or interaction:
        intent = _intent(text)
        column = _INTENT_COLUMNS[intent]
        if column in columns:
            label = ("accidental (intent not stated)", "intentional self-harm", "assault", "undetermined")[intent]
            if interaction:
                label += "; a nonprescribed drug taken with a prescribed one: a poisoning"
            return column, POISONING, f"poisoning, {label}"
    if "adverse_effect" in columns and _caused_by_drug(text, where):
        return "adverse_effect", ADVERSE, "adverse effect of a drug correctly prescribed and taken"
    return None, "", ""


def _caused_by_drug(text: str, where: tuple[int, int]) -> bool:
    """Whether the sentence states an effect as caused by the drug at ``where`` (I.C.19.e.5.a): a cause cue a few
    words before it with an effect before the cue ("hyperkalemia due to lisinopril"), or an effect cue a few words
    after it ("steroid-induced", "lithium toxicity"). A drug merely taken, or given "due to" its indication, is not."""
    start, end = where
    for cue in _CAUSED_BY_RE.finditer(text, max(0, start - cue_reach), start + cue_reach):
        effect_before = text[: cue.start()].strip(" \t-*\u2022:")
        if cue.start() < start and effect_before and (cue.end() >= end or _short_gap(text, cue.end(), start)):
            return True
    if _effect_after(_EFFECT_OF_RE, text, end):
        return True
    # "metformin side effects reviewed": side effects discussed are none the patient has
    return _effect_after(_SIDE_EFFECT_RE, text, end) and not _COUNSELING_RE.search(text)


def _in_interaction(text: str, where: tuple[int, int]) -> bool:
    """Whether the drug at ``where`` is one of the drugs an "interaction of X with Y" / "interaction between X and
    Y" names (same clause, after the word): each is a poisoning when one was not prescribed (I.C.19.e.5.b)."""
    start, _ = where
    return any(
        not _CLAUSE_STOP_RE.search(text, cue.end(), start)
        for cue in _INTERACTION_RE.finditer(text, max(0, start - _INTERACTION_REACH), start)
    )


def _effect_span(text: str, where: tuple[int, int]) -> tuple[int, int] | None:
    """Where the sentence ``text`` names the effect of the drug at ``where`` (I.C.19.e.5.a): the clause before a
    cause cue ("Hyperkalemia due to lisinopril") or the words after "induced" ("steroid-induced hyperglycemia")."""
    start, end = where
    for cue in _CAUSED_BY_RE.finditer(text, max(0, start - cue_reach), start + cue_reach):
        if cue.start() < start and (cue.end() >= end or _short_gap(text, cue.end(), start)):
            clause_start = max((match.end() for match in _CLAUSE_BREAK_RE.finditer(text, 0, cue.start())), default=0)
            lead = _LIST_LEAD_RE.match(text, clause_start)
            return _trimmed(text, lead.end() if lead else clause_start, cue.start())
    for cue in _INDUCED_RE.finditer(text, end, end + cue_reach):
        if _short_gap(text, end, cue.start()):
            stop = _CLAUSE_BREAK_RE.search(text, cue.end())
            return _trimmed(text, cue.end(), stop.start() if stop else len(text))
    return None


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``start:end`` without the spaces and dashes around it; None when empty or longer than an effect's name."""
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    words = text[start:end].split()
    return (start, end) if 0 < len(words) <= _EFFECT_WORDS else None


def adverse_effect_manifestations(
    note: NoteView, effects: list[tuple[int, int]], index: AlphabeticIndex, codeset: CodeSet
) -> list[AddedCode]:
    """The code of each stated effect, from the Alphabetic Index main term its words name (and the subterm the
    other words name): the manifestation an adverse effect's T code follows (I.C.19.e.5.a). An effect whose words
    name no main term gives nothing."""
    added = []
    for start, end in effects:
        code, path = _index_code(note.text[start:end], index, codeset)
        if code is not None:
            rationale = f"manifestation of an adverse effect, coded first: Alphabetic Index {path}"
            added.append(AddedCode(code, (note.evidence(start, end),), rationale, ADVERSE))
    return added


def _index_code(phrase: str, index: AlphabeticIndex, codeset: CodeSet) -> tuple[str | None, str]:
    """The code of the Index main term a word of ``phrase`` names, walked to the subterm the other words name
    ("Rash" for "diffuse rash": words no subterm names only qualify it); the walk that reads most words wins."""
    said = re.findall(r"[a-z]+", phrase.lower())
    said += [_INDEX_WORDS[word] for word in said if word in _INDEX_WORDS]
    words = content_words(phrase) | set(said)
    best: tuple[int, str, str] | None = None
    for word in said:
        main = index.resolve_reference(word)  # a main term by any of its forms ("Hyperglycemia, hyperglycemic")
        if main is None or main.parent is not None or not _leads_with(main.title, word):
            continue  # only the main term the word names ("Confusion, confused"), not one it qualifies
        term, read = main, len(content_words(main.title) & words)
        found = best_subterm(index, main, words - content_words(main.title))
        if found is not None and content_words(found[0].title) <= words:
            term, read = found[0], read + len(content_words(found[0].title))
        if not term.codes:
            continue
        code = billable_choice(codeset, term.codes[0], words)
        if code is not None and not code.startswith(_NOT_MANIFESTATIONS) and (best is None or read > best[0]):
            best = (read, code, " > ".join(index.path(term.id)))
    return (None, "") if best is None else (best[1], best[2])


def _leads_with(title: str, word: str) -> bool:
    lead = re.sub(r"\(.*?\)", "", title.split(",")[0]).strip().lower()
    return lead in (word, word.rstrip("s"))


def _effect_after(pattern: re.Pattern[str], text: str, end: int) -> bool:
    return any(_short_gap(text, end, cue.start()) for cue in pattern.finditer(text, end, end + cue_reach))


def _short_gap(text: str, start: int, end: int) -> bool:
    return start <= end and _SHORT_GAP_RE.fullmatch(text, start, end) is not None


def _intent(text: str) -> int:
    """Index into the poisoning columns: 0 accidental (the default), 1 self-harm, 2 assault, 3 undetermined."""
    if _INTENTIONAL_RE.search(text):
        return 1
    if _ASSAULT_RE.search(text):
        return 2
    return 3 if _UNDETERMINED_RE.search(text) else 0


def _underdosing_reason(text: str) -> str:
    if _FINANCIAL_RE.search(text):
        return "Z91.120"  # intentional underdosing due to financial hardship
    if _FORGOT_RE.search(text):
        return "Z91.130" if _AGE_RE.search(text) else "Z91.138"
    if _INTENT_REASON_RE.search(text):
        return "Z91.128"
    return "Z91.148"


def _seventh_character(text: str) -> str:
    lowered = text.lower()
    if "sequela" in lowered:
        return "S"
    if re.search(r"\bsubsequent encounter\b", lowered):
        return "D"
    return "A"


def _with_seventh(codeset: CodeSet, printed: str, seventh: str) -> str | None:
    code = printed.rstrip("-")
    try:
        return codeset.build_seventh(code, seventh).code if codeset.needs_seventh_character(code) else code
    except VocabError:
        return None


def _unique(added: list[AddedCode]) -> list[AddedCode]:
    merged: dict[str, AddedCode] = {}
    for item in added:
        if item.code in merged:
            first = merged[item.code]
            pieces = {(piece.start, piece.end): piece for piece in (*first.evidence, *item.evidence)}
            evidence = tuple(pieces.values())
            merged[item.code] = AddedCode(item.code, evidence, first.rationale, first.guideline, first.sequence)
        else:
            merged[item.code] = item
    return list(merged.values())


@guideline_steps.register("chartcoder.guidelines.drugs.v1")
def code_drug_events(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Poisoning / adverse effect / underdosing / toxic effect codes from the Table of Drugs (I.C.19.e.5)."""
    drug_table = context.index("drug")
    if drug_table is None:
        return
    note = note_of(context)
    try:
        events = _drug_events(note, drug_table, context.codeset)
    finally:
        forget_cues()  # the cache's keys are the note's sentences: no note text outlives the note's coding
    if not events:
        return
    added = _unique([item for item, _ in events])
    ours = {item.code for item in added}
    if any(code[0] == "T" and code[5:6] == "2" for code in ours):
        # I.C.19.e.5.b: an intentional self-poisoning code says the suicide attempt; T14.91 is not added
        for entry in draft.in_category("T14.91"):
            draft.remove(entry.code, f"the intentional poisoning code conveys the suicide attempt ({POISONING})")
    if any(code.startswith("Z91.1") for code in ours):
        for entry in draft.in_category("Z91.1"):
            if entry.code not in ours:
                draft.remove(entry.code, f"the underdosing reason the note gives is coded ({UNDERDOSING})")
    add_codes(draft, added, context.codeset, threshold=context.threshold)
    index = context.index("index")
    uncoded = [effect for _, effect in events if effect is not None and not _coded_at(draft, effect)]
    if index is not None and uncoded:
        manifestations = adverse_effect_manifestations(note, uncoded, index, context.codeset)
        add_codes(
            draft,
            [item for item in manifestations if item.code not in draft],
            context.codeset,
            threshold=context.threshold,
        )


def _coded_at(draft: CodeSetDraft, span: tuple[int, int]) -> bool:
    """Whether a listed code (other than a drug event's) reads words of ``span`` the patient has."""
    start, end = span
    return any(
        piece.start < end and start < piece.end and piece.assertion not in ("negated", "family", "hypothetical")
        for entry in draft.entries
        if not entry.code.startswith("T")
        for mention in entry.mentions
        for piece in mention.evidence
    )
