"""Tobacco, alcohol and drugs (I.C.5.b, I.C.21.c.1, I.C.21.c.4).

- Current tobacco dependence by product: the Index sends "Smoker" to "Dependence, drug, nicotine", whose
  subterms give F17.21- cigarettes, F17.22- chewing tobacco, F17.29- other products (cigars, pipes, vaping);
  the 6th character is "uncomplicated" (0) unless the note says in remission (1) or withdrawal (3).
  "Tobacco use" with no smoking product stays Z72.0 (Index: Use, tobacco), which Excludes1 F17.
- A former smoker: Z87.891 personal history of nicotine dependence (I.C.21.c.4), never F17.
- Second-hand smoke: Z77.22 exposure to environmental tobacco smoke (I.C.21.c.1), as the Tabular's "use
  additional code" notes of J45 / J44 / H66 ask.
- Psychoactive substances (I.C.5.b.2): one code per substance, dependence over abuse over use.
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.cues import cue_words
from suggest.guidelines.draft import CodeSetDraft
from suggest.guidelines.folding import folded_note, says_any, text_says_any
from suggest.guidelines.note import (
    SUPPLEMENTARY_MARGIN,
    SUPPLEMENTARY_SCORE,
    AddedCode,
    NoteView,
    add_codes,
    note_of,
)
from suggest.guidelines.registry import guideline_steps

__all__ = ["remission_codes", "substance_hierarchy_drops", "tobacco_codes"]

TOBACCO_GUIDELINE = "I.C.5.b"
HISTORY_GUIDELINE = "I.C.21.c.4"
EXPOSURE_GUIDELINE = "I.C.21.c.1"
HIERARCHY_GUIDELINE = "I.C.5.b.2"
REMISSION_GUIDELINE = "I.C.5.b.1"
USE_GUIDELINE = "I.C.5.b.3"
SUBSTANCE_GUIDELINE = "I.C.5.b"


def _is_use_uncomplicated(code: str) -> bool:
    """F10.90, F11.90 ... F19.90: psychoactive substance use, uncomplicated (no disorder to link it to)."""
    return code.startswith("F1") and code[1:3] != "17" and code[3:] == ".90"


_NEVER_RE = re.compile(
    r"\b(never|non-?smoker|denies|no (?:history of )?(?:tobacco|smoking|nicotine)|does not smoke|doesn't smoke|"
    r"tobacco:? (?:none|no|denies|never))\b",
    re.IGNORECASE,
)
_PASSIVE_RE = re.compile(
    r"\b(second[- ]?hand smoke|passive smok\w*|environmental tobacco smoke|"
    r"(?:parents?|mother|father|mom|dad|caregivers?|household(?: members?)?|grandm\w*|grandf\w*)"
    r"(?: \w+){0,2} smok(?:e|es|ing|ers?)\b|smok\w* (?:in|inside) (?:the )?(?:home|house|car))",
    re.IGNORECASE,
)
_PRODUCT_WORDS = r"smok\w*|tobacco|cig\w*|cigars?|pipe|vap\w*|e-?cig\w*|chew\w*|dip|snuff|nicotine"
_FORMER_RE = re.compile(
    rf"\b(?:former|ex-?|past|previous|prior|remote|quit|stopped)\b[^.;\n]{{0,30}}\b(?:{_PRODUCT_WORDS})|"
    rf"\b(?:{_PRODUCT_WORDS})\b[^.;\n]{{0,40}}\b(?:quit|stopped|former|ex-smoker)\b",
    re.IGNORECASE,
)
_CURRENT_RE = re.compile(
    r"\b(smok(?:es|er|ing)|cigarettes?|cigs?|\d+(?:\.\d+)?\s*(?:ppd|packs?(?:/| per | a )day)|pack[- ]years?|"
    r"nicotine dependence|tobacco (?:dependence|abuse)|chew(?:s|ing)? tobacco|dips|dip(?:ping)? tobacco|snuff|"
    r"vap(?:es|ing|er)|"
    r"e-?cig\w*|cigars?|pipe)\b",
    re.IGNORECASE,
)
_CHEWING_RE = re.compile(r"\b(chew(?:s|ing)? tobacco|dips|dip(?:ping)? tobacco|snuff|smokeless)\b", re.IGNORECASE)
_OTHER_PRODUCT_RE = re.compile(r"\b(cigars?|pipe|vap(?:es|ing|er)|e-?cig\w*|hookah)\b", re.IGNORECASE)
_CIGARETTE_RE = re.compile(r"(?<![-\w])(cigarettes?|cigs?|ppd|packs?|pack[- ]years?)\b", re.IGNORECASE)
# Use without dependence (Index: Use, tobacco Z72.0): the provider says so.
_USE_ONLY_RE = cue_words(
    "not dependent", "no dependence", "occasional(?:ly)?", "social(?:ly)?", "rare(?:ly)?", r"experiment\w*"
)
# A relative's smoking is the patient's exposure, not the patient's use.
_RELATIVE_RE = cue_words(
    "parents?",
    "mother",
    "father",
    "mom",
    "dad",
    "caregivers?",
    "household",
    r"grand\w+",
    "sibling",
    "brother",
    "sister",
    "husband",
    "wife",
    "spouse",
    "partner",
    "roommate",
)
# Another substance smoked or vaped ("a regular marijuana smoker", "vapes THC") is no tobacco use: the Index sends
# it to that substance (Use, cannabis ...), handled with the other substances; a sentence naming tobacco too keeps it.
_OTHER_SUBSTANCE_RE = cue_words(
    "marijuana", "marihuana", "cannabis", "weed", "thc", "crack", "cocaine", r"meth\w*", "heroin", "opium", "hashish"
)
_TOBACCO_NAMED_RE = cue_words("tobacco", r"cigarettes?", "cigs?", "nicotine", "ppd", r"packs?(?:/| per | a )day")
_REMISSION_RE = re.compile(r"\bin (?:early |sustained )?remission\b", re.IGNORECASE)
_WITHDRAWAL_RE = re.compile(r"\bwithdrawal\b", re.IGNORECASE)
_SKIPPED_SECTIONS = ("family_history",)
# Every match of _PASSIVE_RE, _FORMER_RE, _CURRENT_RE and "tobacco" holds one of these words (lower case): a
# sentence without any is skipped before its patterns are run (suggest/guidelines/folding.py).
_TOBACCO_WORDS = ("smok", "tobacco", "cig", "pipe", "vap", "chew", "dip", "snuff", "nicotine", "ppd", "pack")


def tobacco_codes(note: NoteView) -> list[AddedCode]:
    """F17.2- (current, by product), Z87.891 (former) and Z77.22 (second-hand smoke) from the note's words."""
    current: list[tuple[int, int, str]] = []
    former: list[tuple[int, int]] = []
    passive: list[tuple[int, int]] = []
    lowered = folded_note(note)
    for sentence in note.sentences() if says_any(lowered, _TOBACCO_WORDS) else ():
        # where the words stand is found once per note: each sentence looks its range up
        if sentence.section in _SKIPPED_SECTIONS or not text_says_any(
            note.text, _TOBACCO_WORDS, sentence.start, sentence.end
        ):
            continue
        text = sentence.text
        if _PASSIVE_RE.search(text):
            passive.append((sentence.start, sentence.end))
            continue
        if _NEVER_RE.search(text) or _RELATIVE_RE.search(text):
            continue
        if _OTHER_SUBSTANCE_RE.search(text) and not _TOBACCO_NAMED_RE.search(text):
            continue
        if _FORMER_RE.search(text) and not _REMISSION_RE.search(text):
            former.append((sentence.start, sentence.end))
        elif _CURRENT_RE.search(text) or re.search(r"\btobacco\b", text, re.IGNORECASE):
            code = (
                "Z72.0" if _USE_ONLY_RE.search(text) else _dependence_code(text) if _CURRENT_RE.search(text) else None
            )
            if code is not None:
                current.append((sentence.start, sentence.end, code))
    added = []
    if any(code == "Z72.0" for _, _, code in current):
        # the provider says use without dependence: only an explicit "dependence" elsewhere overrides it
        stated = [item for item in current if "dependen" in note.text[item[0] : item[1]].lower()]
        stated = [item for item in stated if item[2] != "Z72.0"]
        current = stated or [item for item in current if item[2] == "Z72.0"]
    if current:
        for code in dict.fromkeys(code for _, _, code in current):
            spans = [(start, end) for start, end, found in current if found == code]
            added.append(
                _added(
                    note,
                    code,
                    spans,
                    "current tobacco dependence (Index: Smoker - see Dependence, drug, nicotine)",
                    TOBACCO_GUIDELINE,
                )
            )
    elif former:
        added.append(
            _added(note, "Z87.891", former, "former smoker: history of nicotine dependence", HISTORY_GUIDELINE)
        )
    if passive:
        added.append(_added(note, "Z77.22", passive, "exposure to environmental tobacco smoke", EXPOSURE_GUIDELINE))
    return added


def _dependence_code(text: str) -> str:
    product = "2"  # cigarettes: "smoker" with no product named is a cigarette smoker in US usage
    if _CHEWING_RE.search(text):
        product = "2" if _CIGARETTE_RE.search(text) else "3"
    elif _OTHER_PRODUCT_RE.search(text) and not _CIGARETTE_RE.search(text):
        product = "9"
    state = "1" if _REMISSION_RE.search(text) else "3" if _WITHDRAWAL_RE.search(text) else "0"
    return {"2": "F17.21", "3": "F17.22", "9": "F17.29"}[product] + state


def _added(note: NoteView, code: str, spans: list[tuple[int, int]], why: str, guideline: str) -> AddedCode:
    return AddedCode(code, tuple(note.evidence(start, end) for start, end in spans), why, guideline)


def substance_hierarchy_drops(codes: list[str]) -> dict[str, str]:
    """F10-F19 codes to drop -> the code of the same substance that stands for them (I.C.5.b.2):
    dependence (F1x.2-) over abuse (F1x.1-) over use (F1x.9-)."""
    rank = {"2": 3, "1": 2, "9": 1}
    best: dict[str, str] = {}
    for code in codes:
        if code.startswith("F1") and len(code) > 4 and code[4] in rank:
            category = code[:3]
            if category not in best or rank[code[4]] > rank[best[category][4]]:
                best[category] = code
    return {
        code: best[code[:3]]
        for code in codes
        if code.startswith("F1")
        and len(code) > 4
        and code[:3] in best
        and rank.get(code[4], 0) < rank[best[code[:3]][4]]
    }


@guideline_steps.register("chartcoder.guidelines.substance_use.v1")
def code_substance_use(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Tobacco (I.C.5.b: F17.2- by product, Z87.891 former, Z77.22 exposure, Z72.0 only without dependence) and the
    use < abuse < dependence hierarchy of I.C.5.b.2."""
    added = tobacco_codes(note_of(context))
    codes = {item.code for item in added}
    if any(code.startswith("F17") for code in codes) or "Z87.891" in codes:
        # the note's own statement decides the tobacco code: other F17 / Z72.0 readings of it give way
        for entry in [*draft.in_category("F17"), *draft.in_category("Z72.0")]:
            if entry.code not in codes:
                draft.remove(
                    entry.code,
                    f"tobacco coded from the note's statement as {', '.join(sorted(codes))} ({TOBACCO_GUIDELINE})",
                )
    add_codes(draft, added, context.codeset, threshold=context.threshold)
    for entry in [entry for entry in draft.in_category("F1") if _is_use_uncomplicated(entry.code)]:
        # I.C.5.b.3: "use" codes only with a substance-related disorder the provider links to the use
        draft.remove(entry.code, f"substance use without a related disorder is not coded ({USE_GUIDELINE})")
    for dropped, kept in substance_hierarchy_drops(draft.codes()).items():
        draft.remove(dropped, f"{kept} stands for it: dependence over abuse over use ({HIERARCHY_GUIDELINE})")
    _drop_unnamed_other_substance(draft, context)
    # proposed from wherever it is stated; a disorder the provider documents only in the history sections is
    # reported after the conditions the diagnoses list and the status codes read from their own lists
    remission_score = max(context.threshold + SUPPLEMENTARY_MARGIN, SUPPLEMENTARY_SCORE) - SUPPLEMENTARY_MARGIN / 2
    add_codes(draft, remission_codes(draft, context), context.codeset, score=remission_score)


def remission_codes(draft: CodeSetDraft, context: GuidelineContext) -> list[AddedCode]:
    """I.C.5.b.1: a substance use disorder the provider documents as in remission ("alcohol use disorder, moderate
    - in sustained remission" in the past medical history) is reported with its remission code (F1x.11 / F1x.21),
    wherever the note states it: the disorder is the patient's, not a past condition to leave out."""
    note = note_of(context)
    added = []
    for entry in draft.entries:
        code = entry.code
        if not (code.startswith("F1") and code[:3] != "F17" and len(code) == 6 and code[4] in "12" and code[5] == "1"):
            continue
        if any(other.code[:3] == code[:3] and other is not entry for other in draft.entries):
            continue  # another state of the same substance is documented: the statements decide, not this rule
        spans = [
            (mention.start, mention.end)
            for mention in entry.mentions
            if mention.assertion == "present"
            and _REMISSION_RE.search(context.sentence_around(mention.start, mention.end))
        ]
        if spans:
            why = "substance use disorder documented as in remission"
            added.append(_added(note, code, spans, why, REMISSION_GUIDELINE))
    return added


def _drop_unnamed_other_substance(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """F19 is for a psychoactive substance the note names that F10-F18 do not classify (I.C.5.b): a bare
    "dependence" or "use" in a sentence that names the substance ("Tobacco dependence", "alcohol use disorder,
    severe") is that substance's code read again, and leaves."""
    named = [entry for entry in draft.entries if "F10" <= entry.code[:3] <= "F18"]
    if not named:
        return
    # each piece of evidence, by where it starts: a rule's code holds every sentence it read ("SH: smoker 1 ppd",
    # "2. Tobacco dependence - cigarettes."), and its mention's own offsets span them all
    named_sentences = {
        context.sentence_around(piece.start, piece.start)
        for entry in named
        for mention in entry.mentions
        for piece in mention.evidence
    }
    for entry in draft.in_category("F19"):
        sentences = {context.sentence_around(mention.start, mention.start) for mention in entry.mentions}
        if sentences and sentences <= named_sentences:
            reason = f"the substance the note names is coded: not another substance ({SUBSTANCE_GUIDELINE})"
            draft.remove(entry.code, reason)
