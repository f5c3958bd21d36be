"""Evaluate a suggestion engine on labeled notes: MAP, P@k, R@k, micro P/R/F1, per-chapter and candidate recall.

:func:`evaluate` runs each note through ``engine.suggest`` (the ranking and, with ``engine.threshold``, the
predicted set) and ``engine.candidates`` (every code proposed before rules and threshold), then scores them
with :mod:`training.metrics`; notes coded by a certified coder (the coder-notes layout: principal, core,
optional, must-not) are also judged as a coder judges them, by :mod:`training.coder_metrics`. The
*proposed* codes are the suggestions whose ``proposed`` attribute is true, or, for suggestions without one,
those scored at or above ``engine.threshold``. It works with any object that has those two methods and ``threshold`` /
``model_id`` attributes (the :class:`EngineLike` protocol), so the reference baseline is measured the same way.

With ``workers > 1`` notes are scored in a pool of processes, each of which builds its own engine once, in
the pool's initializer, from a picklable factory (such as ``suggest.batch.EngineSpec(home, model).load``): an
engine holds a spaCy pipeline and a lexicon that are cheaper to load than to pickle.

This module imports :mod:`vocab`, :mod:`suggest` and :mod:`training` only, never :mod:`service`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suggest.engine_protocol import ScoringEngine
from suggest.types import SETTINGS
from training.coder_metrics import CoderGold, CoderReport, coder_report, score_coder_note
from training.data import LabeledNote
from training.metrics import (
    UNKNOWN_CHAPTER,
    ChapterRecall,
    candidate_recall,
    chapter_lookup,
    mean_average_precision,
    mean_precision_at_k,
    mean_recall_at_k,
    micro_scores,
    missed_codes,
    normalize_codes,
    per_chapter_recall,
)
from vocab.codeset import CodeSet
from vocab.errors import ChartcoderError

__all__ = [
    "CUTOFFS",
    "EngineFacts",
    "EngineLike",
    "EvaluationReport",
    "NoteOutcome",
    "evaluate",
    "score_note",
    "score_notes",
    "summarize",
]

CUTOFFS = (1, 5, 10)

ProgressCallback = Callable[[int, int], None]  # (notes done, notes in all)


# What the evaluation needs from an engine (``suggest.engine.Engine`` or the baseline's adapter).
EngineLike = ScoringEngine
EngineFactory = Callable[[], EngineLike]


# --- one note ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NoteOutcome:
    """What the engine did with one note: its ranking (best first) with scores and whether the engine proposes
    each code, and its candidate codes. ``proposed`` is empty for outcomes made without it."""

    note_id: str
    ranked: tuple[str, ...]
    scores: tuple[float, ...]
    candidates: tuple[str, ...]
    words: int
    suggest_seconds: float
    error: str | None = None
    proposed: tuple[bool, ...] = ()

    def predicted(self, threshold: float) -> set[str]:
        """The codes the engine proposes; by ``threshold`` for an outcome without ``proposed`` flags."""
        if len(self.proposed) == len(self.ranked):
            return {code for code, chosen in zip(self.ranked, self.proposed, strict=True) if chosen}
        return {code for code, score in zip(self.ranked, self.scores, strict=True) if score >= threshold}

    def proposed_codes(self, threshold: float) -> list[str]:
        """:meth:`predicted` in ranking order."""
        chosen = self.predicted(threshold)
        return [code for code in self.ranked if code in chosen]


def _is_proposed(suggestion: object, threshold: float) -> bool:
    # Suggestions say whether the engine proposes them once the guideline layer decides it; before, and for
    # engines without it (the baseline), the threshold decides.
    proposed = getattr(suggestion, "proposed", None)
    if proposed is None:
        return float(suggestion.score) >= threshold  # type: ignore[attr-defined]
    return bool(proposed)


def score_note(engine: EngineLike, note: LabeledNote, setting: str = "outpatient") -> NoteOutcome:
    """Run one note through the engine; a note the engine refuses (a chartcoder error) is kept, with no codes.

    ``setting`` applies when the note does not state its own.
    """
    words = len(note.text.split())
    note_setting = note.setting or setting
    started = time.perf_counter()
    try:
        result = engine.suggest(note.text, setting=note_setting, note_id=note.id, top=None)
        suggest_seconds = time.perf_counter() - started
        candidates = engine.candidates(note.text, setting=note_setting)
    except ChartcoderError as error:
        # The note counts with nothing found, so that a refusal lowers recall instead of vanishing.
        return NoteOutcome(note.id, (), (), (), words, time.perf_counter() - started, error=str(error))
    ranking = sorted(result.suggestions, key=lambda suggestion: suggestion.rank)
    return NoteOutcome(
        note_id=note.id,
        ranked=tuple(suggestion.code for suggestion in ranking),
        scores=tuple(float(suggestion.score) for suggestion in ranking),
        candidates=tuple(normalize_codes(candidate.code for candidate in candidates)),
        words=words,
        suggest_seconds=suggest_seconds,
        proposed=tuple(_is_proposed(suggestion, float(engine.threshold)) for suggestion in ranking),
    )


# --- many notes -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EngineFacts:
    """What the summary needs from the engine, fetched from a worker when the engine lives there."""

    model_id: str
    threshold: float
    chapters: dict[str, tuple[str, str]]  # gold code -> (chapter id, title)


def _is_engine(candidate: object) -> bool:
    return hasattr(candidate, "suggest") and hasattr(candidate, "candidates")


def _engine_codeset(engine: object) -> CodeSet | None:
    vocabulary = getattr(engine, "vocabulary", None)
    return getattr(vocabulary, "codeset", None)


def _chapters_for(codes: Iterable[str], codeset: CodeSet | None) -> dict[str, tuple[str, str]]:
    chapters = {}
    for code in codes:
        found = codeset.get(code) if codeset is not None else None
        if found is None:
            chapters[code] = (UNKNOWN_CHAPTER, "codes not in the code set")
        else:
            chapters[code] = (found.chapter, codeset.chapters[found.chapter].title)  # type: ignore[union-attr]
    return chapters


def _engine_facts(engine: EngineLike, gold_codes: Iterable[str], codeset: CodeSet | None) -> EngineFacts:
    return EngineFacts(
        model_id=str(engine.model_id),
        threshold=float(engine.threshold),
        chapters=_chapters_for(gold_codes, codeset if codeset is not None else _engine_codeset(engine)),
    )


def _factory_for(engine: EngineLike | EngineFactory) -> tuple[EngineFactory, str | None]:
    """A factory for worker processes, and the model id its engines must have (None: whatever it loads).

    An engine given directly is reloaded from its vocabulary's home, by its ``model_id``; the id check catches
    an engine whose id does not name a loadable model.
    """
    if not _is_engine(engine):
        return engine, None  # type: ignore[return-value]
    folder = getattr(getattr(engine, "vocabulary", None), "folder", None)
    if folder is None:
        raise TypeError(
            "evaluate(workers > 1) needs an engine factory (such as suggest.batch.EngineSpec(...).load) or an "
            "engine whose vocabulary has a folder to reload it from."
        )
    from suggest.engine_pool import EngineSpec

    model_id = str(engine.model_id)  # type: ignore[union-attr]
    return EngineSpec(home=Path(folder).parent, model=model_id).load, model_id


def _gold_codes(notes: Sequence[LabeledNote]) -> list[str]:
    return sorted({code for note in notes for code in normalize_codes(note.codes)})


def _score_in_process(
    engine: EngineLike, notes: Sequence[LabeledNote], setting: str, progress: ProgressCallback | None
) -> list[NoteOutcome]:
    outcomes = []
    for done, note in enumerate(notes, start=1):
        outcomes.append(score_note(engine, note, setting))
        if progress is not None:
            progress(done, len(notes))
    return outcomes


def _score_in_pool(
    factory: EngineFactory,
    expected_model_id: str | None,
    notes: Sequence[LabeledNote],
    setting: str,
    workers: int,
    progress: ProgressCallback | None,
    codeset: CodeSet | None,
) -> tuple[list[NoteOutcome], EngineFacts]:
    from suggest.engine_pool import EnginePool

    with EnginePool(factory, workers) as pool:
        facts = pool.submit(_engine_facts, _gold_codes(notes), codeset).result()
        if expected_model_id is not None and facts.model_id != expected_model_id:
            raise ValueError(
                f"the workers loaded model {facts.model_id!r}, not {expected_model_id!r}: pass a factory "
                "that loads that model (suggest.batch.EngineSpec(home, model).load) instead of a loaded engine"
            )
        futures = {pool.submit(score_note, note, setting): index for index, note in enumerate(notes)}
        outcomes: list[NoteOutcome | None] = [None] * len(notes)
        for done, future in enumerate(as_completed(futures), start=1):
            outcomes[futures[future]] = future.result()
            if progress is not None:
                progress(done, len(notes))
    return [outcome for outcome in outcomes if outcome is not None], facts


def score_notes(
    engine: EngineLike | EngineFactory,
    notes: Sequence[LabeledNote],
    *,
    setting: str = "outpatient",
    workers: int = 1,
    progress: ProgressCallback | None = None,
    codeset: CodeSet | None = None,
) -> tuple[list[NoteOutcome], EngineFacts]:
    """One :class:`NoteOutcome` per note, in the notes' order, and the engine's id, threshold and chapters."""
    if setting not in SETTINGS:
        raise ValueError(f"unknown setting {setting!r}: expected one of {', '.join(SETTINGS)}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if workers == 1:
        loaded: EngineLike = engine if _is_engine(engine) else engine()  # type: ignore[operator,assignment]
        outcomes = _score_in_process(loaded, notes, setting, progress)
        return outcomes, _engine_facts(loaded, _gold_codes(notes), codeset)
    factory, expected_model_id = _factory_for(engine)
    return _score_in_pool(factory, expected_model_id, notes, setting, workers, progress, codeset)


# --- the report -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvaluationReport:
    """Every figure of one evaluation. Per-note averages (MAP, P@k, R@k) run over notes with gold codes.

    ``seconds`` is the wall time of the whole run (with workers, including their start and engine loads);
    ``words_per_second`` = words / ``seconds``; ``suggest_words_per_second`` = words / time inside
    ``engine.suggest`` summed over notes (one process's throughput, without the candidate pass).
    """

    model_id: str
    setting: str
    notes: int
    notes_with_gold: int
    gold_codes: int
    map: float
    p_at: dict[int, float]
    r_at: dict[int, float]
    threshold: float
    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int
    per_chapter_recall: dict[str, ChapterRecall]
    candidate_recall: float
    missed_candidates: tuple[tuple[str, int], ...]  # gold code, notes where it was never a candidate
    seconds: float
    words: int
    words_per_second: float
    suggest_seconds: float
    suggest_words_per_second: float
    failed_notes: tuple[tuple[str, str], ...] = field(default=())  # (note id, error) for notes the engine refused
    coder: CoderReport | None = None  # for notes coded by a certified coder (the coder-notes layout)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "setting": self.setting,
            "notes": self.notes,
            "notes_with_gold": self.notes_with_gold,
            "gold_codes": self.gold_codes,
            "map": self.map,
            "p_at": {str(k): value for k, value in self.p_at.items()},
            "r_at": {str(k): value for k, value in self.r_at.items()},
            "threshold": self.threshold,
            "micro": {
                "precision": self.precision,
                "recall": self.recall,
                "f1": self.f1,
                "true_positives": self.true_positives,
                "false_positives": self.false_positives,
                "false_negatives": self.false_negatives,
            },
            "per_chapter_recall": {chapter: value.to_dict() for chapter, value in self.per_chapter_recall.items()},
            "candidate_recall": self.candidate_recall,
            "missed_candidates": [{"code": code, "notes": count} for code, count in self.missed_candidates],
            "seconds": self.seconds,
            "words": self.words,
            "words_per_second": self.words_per_second,
            "suggest_seconds": self.suggest_seconds,
            "suggest_words_per_second": self.suggest_words_per_second,
            "failed_notes": [{"id": note_id, "error": error} for note_id, error in self.failed_notes],
            "coder": self.coder.to_dict() if self.coder is not None else None,
        }


def _most_missed_first(missed: Counter[str]) -> tuple[tuple[str, int], ...]:
    # Ties in code order: Counter.most_common keeps set order, which changes with each process's hash seed.
    return tuple(sorted(missed.items(), key=lambda item: (-item[1], item[0])))


def _coder_report(
    notes: Sequence[LabeledNote],
    outcomes: Sequence[NoteOutcome],
    threshold: float,
    setting: str,
    chapter_of: Callable[[str], tuple[str, str]],
) -> CoderReport | None:
    scores = [
        score_coder_note(
            note.id,
            note.setting or setting,
            CoderGold.of(note.principal, note.codes, note.optional, note.must_not),
            outcome.ranked,
            outcome.proposed_codes(threshold),
        )
        for note, outcome in zip(notes, outcomes, strict=True)
        if note.principal is not None and note.codes
    ]
    return coder_report(scores, chapter_of) if scores else None


def summarize(
    notes: Sequence[LabeledNote],
    outcomes: Sequence[NoteOutcome],
    *,
    model_id: str,
    threshold: float,
    chapters: dict[str, tuple[str, str]] | Callable[[str], tuple[str, str]],
    setting: str = "outpatient",
    seconds: float = 0.0,
) -> EvaluationReport:
    """Score outcomes against the notes' gold codes (both in the same order).

    ``chapters`` names the chapter of a code: a dict (of the gold codes) or a function; a code the dict lacks
    (a proposed code, in the coder figures) is in the "unknown" chapter.
    """
    if len(notes) != len(outcomes):
        raise ValueError(f"{len(notes)} notes but {len(outcomes)} outcomes")
    golds = [note.codes for note in notes]
    rankings = [outcome.ranked for outcome in outcomes]
    predicted = [outcome.predicted(threshold) for outcome in outcomes]
    candidate_sets = [outcome.candidates for outcome in outcomes]
    micro = micro_scores(predicted, golds)
    chapter_of = _chapter_function(chapters)
    words = sum(outcome.words for outcome in outcomes)
    suggest_seconds = sum(outcome.suggest_seconds for outcome in outcomes)
    return EvaluationReport(
        model_id=model_id,
        setting=setting,
        notes=len(notes),
        notes_with_gold=sum(1 for note in notes if note.codes),
        gold_codes=sum(len(normalize_codes(note.codes)) for note in notes),
        map=mean_average_precision(rankings, golds),
        p_at={k: mean_precision_at_k(rankings, golds, k) for k in CUTOFFS},
        r_at={k: mean_recall_at_k(rankings, golds, k) for k in CUTOFFS},
        threshold=threshold,
        precision=micro.precision,
        recall=micro.recall,
        f1=micro.f1,
        true_positives=micro.true_positives,
        false_positives=micro.false_positives,
        false_negatives=micro.false_negatives,
        per_chapter_recall=per_chapter_recall(predicted, golds, chapter_of),
        candidate_recall=candidate_recall(candidate_sets, golds),
        missed_candidates=_most_missed_first(missed_codes(candidate_sets, golds)),
        seconds=seconds,
        words=words,
        words_per_second=words / seconds if seconds > 0 else 0.0,
        suggest_seconds=suggest_seconds,
        suggest_words_per_second=words / suggest_seconds if suggest_seconds > 0 else 0.0,
        failed_notes=tuple((outcome.note_id, outcome.error) for outcome in outcomes if outcome.error is not None),
        coder=_coder_report(notes, outcomes, threshold, setting, chapter_of),
    )


def _chapter_function(
    chapters: dict[str, tuple[str, str]] | Callable[[str], tuple[str, str]],
) -> Callable[[str], tuple[str, str]]:
    if not isinstance(chapters, dict):
        return chapters
    unknown = chapter_lookup(None)
    return lambda code: chapters.get(code) or unknown(code)


def evaluate(
    engine: EngineLike | EngineFactory,
    notes: Iterable[LabeledNote],
    *,
    setting: str = "outpatient",
    workers: int = 1,
    progress: ProgressCallback | None = None,
    codeset: CodeSet | None = None,
) -> EvaluationReport:
    """Score ``engine`` on ``notes`` (read once, into memory) and return the full report.

    ``engine`` is an engine, or a picklable factory of one (``suggest.batch.EngineSpec(...).load``); with
    ``workers > 1`` an engine given directly is reloaded in each worker from its vocabulary's home (and its
    ``model_id`` checked).
    ``setting`` applies to notes that do not state their own. ``progress(done, total)`` is called after
    each note. ``codeset`` names chapters (default: ``engine.vocabulary.codeset`` where there is one).
    """
    labeled = list(notes)
    if not labeled:
        raise ValueError("there are no notes to evaluate")
    started = time.perf_counter()
    outcomes, facts = score_notes(engine, labeled, setting=setting, workers=workers, progress=progress, codeset=codeset)
    seconds = time.perf_counter() - started
    # Proposed codes need chapters too (the facts name the gold codes' only): from the code set when there is one.
    known = codeset if codeset is not None else (_engine_codeset(engine) if _is_engine(engine) else None)
    return summarize(
        labeled,
        outcomes,
        model_id=facts.model_id,
        threshold=facts.threshold,
        chapters=chapter_lookup(known) if known is not None else facts.chapters,
        setting=setting,
        seconds=seconds,
    )
