"""The word pre-checks before the rules' case-insensitive patterns only skip work: folding agrees with
``re.IGNORECASE`` over all of Unicode, every pattern's matches hold one of its listed words (one example per
alternative of the pattern), and the rules decide the same with them (each rule's own tests; the engine's
suggestions are byte-identical, ``benchmarks/suggestions_dump.py``)."""

from __future__ import annotations

import gc
import itertools
import random
import re
import string

import pytest

from suggest.documentation import attributes
from suggest.guidelines import (
    allergies,
    drugs,
    history_status,
    immunization,
    index_default,
    medications,
    neoplasm,
    pregnancy,
    substance_use,
)
from suggest.guidelines import note as note_module
from suggest.guidelines.derived import derived_table
from suggest.guidelines.folding import folded, folded_note, says_any, text_says_any
from suggest.guidelines.note import NoteView
from vocab.index import AlphabeticIndex, IndexTerm


def test_folding_matches_what_re_ignorecase_matches_to_an_ascii_letter_one_character_for_one():
    letters = re.compile("|".join(string.ascii_lowercase), re.IGNORECASE)
    for point in range(0x110000):
        if 0xD800 <= point < 0xE000:
            continue  # surrogates
        character = chr(point)
        assert len(folded(character)) == 1, hex(point)
        if letters.fullmatch(character):
            lowered = folded(character)
            assert lowered in string.ascii_lowercase and re.fullmatch(lowered, character, re.IGNORECASE), hex(point)
    text = "Status post \u212aidney transplant; \u017fmoker, \u0130NH"
    assert len(folded(text)) == len(text)
    assert (
        says_any(folded(text), ("kidney",)) and says_any(folded(text), ("smok",)) and says_any(folded(text), ("inh",))
    )


def test_says_any_reads_only_the_given_range_and_a_note_is_folded_once():
    note = NoteView("Smoker. Denies alcohol.")
    lowered = folded_note(note)
    assert lowered == "smoker. denies alcohol."
    assert folded_note(NoteView("Smoker. Denies alcohol.")) is lowered
    assert says_any(lowered, ("alcohol",), 8, len(lowered)) and not says_any(lowered, ("smok",), 8, len(lowered))
    assert not says_any(lowered, ("alcohol",), 0, 7)


def test_text_says_any_answers_what_says_any_answers_of_the_folded_text_for_every_range():
    generator = random.Random(7)
    words = ("smok", "ab", "a", "\u0131n", "", "zz")
    texts = ["", "Smoker. Denies alcohol.", "\u212aab\u0130n ABAB", "aaaa", "smo", "SMOK smok"]
    texts += [
        "".join(generator.choice("abSMOK .\u0130\u212a") for _ in range(generator.randint(0, 12))) for _ in range(300)
    ]
    for text in texts:
        for chosen in (words, words[:1], words[1:3], ("zz",), ()):
            for start in range(len(text) + 2):
                for end in (None, *range(max(start - 1, 0), len(text) + 2)):
                    expected = says_any(folded(text), chosen, start, end)
                    assert text_says_any(text, chosen, start, end) is expected, (text, chosen, start, end)


# one example of every alternative of each pattern: the pattern matches it and its words pre-check says so
_EXAMPLES = [
    (
        (neoplasm._SECONDARY_RE,),
        neoplasm._SECONDARY_WORDS,
        ["metastatic to the liver", "mets to bone", "spread into the lung", "Bony METS", "nodal metastases"],
    ),
    (
        (allergies._ALLERGY_PHRASE_RE,),
        allergies._ALLERGY_WORDS,
        ["allergy to penicillin", "allergies to nuts", "ALLERGIC TO sulfa", "peanut allergy", "seasonal allergies"],
    ),
    (
        (substance_use._PASSIVE_RE, substance_use._FORMER_RE, substance_use._CURRENT_RE, re.compile(r"\btobacco\b")),
        substance_use._TOBACCO_WORDS,
        [
            "second-hand smoke",
            "passive smoking",
            "environmental tobacco smoke",
            "Mother smokes at home",
            "smoking inside the car",
            "former smoker",
            "ex-cigar",
            "quit chewing",
            "vaping stopped",
            "dip quit",
            "snuff quit",
            "nicotine former",
            "pipe quit",
            "smokes",
            "1 ppd",
            "2 packs/day",
            "40 pack-years",
            "nicotine dependence",
            "tobacco abuse",
            "chewing tobacco",
            "dips",
            "dipping tobacco",
            "vaper",
            "e-cigarette",
            "cigars",
            "cigs",
            "uses tobacco",
            "smoker",
            "SMOKER",
            "\u017fmoker",
        ],
    ),
    (
        (history_status._STATUS_CUE_RE,),
        history_status._STATUS_CUE_WORDS,
        [
            "s/p appendectomy",
            "status post CABG",
            "post op day",
            "history of stroke",
            "h/o stroke",
            "hx of DVT",
            "underwent PCI",
            "dependent on oxygen",
            "requires dialysis",
            "presence of stent",
            "on home oxygen",
        ],
    ),
    (
        (history_status._STATUS_WORD_RE,),
        history_status._STATUS_WORDS,
        [
            "pseudophakia",
            "pseudophakic",
            "colostomy",
            "ileostomy",
            "tracheostomy",
            "gastrostomy",
            "nephrostomy",
            "home O2",
            "nocturnal oxygen",
            "hemodialysis",
            "peritoneal dialysis",
            "pacemaker in place",
            "AICD in place",
            "wheelchair-bound",
            "uses a power wheelchair",
            "confined to a wheelchair",
            "on HD",
            "in-center hemodialysis",
            "maintenance dialysis",
            "dialysis-dependent",
            "DNR",
            "DNR/DNI",
            "do-not-resuscitate",
            "kidney transplant recipient",
            "heart transplant status",
            "left mastectomy",
            "nephrectomy",
            "pneumonectomy",
            "splenectomy",
            "laryngectomy",
            "hysterectomy",
            "right below-the-knee amputation",
            "above the knee amputation",
        ],
    ),
    (
        (drugs._UNDERDOSING_RE, drugs._POISONING_RE, drugs._TOXIC_EXPOSURE_RE, drugs._ADVERSE_RE),
        drugs._EVENT_WORDS,
        [
            "ran out",
            "run out",
            "running out",
            "out of his meds",
            "out of refills",
            "missed a dose",
            "missed doses",
            "skipping",
            "skipped",
            "stopped taking",
            "not taking",
            "not been taking",
            "noncompliant",
            "non-compliance",
            "nonadherent",
            "non-adherence",
            "underdosing",
            "under-dosed",
            "taking less",
            "taking half",
            "cut back",
            "cut down",
            "rationing",
            "self-discontinued",
            "unable to afford",
            "couldn't afford",
            "cannot afford",
            "overdose",
            "OD on",
            "OD of",
            "poisoning",
            "ingestion",
            "swallowed",
            "intoxication",
            "intoxicated with",
            "took 30 tablets",
            "took a handful",
            "took several",
            "took an entire",
            "intentionally took",
            "deliberately ingested",
            "purposely swallowed",
            "suicide attempt",
            "self-harm",
            "self harm",
            "wrong medication",
            "wrong route",
            "medication error",
            "dosing error",
            "given in error",
            "by mistake",
            "accidentally took",
            "accidental ingestion",
            "accidentally given",
            "exposure to",
            "exposed to",
            "inhaled",
            "inhalation",
            "inhaling",
            "due to",
            "secondary to",
            "2/2",
            "caused by",
            "attributed to",
            "related to",
            "reaction to",
            "adverse effect of",
            "adverse drug reactions to",
            "toxicity from",
            "from her therapy",
            "from the steroid use",
            "from use",
            "induced",
            "toxicity",
            "side effects",
            "side-effect",
            "adverse reaction",
        ],
    ),
    (
        (immunization._VACCINE_RE,),
        immunization._VACCINE_WORDS,
        [
            "vaccine",
            "vaccinations",
            "vaccinated",
            "immunizations",
            "immunised",
            "toxoid",
            "booster",
            "flu shot",
            "Tdap",
            "Td",
            "DTaP",
            "IPV",
            "MMR",
            "MMRV",
            "Hib",
            "PCV20",
            "PPSV23",
            "HPV9",
            "Shingrix",
            "Havrix",
            "Engerix",
            "Heplisav",
            "Gardasil",
            "Prevnar",
            "Pneumovax",
            "Boostrix",
            "Adacel",
            "Fluzone",
            "Flublok",
        ],
    ),
    (
        (medications._NOT_TAKEN_RE,),
        medications._NOT_TAKEN_WORDS,
        [
            "discontinued",
            "discontinue",
            "stop",
            "stopped",
            "stoped",
            "taken off",
            "not on",
            "never",
            "allergic",
            "allergy",
            "intolerant",
            "intolerance",
            "overdosed",
            "ingested",
            "ran out",
            "out of",
            "poisoning",
            "avoids",
            "decline",
            "declined",
            "refuses",
            "refused",
            "instead of",
            "switch from",
            "switched from",
        ],
    ),
    (
        (pregnancy._NOT_PREGNANT_RE,),
        pregnancy._NOT_PREGNANT_WORDS,
        [
            "not pregnant",
            "not currently pregnant",
            "nonpregnant",
            "non-pregnant",
            "pregnancy test negative",
            "hCG neg",
            "UPT negative",
            "b-hCG negative",
            "bhcg neg",
            "negative pregnancy",
            "negative urine hcg",
            "negative upt",
        ],
    ),
    (
        (attributes._DIABETES_RE,),
        attributes._READER_WORDS["inconsistency.diabetes_type"],
        [
            "type 2 diabetes",
            "type II DM",
            "Type one diabetic",
            "diabetes mellitus, type 2",
            "DM type 1",
            "DM2",
            "DM II",
            "T2DM",
            "NIDDM",
            "IDDM",
        ],
    ),
    (
        (attributes._CKD_RE,),
        attributes._READER_WORDS["inconsistency.ckd_stage"],
        [
            "CKD stage 3b",
            "chronic kidney disease stage IV",
            "chronic renal insufficiency 3",
            "chronic renal failure 4",
            "chronic renal disease stg 2",
            "stage 4 CKD",
            "stage 3 chronic kidney disease",
        ],
    ),
    (
        (attributes._HF_TYPE_RE,),
        attributes._READER_WORDS["inconsistency.heart_failure_type"],
        [
            "combined systolic and diastolic heart failure",
            "systolic and diastolic CHF",
            "HFmrEF HF",
            "combined congestive heart failure",
            "systolic heart failure",
            "diastolic CHF",
            "diastolic HF",
            "HFrEF",
            "HFpEF",
            "heart failure with reduced ejection fraction",
            "heart failure with preserved EF",
        ],
    ),
    (
        (attributes._ACUITY_RE,),
        attributes._READER_WORDS["inconsistency.acuity"],
        [
            "acute on chronic systolic heart failure",
            "acute exacerbation of chronic systolic heart failure",
            "acute respiratory failure",
            "chronic pancreatitis",
        ],
    ),
]


@pytest.mark.parametrize(("patterns", "words", "examples"), _EXAMPLES, ids=lambda value: "")
def test_every_match_of_a_pre_checked_pattern_holds_one_of_its_words(patterns, words, examples):
    for example in examples:
        matches = [match for pattern in patterns for match in pattern.finditer(example)]
        assert matches, example
        for match in matches:
            assert says_any(folded(match.group()), words), (example, match.group())
    assert all(word == folded(word) for word in words)  # the words are compared with folded text


def test_index_defaults_table_belongs_to_its_index_and_goes_with_it():
    def index(code: str) -> AlphabeticIndex:
        terms = (IndexTerm(0, None, 0, "Hepatitis", (), ("B19.9",), (), None, None),)
        return AlphabeticIndex(
            source="index", release="test", terms=(*terms, IndexTerm(1, 0, 1, "C", (), (code,), (), None, None))
        )

    first = index("B19.20")
    assert index_default._entries_printing(first, "B19.20") == (1,)
    second = index("B19.10")
    assert index_default._entries_printing(second, "B19.20") == ()
    assert index_default._entries_printing(second, "B19.10") == (1,)
    tables = len(derived_table.__globals__["_TABLES"])
    del first
    gc.collect()
    assert len(derived_table.__globals__["_TABLES"]) < tables  # the freed Index's tables went with it


def test_the_sentence_pattern_reads_the_pieces_of_the_one_character_at_a_time_pattern_it_replaced():
    replaced = re.compile(r"(?:[^.;\n]|\.(?=\w))+[.;]?")
    generator = random.Random(13)
    texts = ["", ".", "a.b", "..", "a..b", ";;", "x.\n.y", "1.5 mg. ok", "e.g. this; that.", "\n\n.a", ". a"]
    texts += [
        "".join(generator.choice("ab .;\n1_\u00e9") for _ in range(generator.randint(0, 14))) for _ in range(20_000)
    ]
    for text in texts:
        assert [m.span() for m in note_module._SENTENCE_RE.finditer(text)] == [
            m.span() for m in replaced.finditer(text)
        ]


def test_ranges_saying_any_are_the_ranges_text_says_any_answers_for():
    from suggest.guidelines.folding import ranges_saying_any

    generator = random.Random(11)
    words = ("smok", "ab", "a", "\u0131n", "zz")
    for _ in range(2000):
        text = "".join(generator.choice("abSMOK .\u0130\u212a") for _ in range(generator.randint(0, 20)))
        cuts = sorted(generator.sample(range(len(text) + 1), min(len(text) + 1, generator.randint(0, 8))))
        # ascending ranges, not overlapping, with gaps between some of them
        ranges = [(start, end) for start, end in itertools.pairwise(cuts) if generator.random() < 0.7]
        starts, ends = [start for start, _ in ranges], [end for _, end in ranges]
        for chosen in (words, words[:1], words[1:3], ()):
            expected = {i for i, (start, end) in enumerate(ranges) if text_says_any(text, chosen, start, end)}
            assert ranges_saying_any(text, chosen, starts, ends) == expected, (text, chosen, ranges)
