"""External causes (I.C.20) for injuries, from the External Cause Index.

At the initial encounter for an injury (a chapter 19 code with 7th character A):

- the mechanism: the External Cause Index entry the injury sentence names ("Overexertion, from, lifting",
  "Contact, with, hot, fat, cooking"), walked by the sentence's words; its 7th character matches the injury's;
- place of occurrence Y92 (I.C.20.b), activity Y93 (I.C.20.c) and external cause status Y99 (I.C.20.k), only
  when the note says them and only at the initial encounter: the "Place of occurrence" / "Activity" entries
  walked by the words after "at / in / on" and "while", status from work / military / volunteer / leisure; an
  injury the narrative says happened at work took place at the workplace the note names ("Employer: ...
  warehouse" -> "Place of occurrence, warehouse");
- an external cause code is never first-listed (I.C.20.a; the sequencing step keeps V00-Y99 secondary).
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.cues import cue_words
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft
from suggest.guidelines.index_walk import best_subterm, billable_choice, content_words
from suggest.guidelines.note import AddedCode, NoteLine, NoteView, add_codes, note_of
from suggest.guidelines.registry import guideline_steps
from vocab.codeset import CodeSet
from vocab.errors import VocabError
from vocab.index import AlphabeticIndex, IndexTerm

__all__ = ["external_cause_codes"]

GUIDELINE = "I.C.20.a"
PLACE_GUIDELINE = "I.C.20.b"
ACTIVITY_GUIDELINE = "I.C.20.c"
STATUS_GUIDELINE = "I.C.20.k"
_NARRATIVE_SECTIONS = (
    "history_of_present_illness",
    "chief_complaint",
    "none",
    "assessment_and_plan",
    "hospital_course",
)
_INJURY_CUE_RE = re.compile(
    r"\b(fell|fall(?:ing)?|slipp?\w*|tripp?\w*|bit(?:ten)?|bite|struck|hit|burn\w*|splash\w*|lift\w*|twist\w*|"
    r"cut|laceration|collision|crash|mvc|mva|injur\w*|spill\w*|overexert\w*|strain\w*)\b",
    re.IGNORECASE,
)
_VERB_FORMS = {
    "fell": "fall",
    "falling": "fall",
    "slipped": "slipping",
    "tripped": "tripping",
    "bit": "bitten",
    "bite": "bitten",
    "burned": "burn",
    "burnt": "burn",
    "lifting": "lifting",
    "struck": "striking",
    # a hot liquid splashed or spilled on the skin: External Cause Index "Contact (with), hot, <liquid>" (X10-X12)
    "splashed": "contact",
    "spilled": "contact",
}
_PLACE_RE = re.compile(
    r"\b(?:at|in|on|inside|outside)\s+(?:the\s+|a\s+|an\s+|his\s+|her\s+|their\s+)?"
    r"(?P<place>[a-z][a-z ]{2,30}?)(?=[,.;()\n]|\s+(?:while|when|and|after|at|on|in)\b)",
    re.I,
)
# I.C.20.b: an injury the narrative says happened at work happened at the workplace the note names
# ("Employer: regional distribution warehouse", "works at a sawmill").
_WORKPLACE_RE = re.compile(
    r"\b(?:employer|workplace|place of (?:employment|work)|works? (?:at|in))\s*[:\-]?\s*"
    r"(?:the\s+|a\s+|an\s+)?(?P<place>[a-z][a-z ]{2,40}?)(?=[,.;()\n])",
    re.I,
)
_ACTIVITY_RE = re.compile(
    r"\b(?:while|when)\s+(?:he |she |they |patient |pt )?(?:was |were )?"
    r"(?P<activity>[a-z][a-z ]{2,40}?)(?=[,.;()\n]|\s+(?:at|on|in|and)\b)",
    re.I,
)
# "was walking her neighbor's dog on the sidewalk": the activity said by the verb the injury interrupted.
_ACTIVITY_WAS_RE = re.compile(
    r"\b(?:was|were)\s+(?P<activity>[a-z]+ing\b[a-z' ]{0,40}?)(?=[,.;()\n]|\s+(?:at|on|in|and|when|while)\b)",
    re.I,
)
# Animals the Activity entries name as "an animal" ("Activity, walking an animal" Y93.K1).
_ANIMALS = frozenset({"dog", "dogs", "puppy", "cat", "cats", "horse", "horses", "pony", "cow", "cows", "goat", "sheep"})
# I.C.20.k: Y99.8 (other external cause status) for an activity not done for income, military or volunteer
# service: leisure, a hobby, a favour, a student's activity - said of the injury, never inferred from silence.
_LEISURE_RE = cue_words(
    "leisure", "for fun", "recreational(?:ly)?", "hobby", "as a favou?r", "on vacation", "for exercise", "at play"
)
_WORK_RE = cue_words(
    "at work",
    "on the job",
    "while working",
    "work[- ]related",
    "workplace",
    "employer",
    "his job",
    "her job",
    "on shift",
    "during (?:his|her) shift",
)
_MILITARY_RE = cue_words("active duty", "military (?:training|duty|exercise)")
_VOLUNTEER_RE = re.compile(r"\bvolunteer\w*\b", re.IGNORECASE)


def external_cause_codes(
    note: NoteView, eindex: AlphabeticIndex, codeset: CodeSet, seventh: str = "A"
) -> list[AddedCode]:
    """Mechanism, and at the initial encounter (``seventh`` "A") place / activity / status codes."""
    sentences = [s for s in note.sentences(*_NARRATIVE_SECTIONS) if _INJURY_CUE_RE.search(s.text)]
    if not sentences:
        return []
    added: list[AddedCode] = []
    mechanism = _mechanism(sentences, eindex, codeset, seventh)
    if mechanism is not None:
        added.append(mechanism)
    if seventh != "A":
        return added
    text_sentences = [s for s in note.sentences(*_NARRATIVE_SECTIONS)]
    place = _walk_named(note, text_sentences, _PLACE_RE, "place", eindex, "Place of occurrence", codeset)
    if place is None and _said_at_work(note):
        workplace_lines = list(note.sentences())
        place = _walk_named(note, workplace_lines, _WORKPLACE_RE, "place", eindex, "Place of occurrence", codeset)
    activity = _walk_named(note, text_sentences, _ACTIVITY_RE, "activity", eindex, "Activity", codeset) or _walk_named(
        note, text_sentences, _ACTIVITY_WAS_RE, "activity", eindex, "Activity", codeset
    )
    for found, guideline, what in (
        (place, PLACE_GUIDELINE, "place of occurrence"),
        (activity, ACTIVITY_GUIDELINE, "activity"),
    ):
        if found is not None:
            code, start, end, title = found
            why = f"{what}: External Cause Index '{title}'"
            added.append(AddedCode(code, (note.evidence(start, end),), why, guideline, sequence="after"))
    status = _status(note, activity is not None)
    if status is not None:
        added.append(status)
    return added


def _mechanism(sentences, eindex: AlphabeticIndex, codeset: CodeSet, seventh: str) -> AddedCode | None:
    best: tuple[int, str, NoteLine, str] | None = None
    for sentence in sentences:
        words = content_words(sentence.text)
        words |= {_VERB_FORMS[word] for word in words if word in _VERB_FORMS}
        for main, forms in _mechanism_terms(eindex):
            title_words = next((form for form in forms if form and form <= words), None)
            if title_words is None:
                continue
            found = best_subterm(eindex, main, words - title_words)
            if found is None and main.see and not main.codes:
                target = eindex.resolve_see(main.id)  # "Lifting - see Overexertion, from, strenuous movement"
                found = (target, 1) if target is not None and target.codes else None
            if found is None:
                continue
            term, score = found
            if best is None or score > best[0]:
                best = (score, term.codes[0], sentence, " > ".join(eindex.path(term.id)))
    if best is None:
        return None
    _, printed, sentence, title = best
    code = _complete(codeset, printed, seventh, content_words(sentence.text))
    if code is None:
        return None
    note_evidence = sentence  # a NoteLine
    return AddedCode(
        code, (_as_evidence(note_evidence),), f"mechanism: External Cause Index '{title}'", GUIDELINE, sequence="after"
    )


def _mechanism_terms(eindex: AlphabeticIndex) -> list[tuple[IndexTerm, list[frozenset[str]]]]:
    """The main terms a mechanism may be read from, each with the words of its title's comma-separated forms:
    worked out once per External Cause Index, not for each sentence of every note."""
    table = derived_table("external_cause.mechanism_terms", eindex)
    if "terms" not in table:
        table["terms"] = [
            (main, [content_words(part) for part in main.title.split(",")])
            for main in eindex.main_terms()
            if not main.title.startswith(("Place", "Activity", "External"))
        ]
    return table["terms"]


def _as_evidence(line):
    from suggest.types import Evidence

    return Evidence(line.start, line.end, line.text, line.section, "present")


def _complete(codeset: CodeSet, printed: str, seventh: str, words: AbstractSet[str]) -> str | None:
    code = (
        billable_choice(codeset, printed, words) if not codeset.needs_seventh_character(printed.rstrip("-")) else None
    )
    base = printed.rstrip("-")
    if code is not None and not codeset.needs_seventh_character(code):
        return code
    try:
        return codeset.build_seventh(base, seventh).code
    except VocabError:
        return None


def _walk_named(note, sentences, pattern, group, eindex, entry_title, codeset):
    entry = eindex.find(entry_title)
    if entry is None:
        return None
    for sentence in sentences:
        for match in pattern.finditer(note.text, sentence.start, sentence.end):
            words = content_words(match.group(group))
            words |= {_VERB_FORMS[word] for word in words if word in _VERB_FORMS}
            words |= {"animal"} if group == "activity" and words & _ANIMALS else set()
            found = best_subterm(eindex, entry, words)
            if found is None:
                continue
            term = found[0]
            title_words = content_words(term.title)
            if not title_words or len(title_words & words) < max(1, len(title_words) - 1):
                continue  # the phrase must name the entry ("restaurant", "sidewalk"), not share one word of many
            if not (content_words(" ".join(eindex.path(term.id)[1:])) - {"animal"}) & words:
                continue  # "startled the dog" names an animal, not what the patient did with it
            code = billable_choice(codeset, term.codes[0], words)
            if code is not None:
                return code, match.start(group), match.end(group), " > ".join(eindex.path(term.id))
    return None


def _said_at_work(note: NoteView) -> bool:
    """Whether the narrative says the injury happened at work (the Y99.0 cues; an "Employer:" line says only who
    employs the patient)."""
    return any(
        _WORK_RE.search(note.text, line.start, line.end) and not _WORKPLACE_RE.search(note.text, line.start, line.end)
        for line in note.sentences(*_NARRATIVE_SECTIONS)
    )


def _status(note: NoteView, leisure_activity: bool) -> AddedCode | None:
    """Y99 from what the narrative says of the injury (the patient's occupation in the social history is no
    status of this event); Y99.8 for a leisure activity (I.C.20.k)."""
    narrative = [sentence for sentence in note.sentences(*_NARRATIVE_SECTIONS)]
    for pattern, code, what in (
        (_WORK_RE, "Y99.0", "civilian activity done for income or pay"),
        (_MILITARY_RE, "Y99.1", "military activity"),
        (_VOLUNTEER_RE, "Y99.2", "volunteer activity"),
        (_LEISURE_RE, "Y99.8", "leisure activity, not for income, military or volunteer"),
    ):
        for sentence in narrative:
            match = pattern.search(note.text, sentence.start, sentence.end)
            if match is not None:
                evidence = (note.evidence(match.start(), match.end()),)
                return AddedCode(code, evidence, what, STATUS_GUIDELINE, "after")
    return None


def _injury_seventh(draft: CodeSetDraft) -> str | None:
    """The 7th character of the note's injury codes (chapter 19 S00-T34 / T66-T79), or None without injury."""
    for entry in draft.entries:
        code = entry.code.replace(".", "")
        if (code.startswith("S") or ("T00" <= code[:3] <= "T34") or ("T66" <= code[:3] <= "T79")) and len(code) == 7:
            return code[-1]
    return None


@guideline_steps.register("chartcoder.guidelines.external_cause.v1")
def code_external_causes(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Mechanism (I.C.20.a), place (I.C.20.b), activity (I.C.20.c) and status (I.C.20.k) for an injury."""
    eindex = context.index("eindex")
    seventh = _injury_seventh(draft)
    if seventh is None:
        # I.C.20: an external cause code goes with the condition it caused; without one (a "fall risk", a
        # history of falls) there is nothing for it to explain
        for entry in [e for e in draft.entries if e.code[0] in "VWXY" and not e.code.startswith("Y63")]:
            draft.remove(entry.code, f"no injury or condition from an external cause is coded ({GUIDELINE})")
        return
    if eindex is None:
        return
    added = external_cause_codes(note_of(context), eindex, context.codeset, seventh)
    if any(item.code[0] in "VWX" or item.code.startswith("Y0") for item in added):
        for entry in [entry for entry in draft.entries if entry.code[0] in "VWX" or entry.code.startswith("Y0")]:
            if entry.code not in {item.code for item in added} and entry.score < 0.9:
                draft.remove(entry.code, f"the mechanism the note states is coded ({GUIDELINE})")
    add_codes(draft, added, context.codeset, threshold=context.threshold)
