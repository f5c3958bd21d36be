"""Poisoning, adverse effect, underdosing and toxic effects from the Table of Drugs and Chemicals (I.C.19.e).

The drug named in the sentence gives its Table of Drugs row; the sentence says which column:

- poisoning (wrong drug, wrong dose, overdose, intoxication), intent 1-4 from the note: intentional self-harm
  (2), assault (3), undetermined only when the note says the intent cannot be told (4), else accidental (1)
  (I.C.19.e.5.b: "if the intent of the poisoning is unknown or unspecified, code the intent as accidental");
- adverse effect of a drug properly prescribed and taken (T..5, I.C.19.e.5.a): the manifestation is coded
  first, the T code after it (the sequencing step never puts a T..5 first);
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
from suggest.guidelines.folding import folded_note, says_any
from suggest.guidelines.note import AddedCode, NoteView, add_codes, note_of
from suggest.guidelines.registry import guideline_steps
from vocab.codeset import CodeSet
from vocab.errors import VocabError
from vocab.index import AlphabeticIndex

__all__ = ["drug_event_codes"]

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
# Every match of _UNDERDOSING_RE, _POISONING_RE, _TOXIC_EXPOSURE_RE and _ADVERSE_RE holds one of these words (lower
# case): a sentence without any is skipped before the patterns run (suggest/guidelines/folding.py).
_EVENT_WORDS = (
    # _UNDERDOSING_RE
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
    # _POISONING_RE
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
    # _TOXIC_EXPOSURE_RE
    "expos",
    "inhal",
    # _ADVERSE_RE (_CAUSED_BY_RE, _EFFECT_OF_RE, _SIDE_EFFECT_RE)
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
_INTENT_COLUMNS = ("poisoning_accidental", "poisoning_intentional", "poisoning_assault", "poisoning_undetermined")


def drug_event_codes(note: NoteView, drug_table: AlphabeticIndex, codeset: CodeSet) -> list[AddedCode]:
    """The T36-T65 codes (with their Z91.1- reason for underdosing) the note's sentences support."""
    seventh = _seventh_character(note.text)
    nonprescribed = bool(_NONPRESCRIBED_RE.search(note.text))
    sentences = list(note.sentences())
    lowered = folded_note(note)
    added: list[AddedCode] = []
    for position, sentence in enumerate(sentences):
        if sentence.section in _SKIPPED_SECTIONS:
            continue
        text = sentence.text
        cues = (_UNDERDOSING_RE, _POISONING_RE, _TOXIC_EXPOSURE_RE, _ADVERSE_RE)
        if not says_any(lowered, _EVENT_WORDS, sentence.start, sentence.end) or not any(
            cue.search(text) for cue in cues
        ):
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
            code = _with_seventh(codeset, printed, seventh) if printed else None
            if code is None:
                continue
            evidence = (note.evidence(sentence.start, sentence.end),)
            row_title = " > ".join(drug_table.path(drug.row.id)) if drug.row else drug.generic
            rationale = f"{why}: Table of Drugs row '{row_title}', column {column.replace('_', ' ')}"
            sequence = "after" if column == "adverse_effect" else "secondary"
            added.append(AddedCode(code, evidence, rationale, guideline, sequence=sequence))
            if column == "underdosing":
                following = sentences[position + 1].text if position + 1 < len(sentences) else ""
                reason = _underdosing_reason(f"{text} {following}")  # the reason often follows ("... cost")
                added.append(AddedCode(reason, evidence, "reason for the underdosing", UNDERDOSING))
    return _unique(added)


def _column(text: str, drug: DrugMention, offset: int, nonprescribed: bool) -> tuple[str | None, str, str]:
    """The Table column the sentence ``text`` (starting at ``offset`` in the note) gives ``drug``."""
    columns = dict(drug.row.columns) if drug.row else {}
    where = (drug.start - offset, drug.end - offset)
    if cue_near(_UNDERDOSING_RE, text, where) and "underdosing" in columns:
        return "underdosing", UNDERDOSING, "underdosing (taken less than prescribed)"
    interaction = nonprescribed and _caused_by_drug(text, where)
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
    try:
        added = drug_event_codes(note_of(context), drug_table, context.codeset)
    finally:
        forget_cues()  # the cache's keys are the note's sentences: no note text outlives the note's coding
    if not added:
        return
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
