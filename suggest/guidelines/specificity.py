"""The most specific code the note supports (I.B.1-I.B.2 level of detail; I.C.19.a 7th character).

ICD-10-CM asks for the highest level of detail the documentation supports: laterality (right / left /
bilateral, also R / L / B, OD / OS / OU), acuity (acute, chronic, acute on chronic), type (systolic /
diastolic / combined), stage, with / without, organism. For each code the step reads the Tabular titles of its
category: a code whose title keeps every word of this code's title (but the "unspecified" part) and adds words
that the note says of THIS finding (its affirmed mentions and the words at most six words either side of them in
the same sentence, with the Index's own word for a site the note names its way, "sigmoid" -> large intestine:
"acute on chronic systolic" -> I50.23 for I50.9; "right" -> S81.851A for S81.859A;
"E. coli" -> A41.51 for A41.9) replaces it; the most words told wins. Every added word must be said (I.B.2,
I.A.9): "right" alone does not make iridocyclitis "primary"; only a title's generic site name ("limb", "eye")
may go unsaid. A title that denies the finding ("Vomiting without nausea" for nausea) or an "other specified"
code (I.A.9.a) is never a more specific reading of an unspecified one. When the note says nothing more, the code
stays and keeps its "unspecified" flag naming what a query would ask. When the more specific code is listed
already, the less specific reading leaves into it (its words now support the listed code).

Injury and poisoning codes take the 7th character of the encounter (I.C.19.a): D for a subsequent encounter
("follow-up", "routine healing", "cast check"), S for a sequela ("late effect", "sequela"), A otherwise.
"""

from __future__ import annotations

import re
from functools import lru_cache

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.registry import guideline_steps
from suggest.guidelines.site_words import index_site_words
from vocab.codeset import CodeSet
from vocab.errors import ChartcoderError
from vocab.text import STOPWORDS, normalize_tokens

__all__ = ["more_specific_code", "refine_specificity"]

# Shorthand a note uses for the words the Tabular titles spell out.
_SHORTHAND = {
    "r": ("right",),
    "rt": ("right",),
    "l": ("left",),
    "lt": ("left",),
    "b": ("bilateral",),
    "bilat": ("bilateral",),
    "both": ("bilateral",),
    "ou": ("bilateral", "eye"),
    "od": ("right", "eye"),
    "os": ("left", "eye"),
    "au": ("bilateral", "ear"),
    "ad": ("right", "ear"),
    "as": ("left", "ear"),
    "hfref": ("systolic",),
    "hfpef": ("diastolic",),
    "sob": ("dyspnea",),
    "ckd": ("chronic", "kidney"),
    "aki": ("acute", "kidney"),
    "esrd": ("end", "stage", "renal"),
    "copd": ("chronic", "obstructive"),
    "uti": ("urinary", "tract", "infection"),
    "lle": ("left", "lower", "limb"),
    "rle": ("right", "lower", "limb"),
    "lue": ("left", "upper", "limb"),
    "rue": ("right", "upper", "limb"),
    "hypoxic": ("hypoxia",),
    "atn": ("tubular", "necrosis"),
    "npdr": ("nonproliferative", "diabetic", "retinopathy"),
    "pdr": ("proliferative", "diabetic", "retinopathy"),
    "dme": ("diabetic", "macular", "edema"),
    # burn depth (I.C.19.d.1: burns are classified by depth), stage and degree are written as ordinals
    "1st": ("first",),
    "2nd": ("second",),
    "3rd": ("third",),
    "hypercapnic": ("hypercapnia",),
    # a site the note names by its noun that the Tabular titles name by the adjective ("sacral region")
    "sacrum": ("sacral",),
}
_IGNORED = STOPWORDS | {
    "due",
    "type",
    "encounter",
    "initial",
    "subsequent",
    "sequela",
    "mellitus",
    "disease",
    "disorder",
    "condition",
    "the",
} - {"without"}
# What "unspecified" leaves open in a title ("unspecified organism", "unspecified side"): a more specific code
# names it instead, so the word itself is not kept. Any other word after "unspecified" is the condition itself
# ("unspecified conjunctivitis") and stays.
_QUALIFIED_NOUNS = frozenset({"organism", "side", "laterality", "cause", "agent", "part", "region", "body", "site"})
_BRACKETS = re.compile(r"\[([^\]]*)\]")
_PARENTHESES = re.compile(r"\([^)]*\)")
_SUBSEQUENT = re.compile(
    r"subsequent encounter|routine healing|healing (?:well|fracture|appropriately)|cast check|suture removal|"
    r"s/p (?:orif|closed reduction|reduction)|(?:fracture|post[- ]?op(?:erative)?) (?:follow[- ]?up|visit|check)"
)
_SEQUELA = re.compile(r"sequela|late effect|residual of")
# A title's generic name of the site the note names by its part ("left leg" is the "left lower limb", "left
# eye" is said by "OS", the sacrum is the "sacral region"): the only added words that need not be said. Every
# other added word (laterality, acuity, type, stage, organism) must be the note's own word for this finding
# (I.B.2, I.A.9).
_IMPLIED = frozenset({"limb", "extremity", "eye", "ear", "region"})
# How far from the finding's words a qualifier may stand, in words, within its sentence: "left" beside
# "kidney tumor" qualifies it; a "left" eight words on qualifies something else.
_WINDOW = 6
# The encounter's reason is stated at the top of a note (chief complaint, reason for visit).
_ENCOUNTER_REASON_CHARS = 400


@guideline_steps.register("chartcoder.guidelines.specificity.v1")
def refine_specificity(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Replace each code by the more specific code of its category that the note's words support (I.B.1-2),
    and give injury / poisoning codes the 7th character of the encounter (I.C.19.a)."""
    for entry in list(draft.entries):
        if entry not in draft.entries:
            continue
        # a code no other code of its category elaborates stays: the note's words are not read for it
        words = _words_around(entry, context) if _elaborations(entry.code, context.codeset) else set()
        better = more_specific_code(entry.code, words, context.codeset)
        if better is not None and better in draft:
            # the specific code is listed already: this is the same finding read less specifically, and gives
            # the listed code its words (I.B.2: the highest level of detail the documentation supports)
            old = entry.code
            reading = DraftCode(code=better, score=entry.score, mentions=list(entry.mentions))
            kept = draft.replace([old], reading, "I.B.1", f"more specific than {old}: the note says it")
            kept.refined_from.append(old)
            continue
        if better is not None:
            old = entry.code
            entry.code = better
            entry.refined_from.append(old)
            entry.cite("I.B.1", f"more specific than {old}: the note says it")
        _episode(entry, context)


def more_specific_code(code: str, words: set[str], codeset: CodeSet) -> str | None:
    """The billable code of ``code``'s category whose title adds words (and only words) that ``words`` holds,
    most such words first; None when no code says more."""
    best: tuple[int, int, str] | None = None
    stems = {word[:_STEM] for word in words if len(word) >= _STEM}
    for candidate, extra, bracketed in _elaborations(code, codeset):
        found = {word for word in extra if _said(word, words, stems)}
        if bracketed and all(_said(word, words, stems) for word in bracketed):
            found = set(extra)  # "[E. coli]" said: the title's own spelling ("Escherichia coli") counts as said
        if not found - _IMPLIED or extra - found - _IMPLIED:
            continue
        key = (len(found), -len(extra - found), candidate)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best is not None else None


def _elaborations(code: str, codeset: CodeSet) -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    """(code, the words its title adds, its bracketed words) for each billable code of the category whose title
    keeps every anchor word of ``code``'s title: computed once per code and code set."""
    elaborations = derived_table("specificity.elaborations", codeset)
    cached = elaborations.get(code)
    if cached is None:
        cached = _find_elaborations(code, codeset)
        if len(elaborations) > _ELABORATIONS_LIMIT:
            elaborations.clear()
        elaborations[code] = cached
    return cached


_ELABORATIONS_LIMIT = 50_000


def _find_elaborations(code: str, codeset: CodeSet) -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    record = codeset.codes[code]
    anchor = _anchor_words(record.description)
    denied = _denied_words(record.description)
    seventh = code.replace(".", "")[6:] if len(code.replace(".", "")) == 7 else ""
    found = []
    for candidate in codeset.billable_descendants(code[:3]):
        compact = candidate.code.replace(".", "")
        if candidate.code == code or not compact.endswith(seventh) or (seventh == "" and _has_extension(compact)):
            continue
        plain, bracketed = _title_words(candidate.description)
        if not anchor <= plain | bracketed:
            continue
        if _is_other(candidate.description) and not _is_other(record.description):
            continue  # "other specified" is for a condition the note names but that has no code (I.A.9.a)
        if (_denied_words(candidate.description) - denied) & anchor:
            continue  # "Vomiting without nausea" is no more specific nausea: it denies the finding
        extra = plain - anchor
        if extra:
            found.append((candidate.code, extra, bracketed))
    return tuple(found)


def _has_extension(compact: str) -> bool:
    """A 7-character code whose 7th character is an extension (the encounter's A / D / S ..., the fetus of an O
    code), not a subclassification digit (E11.3293: mild NPDR without macular edema, bilateral)."""
    return len(compact) == 7 and (compact[-1].isalpha() or compact[0] == "O")


@lru_cache(maxsize=16384)
def _title_words(title: str) -> tuple[frozenset[str], frozenset[str]]:
    """(the title's words without parentheses or brackets, the words inside brackets), meaningful words only."""
    bracketed = " ".join(_BRACKETS.findall(title))
    plain = _PARENTHESES.sub(" ", _BRACKETS.sub(" ", title))
    return (
        frozenset(word for word in normalize_tokens(plain) if word not in _IGNORED),
        frozenset(word for word in normalize_tokens(bracketed) if word not in _IGNORED and len(word) > 1),
    )


@lru_cache(maxsize=16384)
def _anchor_words(title: str) -> frozenset[str]:
    """The title's words but "unspecified" and the word it qualifies ("unspecified organism", "part
    unspecified"; "unspecified lower leg" -> leg stays): what every more specific code keeps."""
    tokens = normalize_tokens(_PARENTHESES.sub(" ", _BRACKETS.sub(" ", title)))
    dropped = {
        index + 1
        for index, word in enumerate(tokens)
        if word in ("unspecified", "nos") and index + 1 < len(tokens) and tokens[index + 1] in _QUALIFIED_NOUNS
    } | {  # "intestine, part unspecified": the part is what a more specific code names
        index - 1
        for index, word in enumerate(tokens)
        if word == "unspecified" and index > 0 and tokens[index - 1] in _QUALIFIED_NOUNS
    }
    return frozenset(word for index, word in enumerate(tokens) if index not in dropped and word not in _IGNORED)


def _is_other(title: str) -> bool:
    lowered = title.lower()
    return lowered.startswith("other ") or "other specified" in lowered


@lru_cache(maxsize=16384)
def _denied_words(title: str) -> frozenset[str]:
    """The words a title puts after "without" (up to its next comma): what the code says is absent."""
    denied: set[str] = set()
    for clause in title.lower().split(","):
        tokens = normalize_tokens(clause)
        if "without" in tokens:
            denied.update(tokens[tokens.index("without") + 1 :])
    return frozenset(denied)


# Two words of the same first letters, this many or more, are one word ("hyperactive" / "hyperactivity").
_STEM = 7


def _said(word: str, words: set[str], stems: set[str]) -> bool:
    """``word`` is in ``words``, or shares its first ``_STEM`` letters with one (``stems``: theirs)."""
    return word in words or (len(word) >= _STEM and word[:_STEM] in stems)


def _lines(entry: DraftCode, context: GuidelineContext) -> list[str]:
    """The note's sentences (lower-cased) that hold the code's affirmed evidence."""
    return [
        context.sentence_around(mention.start, mention.end)
        for mention in entry.mentions
        if mention.assertion not in ("negated", "family", "hypothetical")
    ]


def _words_around(entry: DraftCode, context: GuidelineContext) -> set[str]:
    """The words the note says of this finding, shorthand spelled out: its affirmed mentions' own words and the
    words at most ``_WINDOW`` words either side of them in the same sentence; never words elsewhere (I.B.2)."""
    words: set[str] = set()
    for mention in entry.mentions:
        if mention.assertion in ("negated", "family", "hypothetical"):
            continue
        for word in _window(context, mention.start, mention.end):
            words.add(word)
            words.update(_SHORTHAND.get(word, ()))
    # the Index's own word for a site the note names its way ("sigmoid" is "large intestine", site_words)
    return words | index_site_words(words)


def _window(context: GuidelineContext, start: int, end: int) -> tuple[str, ...]:
    """The words of ``start:end`` and at most ``_WINDOW`` words either side in its sentence."""
    windows = context.memo("specificity.window")  # entries share mentions: each is read once per note
    key = (start, end)
    found = windows.get(key)
    if found is None:
        found = windows[key] = tuple(_window_words(context, start, end))
    return found


def _window_words(context: GuidelineContext, start: int, end: int) -> list[str]:
    sentence = context.sentence_around(start, end)
    own = context.lowered[start:end]
    at = sentence.find(own)
    if at == -1:
        return normalize_tokens(own)
    before = normalize_tokens(sentence[:at])[-_WINDOW:] if _WINDOW else []
    after = normalize_tokens(sentence[at + len(own) :])[:_WINDOW]
    return before + normalize_tokens(own) + after


def _episode(entry: DraftCode, context: GuidelineContext) -> None:
    """7th character A / D / S of an injury or poisoning code from the encounter (I.C.19.a)."""
    compact = entry.code.replace(".", "")
    if len(compact) != 7 or compact[0] not in "ST" or compact[6] not in "ADS":
        return
    said = context.lowered[:_ENCOUNTER_REASON_CHARS] + " " + " ".join(_lines(entry, context))
    wanted = "S" if _SEQUELA.search(said) else "D" if _SUBSEQUENT.search(said) else "A"
    if wanted == compact[6]:
        return
    try:
        changed = context.codeset.build_seventh(entry.code[:-1].rstrip("X").rstrip("."), wanted).code
    except ChartcoderError:
        return
    if changed in context.codeset.codes:
        old = entry.code
        entry.code = changed
        entry.cite("I.C.19.a", f"7th character {wanted} for this encounter (was {old})")
