"""The bootstrap model: a working champion built from the code set alone, without labeled notes or network.

Synthetic notes are written from the phrases the engine's term table holds (Tabular titles, inclusion terms,
Alphabetic Index paths, Neoplasm table rows) the way clinicians write them, then run through the engine; the
learned ranker is fitted on the candidates exactly as on real notes. What makes the notes realistic enough:

* Index paths in natural order ("Diabetes, type 2, with, chronic kidney disease" -> "type 2 diabetes with
  chronic kidney disease"), lower-cased or capitalised, sometimes with an abbreviation for its expansion
  ("acute kidney injury" -> "AKI"), sometimes with a typo (a dropped, doubled or swapped letter).
* Sections with their headings (chief complaint, HPI, past medical history, family history, review of
  systems, assessment and plan) and filler sentences around the findings, which also give the matcher
  chances to propose wrong codes.
* Hard negatives: negated findings ("denies ...", "no evidence of ..."), a relative's condition under
  Family history, and uncertain ones ("possible ...", coded as symptoms in outpatient care) are written into
  the note and listed as rejected codes; documented conditions (including chronic ones under past medical
  history) are the gold codes.

The code statistics the ranker learns from real data (the code prior) mean nothing on synthetic notes, whose
codes are drawn uniformly from the Index, so the bootstrap ranker leaves them out; there is no note classifier
either. Deterministic: the same code set and seed give byte-identical parts, hence the same pack id.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate

from models.manifest import ModelManifest, code_set_ref, current_versions
from models.registry import ModelRegistry
from suggest.pipeline import Engine, load_term_table
from suggest.termtable import TermTable
from training.data import LabeledNote
from training.evaluate import EvaluationReport
from training.train import (
    FittedModel,
    TrainingOptions,
    data_fingerprint,
    engine_with,
    fit_model,
    split_validation,
    validate,
    write_model_pack,
)
from vocab.codeset import CodeSet

__all__ = ["BOOTSTRAP_PREFIX", "BootstrapResult", "NoteGenerator", "build_bootstrap"]

BOOTSTRAP_PREFIX = "bootstrap"
DEFAULT_NOTES = 2500
_POOL_SOURCES = ("index", "neoplasm", "title", "inclusion")
_MAX_WORDS = 5
ProgressCallback = Callable[[str, int, int], None]

_FILLER = (
    "The patient was seen in clinic today.",
    "Vital signs were reviewed.",
    "Labs from last week were reviewed with the patient.",
    "She lives at home with her husband.",
    "He lives alone and walks daily.",
    "No recent travel.",
    "The patient is accompanied by a family member.",
    "Follow up in {n} weeks.",
    "Return sooner if symptoms worsen.",
    "Continue current medications.",
    "Discussed the plan with the patient, who agrees.",
    "Appetite is good and sleep is normal.",
    "Patient is a {age}-year-old {sex} seen for follow-up.",
    "Blood pressure {sbp}/{dbp}, pulse {pulse}.",
    "Will obtain basic labs and review at the next visit.",
    "Medication list reconciled.",
    "Counseled on diet and exercise.",
    "Referral placed as discussed.",
)
_PRESENT = (
    "Patient presents with {p}.",
    "{P} noted.",
    "Known {p}, stable.",
    "Here for {p}.",
    "{P}, currently treated.",
    "Findings consistent with {p}.",
    "Diagnosed with {p}.",
    "Ongoing {p}.",
)
_NEGATED = ("Denies {p}.", "No evidence of {p}.", "Negative for {p}.", "{P} was ruled out.", "No {p}.")
_UNCERTAIN = ("Possible {p}.", "Rule out {p}.", "Suspect {p}, to be confirmed.")
_FAMILY = ("Mother with {p}.", "Father had {p}.", "Brother diagnosed with {p}.", "Family history of {p}.")
# Mentions that are neither confirmed nor denied conditions of this encounter: the matcher still proposes a
# code for them, which is what a ranker must learn to doubt.
_INCIDENTAL = (
    "Educated about {p} prevention.",
    "Screening for {p} discussed.",
    "Information about {p} was provided.",
    "Asked about {p} risk.",
    "Vaccination against {p} is up to date.",
)
# Phrase length -> relative weight: notes name short findings ("pain", "hypertension") far more often than
# five-word Index paths; drawing uniformly would fill notes with rare conditions.
_LENGTH_WEIGHTS = {1: 5.0, 2: 4.0, 3: 2.0, 4: 1.0, 5: 0.5}
# Coders also code what a note implies without naming it: on CodiEsp train 57% of gold codes are never proposed
# by the term matcher. Synthetic gold gets that share of codes the note does not state. They are never
# candidates, so the ranker learns nothing from them; they make the threshold chosen on synthetic notes (best
# micro F1) fit notes whose gold is partly out of the matcher's reach (F1-optimal thresholds fall with recall).
UNSTATED_SHARE = 0.57


@dataclass(frozen=True)
class _Phrase:
    text: str
    codes: tuple[str, ...]
    source: str


class NoteGenerator:
    """Synthetic labeled notes from a term table; ``notes(count)`` is deterministic for a seed.

    ``pool_size`` keeps a seeded sample of that many phrases (a practice codes a few thousand conditions, not
    every Index path): the training-cost benchmark uses it so that codes recur as they do in real corpora.
    """

    def __init__(self, table: TermTable, codeset: CodeSet, seed: int = 0, pool_size: int | None = None) -> None:
        self.codeset = codeset
        self.seed = seed
        kept = [
            index
            for index in range(len(table))
            if table.sources[index] in _POOL_SOURCES
            and 1 <= len(table.required[index]) <= _MAX_WORDS
            and all(code in codeset.codes for code in table.codes[index])
        ]
        if not kept:
            raise ValueError("the term table holds no phrase to write synthetic notes from")
        if pool_size is not None and pool_size < len(kept):
            kept = sorted(random.Random(seed).sample(kept, pool_size))  # noqa: S311 - reproducible, not secret
        self.pool = [_Phrase(table.texts[index], table.codes[index], table.sources[index]) for index in kept]
        self.weights = list(accumulate(_LENGTH_WEIGHTS[len(table.required[index])] for index in kept))
        self.abbreviations = _abbreviation_pairs(table)

    def notes(self, count: int) -> Iterator[LabeledNote]:
        rng = random.Random(self.seed)  # noqa: S311 - reproducible synthetic data, not a secret
        for number in range(count):
            yield self._note(rng, f"synthetic-{self.seed}-{number}")

    def _note(self, rng: random.Random, note_id: str) -> LabeledNote:
        present = self._sample(rng, rng.randint(2, 6))
        history = self._sample(rng, rng.randint(0, 2))
        negated = self._sample(rng, rng.randint(0, 3))
        uncertain = self._sample(rng, rng.choice((0, 0, 1)))
        family = self._sample(rng, rng.choice((0, 0, 1)))
        incidental = self._sample(rng, rng.randint(0, 2))
        if rng.random() < 0.4:
            text = self._narrative(rng, present, history, negated, uncertain, family, incidental)
        else:
            text = self._sectioned(rng, present, history, negated, uncertain, family, incidental)
        stated = _codes(present + history)
        unstated = _codes(self._sample(rng, round(len(stated) * UNSTATED_SHARE / (1 - UNSTATED_SHARE))))
        gold = stated + [code for code in unstated if code not in stated]
        rejected = [code for code in _codes(negated + uncertain + family) if code not in gold]
        return LabeledNote(id=note_id, text=text, codes=tuple(gold), rejected=tuple(rejected))

    def _narrative(self, rng: random.Random, *groups: list[_Phrase]) -> str:
        """A case-report paragraph without headings, as in published cases and many dictated notes."""
        present, history, negated, uncertain, family, incidental = groups
        sentences = [
            *(self._mention(rng, phrase, ("History of {p}.", "Previously diagnosed {p}.")) for phrase in history),
            *(self._mention(rng, phrase, _FAMILY) for phrase in family),
            *(self._mention(rng, phrase, _PRESENT) for phrase in present),
            *(self._mention(rng, phrase, _NEGATED) for phrase in negated),
            *(self._mention(rng, phrase, _UNCERTAIN) for phrase in uncertain),
            *(self._mention(rng, phrase, _INCIDENTAL) for phrase in incidental),
            *(self._filler(rng) for _ in range(rng.randint(1, 4))),
        ]
        rng.shuffle(sentences)
        return " ".join(sentences) + "\n"

    def _sectioned(self, rng: random.Random, *groups: list[_Phrase]) -> str:
        present, history, negated, uncertain, family, incidental = groups
        sections = [
            ("Chief complaint", self._mention(rng, present[0], ("{P}.",))),
            (
                "History of present illness",
                " ".join(
                    [
                        self._filler(rng),
                        *(self._mention(rng, phrase, _PRESENT) for phrase in present[1:]),
                        *(self._mention(rng, phrase, _UNCERTAIN) for phrase in uncertain),
                        self._filler(rng),
                    ]
                ),
            ),
            ("Past medical history", ", ".join(self._written(rng, phrase) for phrase in history) or "None."),
            (
                "Family history",
                " ".join(self._mention(rng, phrase, _FAMILY) for phrase in family) or "Noncontributory.",
            ),
            ("Review of systems", " ".join(self._mention(rng, phrase, _NEGATED) for phrase in negated) or "Negative."),
            (
                "Assessment and plan",
                " ".join(
                    [
                        *(f"{index}. {self._written(rng, phrase)}." for index, phrase in enumerate(present, 1)),
                        *(self._mention(rng, phrase, _INCIDENTAL) for phrase in incidental),
                        self._filler(rng),
                    ]
                ),
            ),
        ]
        return "\n".join(f"{heading}: {body}" for heading, body in sections) + "\n"

    def _sample(self, rng: random.Random, count: int) -> list[_Phrase]:
        return rng.choices(self.pool, cum_weights=self.weights, k=count)

    def _mention(self, rng: random.Random, phrase: _Phrase, templates: Sequence[str]) -> str:
        written = self._written(rng, phrase)
        template = rng.choice(templates)
        return template.replace("{P}", written[:1].upper() + written[1:]).replace("{p}", written)

    def _written(self, rng: random.Random, phrase: _Phrase) -> str:
        """The phrase as a clinician might type it: natural order, maybe abbreviated, maybe misspelt."""
        text = _natural_order(phrase.text) if phrase.source in ("index", "neoplasm") else phrase.text
        text = re.sub(r"\s*\([^()]*\)", "", text).strip() or phrase.text  # "(acute)" modifiers are optional
        text = text.lower() if rng.random() < 0.7 else text
        if rng.random() < 0.3:
            text = self._abbreviated(rng, text)
        if rng.random() < 0.15:
            text = _typo(rng, text)
        return text

    def _abbreviated(self, rng: random.Random, text: str) -> str:
        lowered = text.lower()
        found = [(expansion, short) for expansion, short in self.abbreviations if expansion in lowered]
        if not found:
            return text
        expansion, short = rng.choice(found)
        start = lowered.index(expansion)
        return text[:start] + short + text[start + len(expansion) :]

    def _filler(self, rng: random.Random) -> str:
        sentence = rng.choice(_FILLER)
        return sentence.format(
            n=rng.randint(2, 12),
            age=rng.randint(18, 92),
            sex=rng.choice(("woman", "man")),
            sbp=rng.randint(100, 160),
            dbp=rng.randint(60, 95),
            pulse=rng.randint(55, 105),
        )


def _codes(phrases: Sequence[_Phrase]) -> list[str]:
    return list(dict.fromkeys(code for phrase in phrases for code in phrase.codes))


def _natural_order(path: str) -> str:
    """ "Diabetes, type 2, with, chronic kidney disease" -> "type 2 diabetes with chronic kidney disease"."""
    parts = [part.strip() for part in path.split(",") if part.strip()]
    if len(parts) < 2 or parts[1].lower() in ("with", "without", "due to", "in", "of"):
        return " ".join(parts)
    return " ".join([parts[1], parts[0], *parts[2:]])


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    long_words = [index for index, word in enumerate(words) if len(word) >= 6 and word.isalpha()]
    if not long_words:
        return text
    index = rng.choice(long_words)
    word = words[index]
    position = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        word = word[:position] + word[position + 1 :]  # dropped letter
    elif kind == 1:
        word = word[:position] + word[position] + word[position:]  # doubled letter
    else:
        word = word[:position] + word[position + 1] + word[position] + word[position + 2 :]  # swapped letters
    words[index] = word
    return " ".join(words)


def _abbreviation_pairs(table: TermTable) -> list[tuple[str, str]]:
    """(expansion, abbreviation) for the reviewed abbreviations of two or more words, longest first."""
    pairs = {
        (" ".join(words), short)
        for short, senses in table.abbreviations.items()
        for words in senses
        if len(words) >= 2 and short.isalpha()
    }
    return sorted(pairs, key=lambda pair: (-len(pair[0]), pair))


# --- building the pack -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BootstrapResult:
    manifest: ModelManifest
    fitted: FittedModel | None  # None when an identical pack was already registered
    report: EvaluationReport | None  # on the held-out synthetic notes
    promoted: bool
    seconds: float


def bootstrap_options(seed: int) -> TrainingOptions:
    return TrainingOptions(seed=seed, classifier=False, add_candidates=False, ranker_params={"use_priors": False})


def build_bootstrap(
    base: Engine,
    registry: ModelRegistry,
    *,
    notes: int = DEFAULT_NOTES,
    seed: int = 0,
    promote: bool = True,
    progress: ProgressCallback | None = None,
) -> BootstrapResult:
    """Generate ``notes`` synthetic notes, fit the ranker on 80%, choose the threshold on 20%, write the pack.

    The pack id names the code set's release, the seed and the synthetic data's hash, so building twice is
    a no-op (the registered pack is reused, and promoted when asked).
    """
    started = time.perf_counter()
    vocabulary = base.vocabulary
    generator = NoteGenerator(load_term_table(vocabulary), vocabulary.codeset, seed)
    synthetic = list(generator.notes(notes))
    fingerprint = data_fingerprint(synthetic, sources=(f"synthetic from the code set {vocabulary.release}",))
    release = vocabulary.release.split(" ")[0].lower()
    code_set = code_set_ref(vocabulary)
    # The same notes fitted by another chartcoder or library version, or over another artifact, give another
    # model: such a pack must get a new id (and be rebuilt), not be found under the old one and refused.
    recipe = hashlib.sha256(
        f"{fingerprint.sha256}|{current_versions().model_dump_json()}|{code_set.model_dump_json()}".encode()
    ).hexdigest()
    model_id = f"{BOOTSTRAP_PREFIX}-{release}-s{seed}-{recipe[:10]}"
    if model_id in registry.ids():
        manifest = registry.verify(model_id, code_set=code_set)
        if promote:
            registry.promote(model_id, code_set=code_set)
        return BootstrapResult(manifest, None, None, promote, time.perf_counter() - started)
    options = bootstrap_options(seed)
    training, held_out = split_validation(synthetic, 0.2, seed)
    fitted = fit_model(base, training, options, progress)
    candidate = engine_with(base, fitted.ranker, None, model_id=model_id)
    report, threshold = validate(candidate, held_out, progress)
    manifest = write_model_pack(
        registry,
        vocabulary,
        fitted,
        model_id=model_id,
        kind="bootstrap",
        threshold=threshold,
        report=report,
        parameters={**options.to_parameters(), "notes": notes, "rows": fitted.rows, "positives": fitted.positives},
        fingerprint=fingerprint,
        validation=f"{len(held_out)} held-out synthetic notes (not clinical text: a sanity check only)",
        description=f"bootstrap ranker from {notes} synthetic notes written from the code set (seed {seed})",
    )
    if promote:
        registry.promote(model_id, code_set=code_set)
    return BootstrapResult(manifest, fitted, report, promote, time.perf_counter() - started)
