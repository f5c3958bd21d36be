"""One code per finding (I.B.9 multiple coding, I.A.12.a Excludes1).

- Codes of one category that rest on the same words of the note (E11.21 and E11.22 for one "diabetic kidney
  disease"; two otitis media codes for one ear) describe one finding: the best-supported one stays (higher
  score, then the more specific title), the others leave into ``excluded``. Two "with" combinations naming
  different complications, each on words of its own (E11.00 for "HHS in DM2", E11.22 for "DM2 w/ CKD"), are
  two findings and both stay (I.A.15, I.C.4.a). An "other" code ("Other hemorrhoids", the Index's internal
  hemorrhoids) yields to a sibling on the same words whose title names the finding ("First degree hemorrhoids"
  for "grade I internal hemorrhoids"): "other" is for what has no code of its own (I.A.9.a).
- A condition a combination code stands for, named again elsewhere, is not coded again (I.A.15), unless the
  combination's "use additional code" note asks for it.
- An unspecified code read from words a listed combination code's title names as its "with" / "due to" element
  ("dyskinesias" G24.9 beside G20.B2 "... with dyskinesia") is not coded again (I.B.9), unless asked for.
- An unspecified code of a subcategory whose words the note says again where a specific code of it is read
  ("f/u acute DVT" I82.409 beside "Acute DVT, L common femoral vein" I82.412) leaves (I.B.2, I.A.9.b).
- An injury of unspecified body region (T14) leaves beside a site-specific injury code (I.C.19.b).
- An Excludes1 pair of one chapter whose note only one side prints ("K81.0 Excludes1 cholecystitis with
  cholelithiasis (K80.-)") names where the classification puts the condition: the named code stays when the note
  supports it, the printing one leaves (I.A.12.a). Signs and symptoms are the integral step's (I.B.5).
- Another Excludes1 pair ("not coded here": the two conditions cannot occur together) is resolved when the note
  supports only one side: the two readings rest on the same words, and the better-supported one stays. A pair
  with separate evidence keeps both, flagged (the Excludes1 exception for unrelated conditions).
"""

from __future__ import annotations

import re
from functools import lru_cache

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.index_walk import content_words, expanded_words
from suggest.guidelines.registry import guideline_steps
from suggest.rules import excludes1_flags
from vocab.codeset import parse_code_references
from vocab.lexicon import Abbreviations, load_abbreviations

__all__ = ["one_code_per_finding"]


@guideline_steps.register("chartcoder.guidelines.one_per_finding.v1")
def one_code_per_finding(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Resolve siblings for one finding (I.B.9) and Excludes1 pairs the note supports on one side (I.A.12.a)."""
    _resolve_siblings(draft, context)
    _resolve_excludes1(draft, context)
    _resolve_unspecified_injury(draft)
    _resolve_named_again(draft, context)
    _resolve_elements_of_combinations(draft, context)
    _resolve_unspecified_restated(draft, context)


def _resolve_named_again(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """A condition that a combination code stands for, named again elsewhere in the note ("DM2" and "peripheral
    neuropathy" made E11.42; "Peripheral neuropathy" in the plan is still that neuropathy), is not coded again
    (I.A.15, I.B.9): the other, unspecified reading of the same words leaves into the combination's
    ``replaces``. A code the combination's "use additional code" / "code also" / "code first" notes ask for stays
    (N18.4 beside I12.9, I50.32 beside I11.0, N18.6 beside D63.1)."""
    for combination in [entry for entry in draft.entries if entry.replaces]:
        if combination not in draft.entries:
            continue
        words = {_said(piece.text) for mention in combination.mentions for piece in mention.evidence}
        for other in list(draft.entries):
            if other is combination or other.replaces or not other.mentions:
                continue
            if "unspecified" not in context.codeset.codes[other.code].description.lower():
                continue  # a specific code says more than the combination's component ("generalized" anxiety)
            said = {_said(piece.text) for mention in other.mentions for piece in mention.evidence}
            if said <= words and not _asked_for(combination.code, other.code, context):
                draft.replace(
                    [other.code],
                    combination,
                    "I.A.15",
                    f"{other.code} is a condition {combination.code} already stands for, named again in the note",
                )


def _resolve_elements_of_combinations(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """An unspecified code read from words that a listed combination code's title names as its "with" / "due to"
    element ("dyskinesias" G24.9 beside "Parkinson's disease with dyskinesia" G20.B2; "MRSA" A49.02 beside
    "Sepsis due to Methicillin resistant Staphylococcus aureus" A41.02) is that element, already coded: "multiple
    coding should not be used when the classification provides a combination code that clearly identifies all of
    the elements documented" (I.B.9, I.A.15). A code a listed code's notes ask for stays (N18.4 beside I12.9; B96.20
    for the pyelonephritis N10 whose "use additional code (B95-B97)" names it, beside A41.51)."""
    combinations = [(entry, words) for entry in draft.entries if (words := _element_words(entry.code, context))]
    if not combinations:
        return
    for other in list(draft.entries):
        title = context.codeset.codes[other.code].description.lower()
        if "unspecified" not in title or other.code.startswith(_NOT_ELEMENTS) or other.replaces:
            continue
        pieces = [
            piece.text
            for mention in other.mentions
            if mention.assertion not in ("negated", "family", "hypothetical")
            for piece in mention.evidence
        ]
        if not pieces:
            continue
        for combination, elements in combinations:
            if combination is other or combination not in draft.entries or combination.code[:3] == other.code[:3]:
                continue
            if all(_names_element(piece, elements) for piece in pieces) and not any(
                _asked_for(entry.code, other.code, context) for entry in draft.entries if entry is not other
            ):
                draft.replace(
                    [other.code],
                    combination,
                    "I.B.9",
                    f"{other.code} is an element {combination.code} already names (combination code)",
                )
                break


def _resolve_unspecified_restated(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """An unspecified code of a subcategory (I82.4: deep veins of the lower extremity) whose every word of
    evidence the note says again where a specific code of that subcategory is read ("f/u acute DVT" I82.409;
    "Acute DVT, L common femoral ... veins" I82.412) is that finding named without its detail: the specific code
    is the one the documentation supports (I.B.2, I.A.9.b; one code per finding, I.B.9)."""
    codes = context.codeset.codes
    for other in list(draft.entries):
        title = codes[other.code].description.lower()
        if "unspecified" not in title or other.replaces or other not in draft.entries:
            continue
        said = _evidence_words(other)
        if not said:
            continue
        for entry in draft.entries:
            if entry is other or entry.code[:5] != other.code[:5] or len(entry.code) < 6:
                continue
            if "unspecified" in codes[entry.code].description.lower():
                continue
            if said <= _evidence_words(entry):
                draft.remove(
                    other.code,
                    f"{entry.code} names the same finding with the detail the note gives (I.B.2, I.A.9.b)",
                )
                entry.mentions.extend(mention for mention in other.mentions if mention not in entry.mentions)
                break


def _evidence_words(entry: DraftCode) -> frozenset[str]:
    return frozenset(
        word
        for mention in _own_mentions(entry)
        if mention.assertion not in ("negated", "family", "hypothetical")
        for piece in mention.evidence
        for word in content_words(piece.text)
    )


# Status, history, encounter and external-cause codes are never an element of a combination's title.
_NOT_ELEMENTS = ("Z", "V", "W", "X", "Y")
_ELEMENT_RE = re.compile(r"\b(?:with|due to)\b(.*)")
_WITHOUT_RE = re.compile(r"\bwithout\b[^,]*")
# Words that name no element of their own ("MRSA infection" is the organism the sepsis code names).
_GENERIC_ELEMENT_WORDS = frozenset({"infection", "disease", "disorder", "condition"})


def _element_words(code: str, context: GuidelineContext) -> frozenset[str]:
    """The words of a combination title's "with" / "due to" part, less what it says is absent ("without ...")."""
    match = _ELEMENT_RE.search(context.codeset.codes[code].description.lower())
    if match is None:
        return frozenset()
    return frozenset(content_words(_WITHOUT_RE.sub(" ", match.group(1))))


def _names_element(text: str, elements: frozenset[str]) -> bool:
    """Whether a piece of evidence says only an element's words, itself or spelled out ("MRSA")."""
    words = content_words(text) - _GENERIC_ELEMENT_WORDS
    if words and words <= elements:
        return True
    expanded = expanded_words(text, _abbreviations()) - words - _GENERIC_ELEMENT_WORDS
    return bool(expanded) and expanded <= elements


@lru_cache(maxsize=1)
def _abbreviations() -> Abbreviations:
    return load_abbreviations()


def _said(text: str) -> str:
    return " ".join(text.lower().split())


def _asked_for(combination: str, other: str, context: GuidelineContext) -> bool:
    """Whether the combination's "use additional code", "code also" or "code first" notes (own or inherited) name
    ``other``, or one of its own such notes names a condition with no code ("Code also associated mental disorder"
    at F51.05): then a second code for the words is what the Tabular asks for."""
    codeset = context.codeset
    for field in ("use_additional", "code_also", "code_first"):
        for source, note in codeset.inherited_notes(combination, field):
            references = parse_code_references(note)
            if any(reference.covers(other) for reference in references):
                return True
            if not references and source == combination:
                return True
    return False


def _resolve_unspecified_injury(draft: CodeSetDraft) -> None:
    """T14 (injury of unspecified body region) is for an injury whose site is not documented (I.C.19.b): beside a
    site-specific injury code (S00-S99) it is the same injury read without its site."""
    sited = [entry for entry in draft.entries if entry.code.startswith("S")]
    if not sited:
        return
    for entry in draft.in_category("T14"):
        best = max(sited, key=lambda item: item.score)
        draft.remove(
            entry.code, f"injury of unspecified body region beside {best.code}, which names the site (I.C.19.b)"
        )


def _resolve_siblings(draft: CodeSetDraft, context: GuidelineContext) -> None:
    for entry in sorted(draft.entries, key=lambda item: _preference(item, context), reverse=True):
        if entry not in draft.entries:
            continue
        for other in list(draft.entries):
            if other is entry or other.code[:3] != entry.code[:3] or entry not in draft.entries:
                continue
            if _named_by_its_own_code(other, entry, context) and (
                _same_words(entry, other) or _nested_evidence(entry, other)
            ):
                # "Other hemorrhoids" (K64.8) for "grade I internal hemorrhoids" beside "First degree
                # hemorrhoids" (K64.0): a code of its own exists for what the note says (I.A.9.a)
                draft.remove(
                    entry.code, f"same finding as {other.code}, which names it: one code per finding (I.A.9.a)"
                )
                other.mentions.extend(mention for mention in entry.mentions if mention not in other.mentions)
                break
            if not (_same_words(entry, other) or _nested_evidence(entry, other)):
                continue
            if _two_complications(entry, other, context):
                continue
            if entry.code in other.replaces or other.code in entry.replaces:
                continue
            if _two_diseases(entry, other, context):
                other.cite("I.B.9", f"a disease of its own beside {entry.code} in one phrase: two findings")
                continue
            draft.remove(other.code, f"same finding as {entry.code}: one code per finding (I.B.9)")
            entry.mentions.extend(mention for mention in other.mentions if mention not in entry.mentions)


def _resolve_excludes1(draft: CodeSetDraft, context: GuidelineContext) -> None:
    codes = draft.codes()
    entries = list(draft.entries)
    for position, flags in sorted(excludes1_flags(codes, context.codeset).items()):
        entry = entries[position]
        if entry not in draft.entries:
            continue
        for flag in flags:
            other = draft.get(flag.codes[0])
            if other is None:
                continue
            home = _classified_at(entry, other, context)
            if home is not None:
                away = other if home is entry else entry
                draft.remove(
                    away.code,
                    f"Excludes1 at {away.code}: the condition is classified to {home.code}, which the note supports "
                    "(I.A.12.a)",
                )
                if away is entry:
                    break
                continue
            weaker, stronger = sorted((entry, other), key=lambda item: _excludes1_preference(item, context))
            if _same_words(weaker, stronger):
                draft.remove(
                    weaker.code, f"Excludes1 with {stronger.code}: the note supports {stronger.code} (I.A.12.a)"
                )
                if weaker is entry:
                    break


def _classified_at(first: DraftCode, second: DraftCode, context: GuidelineContext) -> DraftCode | None:
    """The code of the pair that the other's Excludes1 note sends the condition to, when only one side prints it
    and the note supports that side (proposed, affirmed): "K81.0 Excludes1 cholecystitis with cholelithiasis
    (K80.-)", "I73.9 Excludes1 atherosclerosis of the extremities (I70.2-I70.7-)", "K65.0 Excludes1 acute
    appendicitis with generalized peritonitis (K35.2-)". The note names where the classification puts the
    condition (I.A.12.a: "the code excluded should never be used at the same time as the code above the
    Excludes1 note"), so the code printing it is the less exact reading of the same condition."""
    codeset = context.codeset
    first_names = _naming_note(codeset, first.code, second.code)
    second_names = _naming_note(codeset, second.code, first.code)
    if bool(first_names) == bool(second_names):
        return None
    home, away, note = (second, first, first_names) if first_names else (first, second, second_names)
    # "bacteremia NOS (R78.81)" at A41 sends only the unqualified finding away. A sign or symptom (chapter 18)
    # leaves only as integral to its diagnosis (I.B.5, the integral step), never by its Excludes1 notes: "pain NOS"
    # at R52 beside a pain by site is a second finding. A note naming another chapter's code speaks of another
    # condition ("N05.1 Excludes1 ... with hypertension (I12.-)"), not a more exact reading of this one.
    if "NOS" in (note or "").split() or home.code.startswith("R") or away.code.startswith("R"):
        return None
    if codeset.codes[home.code].chapter != codeset.codes[away.code].chapter:
        return None
    supported = home.score >= context.threshold and any(m.assertion == "present" for m in home.mentions)
    return home if supported else None


def _naming_note(codeset, printer: str, named: str) -> str | None:
    """``printer``'s Excludes1 note (own or inherited) that names ``named``, or None."""
    return next(
        (
            note
            for note, reference in codeset.excludes1_references(printer)
            if reference.covers(named) and not reference.covers(printer)
        ),
        None,
    )


def _named_by_its_own_code(specific: DraftCode, other: DraftCode, context: GuidelineContext) -> bool:
    """Whether ``other`` is an "other" code (I.A.9.a: for what has no code of its own) and ``specific`` a code of
    the same category whose title names its condition (neither "other" nor "unspecified")."""
    titles = [context.codeset.codes[entry.code].description.lower() for entry in (specific, other)]
    return _is_other(titles[1]) and not _is_other(titles[0]) and "unspecified" not in titles[0]


def _is_other(title: str) -> bool:
    return title.startswith("other ") or "other specified" in title


def _preference(entry: DraftCode, context: GuidelineContext) -> tuple[float, int, int, int]:
    title = context.codeset.codes[entry.code].description.lower()
    vague = "unspecified" in title or "without complication" in title
    return (round(entry.score, 2), len(entry.replaces), 0 if vague else 1, len(entry.code))


def _excludes1_preference(entry: DraftCode, context: GuidelineContext) -> tuple[int, float, int, int, int]:
    """Which reading of one finding an Excludes1 pair keeps: the one that says more whatever their scores - a
    specified code more than an unspecified one (I.A.9.b: "unspecified" codes are for a record that says no more;
    "urge incontinence" is N39.41, not R32 "unspecified urinary incontinence"; "right upper quadrant pain" is
    R10.11, not R52 "pain, unspecified", whose Excludes1 note says "localized pain - code to pain by site"), a
    diagnosis more than a sign or symptom (I.B.4-I.B.5: respiratory failure J96.90 is not R06.89 for being
    "unspecified" as to its type); where one says more in one way and less in the other, by preference."""
    specified = 0 if "unspecified" in context.codeset.codes[entry.code].description.lower() else 1
    diagnosis = 0 if entry.code.startswith("R") else 1
    return (specified + diagnosis, *_preference(entry, context))


def _same_words(first: DraftCode, second: DraftCode) -> bool:
    """Whether the two codes rest on overlapping words of the note that name them (the same finding).

    Only a code's own mentions count (those naming the code, an ancestor or a descendant): a combination code
    also carries its components' mentions, and two combinations of one diabetes are different findings.
    """
    spans = [(piece.start, piece.end) for mention in _own_mentions(first) for piece in mention.evidence]
    others = [(piece.start, piece.end) for mention in _own_mentions(second) for piece in mention.evidence]
    return any(start < end_other and start_other < end for start_other, end_other in others for start, end in spans)


def _two_complications(first: DraftCode, second: DraftCode, context: GuidelineContext) -> bool:
    """Two "with" combinations of one condition naming complications of different subcategories (Tabular
    parents), each on words of its own ("DM2 w/ diabetic CKD", "HHS in DM2"): the "with" convention links each
    complication to the condition, and each is coded (I.A.15, I.C.4.a: as many codes of E08-E13 as describe
    the complications) - not one finding."""
    codes = context.codeset.codes
    if codes[first.code].parent == codes[second.code].parent:
        return False  # one subcategory is one complication read two ways (E11.21 / E11.22: one kidney disease)
    titles = [context.codeset.codes[entry.code].description.lower() for entry in (first, second)]
    complications = [title.partition(" with ")[2].split(",")[0] for title in titles]
    if not all(complications) or complications[0] == complications[1]:
        return False
    spans = [[(p.start, p.end) for m in _complication_mentions(entry) for p in m.evidence] for entry in (first, second)]
    return _has_own_words(spans[0], spans[1]) and _has_own_words(spans[1], spans[0])


def _complication_mentions(entry: DraftCode) -> list:
    """A combination's own mentions and those of its components of other categories (the retinopathy of
    E11.3293): not the mentions naming the category's other codes, which every combination of it shares."""
    category = entry.code[:3]
    own = _own_mentions(entry)
    return own + [
        mention
        for mention in entry.mentions
        if mention not in own and mention.codes and not any(code.startswith(category) for code in mention.codes)
    ]


def _has_own_words(spans: list[tuple[int, int]], others: list[tuple[int, int]]) -> bool:
    """Whether one of ``spans`` overlaps none of ``others``."""
    return any(all(end <= first or last <= start for first, last in others) for start, end in spans)


def _two_diseases(first: DraftCode, second: DraftCode, context: GuidelineContext) -> bool:
    """I.B.9: "hepatitis B and C" names two diseases (B19.1- and B19.2-), not one finding read twice: of different
    subcategories, each code rests on words of its own that only its subcategory's title has ("B", "C")."""
    if first.code[:5] == second.code[:5] or len(first.code) < 5 or len(second.code) < 5:
        return False
    titles = [_title_words(context, code[:5]) for code in (first.code, second.code)]
    pieces = [[piece for mention in _own_mentions(entry) for piece in mention.evidence] for entry in (first, second)]
    for own, theirs, naming in ((0, 1, titles[0] - titles[1]), (1, 0, titles[1] - titles[0])):
        words = {
            word.group().lower()
            for piece in pieces[own]
            for word in re.finditer(r"\w+", piece.text)
            if not any(o.start <= piece.start + word.start() < o.end for o in pieces[theirs])
        }
        if not words & naming:
            return False
    return True


def _title_words(context: GuidelineContext, code: str) -> set[str]:
    record = context.codeset.get(code)
    return set(re.findall(r"\w+", record.description.lower())) if record is not None else set()


def _nested_evidence(first: DraftCode, second: DraftCode) -> bool:
    """Whether all the words behind one code are words behind the other: combinations of one category built from
    the same mentions ("dementia, moderate, with agitation" read as mild, moderate and severe) are one finding,
    where two combinations of one diabetes each have words of their own (its kidney disease, its neuropathy)."""
    spans = [{(m.start, m.end) for m in entry.mentions} for entry in (first, second)]
    return bool(spans[0] and spans[1]) and (spans[0] <= spans[1] or spans[1] <= spans[0])


def _own_mentions(entry: DraftCode) -> list:
    """Mentions naming the code, an ancestor or a descendant of it - or of a code it was refined from (the
    specificity step made F03.B11 of the "dementia" that named F03.90: still that finding's words)."""
    own = [code.replace(".", "") for code in (entry.code, *entry.refined_from)]
    return [
        mention
        for mention in entry.mentions
        if any(
            compact.startswith(code.replace(".", "")) or code.replace(".", "").startswith(compact)
            for code in mention.codes
            for compact in own
        )
    ]
