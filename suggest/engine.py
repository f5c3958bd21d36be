"""The :class:`Engine`: chart note in, ranked ICD-10-CM suggestions out.

An engine holds what :func:`suggest.loading.load_engine` assembled (the code set, the spaCy pipeline, the
ranker and the optional note classifier) and runs a note through them: candidates -> ranker scores ->
coding rules -> :class:`NoteSuggestions`. It loads nothing itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from suggest.candidates import build_candidates, extract_mentions
from suggest.classifier_candidates import section_lookup, with_classifier
from suggest.coded_document import CodedDocument
from suggest.documentation import check_documentation
from suggest.documentation.document_type import DOCUMENT_TYPES
from suggest.errors import DocumentTypeError, Errors, NoteError
from suggest.guidelines import GuidelineContext, draft_code_set, suggestions_of
from suggest.guidelines.history_status import HistoryCodes, is_resolved, is_still_treated
from suggest.guidelines.note import NoteView
from suggest.note_checks import DEFAULT_MAX_NOTE_CHARS, check_note
from suggest.ranking import NoteClassifier, Ranker
from suggest.risk_adjustment import hcc_for
from suggest.rules import Ranked, RuleContext, rank_codes
from suggest.types import Candidate, Exclusion, NoteSuggestions, Setting
from vocab.vocabulary import Vocabulary

__all__ = ["Engine"]


class Engine:
    """Chart note in, ranked ICD-10-CM suggestions with evidence, assertion and coding rules out."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        nlp: Language,
        ranker: Ranker,
        model_id: str,
        threshold: float,
        max_note_chars: int = DEFAULT_MAX_NOTE_CHARS,
        classifier: NoteClassifier | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.nlp = nlp
        self.ranker = ranker
        self.classifier = classifier
        self.model_id = model_id
        self.threshold = threshold
        self.max_note_chars = max_note_chars
        self._histories = HistoryCodes(vocabulary.index("index"), vocabulary.codeset)
        self._histories.warm()  # read the Tabular's "Conditions classifiable to" notes now, not on a note

    @property
    def code_set(self) -> str:
        """The release this engine codes with (``ICD-10-CM FY2027``), named by the release itself."""
        return self.vocabulary.code_set

    def suggest(
        self,
        text: str,
        setting: str = "outpatient",
        note_id: str | None = None,
        top: int | None = None,
        document_type: str | None = None,
    ) -> NoteSuggestions:
        """``document_type`` (``suggest.documentation.document_type.DOCUMENT_TYPES``): None reads it from the
        note's headings, for the completeness checks."""
        checked_setting = self._check(text, setting)
        self._check_document_type(document_type)
        return self._suggest_doc(self.nlp(text), text, checked_setting, note_id, top, document_type)

    def suggest_many(
        self, notes: Iterable[tuple[str | None, str, str]], batch_size: int = 32, top: int | None = None
    ) -> Iterator[NoteSuggestions | NoteError]:
        """``(note_id, text, setting)`` in, one result per note out, in order; a bad note yields its error."""
        checked: list[tuple[str | None, str, Setting | NoteError]] = []
        for note_id, text, setting in notes:
            try:
                checked.append((note_id, text, self._check(text, setting)))
            except NoteError as error:
                checked.append((note_id, text, error))
        valid = (text for _, text, outcome in checked if not isinstance(outcome, NoteError))
        docs = self.nlp.pipe(valid, batch_size=batch_size)
        for note_id, text, outcome in checked:
            if isinstance(outcome, NoteError):
                yield outcome
            else:
                yield self._suggest_doc(next(docs), text, outcome, note_id, top)

    def code_document(
        self, text: str, setting: str = "outpatient", note_id: str | None = None, document_type: str | None = None
    ) -> CodedDocument:
        """The note's suggestions with the work behind them, for merging the documents of an encounter
        (:func:`suggest.encounter.code_encounter`)."""
        checked_setting = self._check(text, setting)
        self._check_document_type(document_type)
        return self._code_doc(self.nlp(text), text, checked_setting, note_id, document_type)

    def with_model(self, model: str | None = None, *, home: Path | None = None) -> Engine:
        """This engine's code set and spaCy pipeline with another model: :func:`suggest.loading.with_model`."""
        from suggest.loading import with_model  # the loader imports this module

        return with_model(self, model, home=home)

    def candidates(self, text: str, setting: str = "outpatient") -> list[Candidate]:
        """Every candidate code of the note before coding rules and threshold (training, candidate recall)."""
        self._check(text, setting)
        return self._candidates(self.nlp(text), text)

    def _candidates(self, doc: Doc, text: str) -> list[Candidate]:
        codeset = self.vocabulary.codeset
        candidates = build_candidates(extract_mentions(doc, codeset), codeset, len(text))
        if self.classifier is None:
            return candidates
        return with_classifier(candidates, text, self.classifier, codeset, section_at=section_lookup(doc))

    def _suggest_doc(
        self,
        doc: Doc,
        text: str,
        setting: Setting,
        note_id: str | None,
        top: int | None,
        document_type: str | None = None,
    ) -> NoteSuggestions:
        result = self._code_doc(doc, text, setting, note_id, document_type).suggestions
        if top is not None:
            result = replace(result, suggestions=result.suggestions[:top])
        return result

    def _code_doc(
        self, doc: Doc, text: str, setting: Setting, note_id: str | None, document_type: str | None = None
    ) -> CodedDocument:
        candidates, scores, ranked, excluded = self._ranked(doc, text, setting)
        guideline_context = self._guideline_context(
            text, setting, candidates, scores, self.threshold, NoteView.section_starts(doc)
        )
        draft = draft_code_set(ranked, excluded, guideline_context)
        suggestions, exclusions = suggestions_of(draft, guideline_context)
        mentions = dict.fromkeys(mention for candidate in candidates for mention in candidate.mentions)
        documentation = check_documentation(
            NoteView(text, guideline_context.sections),
            setting,
            suggestions,
            tuple(mentions),
            document_type=document_type,
        )
        suggestions = [replace(suggestion, hcc=hcc_for(suggestion.code)) for suggestion in suggestions]
        result = NoteSuggestions(
            note_id=note_id,
            code_set=self.vocabulary.code_set,
            model=self.model_id,
            setting=setting,
            suggestions=tuple(suggestions),
            excluded=tuple(exclusions),
            documentation=documentation,
        )
        return CodedDocument(
            suggestions=result,
            entries=tuple(draft.entries),
            excluded=tuple(exclusions),
            mentions=guideline_context.mentions,
            candidates=tuple(candidates),
            scores=tuple(float(score) for score in scores),
            sections=guideline_context.sections,
            threshold=self.threshold,
        )

    def reported_at(
        self, text: str, thresholds: Sequence[float], setting: str = "outpatient"
    ) -> list[tuple[tuple[str, ...], tuple[bool, ...]]]:
        """The list the engine would report for ``text`` at each of ``thresholds``: (the codes in reporting order,
        whether each is proposed). The pipeline, the candidates, the ranker and the coding rules run once; the
        guideline layer, which decides from the threshold what is proposed, what is a confirmed diagnosis and the
        reporting order, runs once per threshold (``chartcoder train`` chooses its operating threshold on this)."""
        checked_setting = self._check(text, setting)
        doc = self.nlp(text)
        candidates, scores, ranked, excluded = self._ranked(doc, text, checked_setting)
        sections = NoteView.section_starts(doc)
        reported = []
        for threshold in thresholds:
            context = self._guideline_context(text, checked_setting, candidates, scores, float(threshold), sections)
            entries = draft_code_set(ranked, excluded, context).entries
            reported.append((tuple(entry.code for entry in entries), tuple(entry.proposed for entry in entries)))
        return reported

    def _ranked(
        self, doc: Doc, text: str, setting: Setting
    ) -> tuple[list[Candidate], list[float], list[Ranked], list[Exclusion]]:
        """The note's candidates, their scores, and the coding rules' ranked and excluded codes."""
        candidates = self._candidates(doc, text)
        scores = self.ranker.score(candidates)
        context = RuleContext(
            codeset=self.vocabulary.codeset, setting=setting, text=text, history_code=self._history_code
        )
        ranked, excluded = rank_codes(candidates, scores, context)
        return candidates, scores, ranked, excluded

    def _guideline_context(
        self,
        text: str,
        setting: Setting,
        candidates: list[Candidate],
        scores: list[float],
        threshold: float,
        sections: tuple[tuple[int, str], ...],
    ) -> GuidelineContext:
        return GuidelineContext(
            codeset=self.vocabulary.codeset,
            setting=setting,
            text=text,
            candidates=candidates,
            scores=scores,
            threshold=threshold,
            index=self.vocabulary.index,
            history_code=self._history_code,
            sections=sections,
        )

    def _check(self, text: object, setting: str) -> Setting:
        return check_note(text, setting, self.max_note_chars)

    @staticmethod
    def _check_document_type(document_type: str | None) -> None:
        if document_type is not None and document_type not in DOCUMENT_TYPES:
            raise DocumentTypeError(Errors.E009.format(document_type=document_type, types=", ".join(DOCUMENT_TYPES)))

    def _history_code(self, kind: str, code: str, sentence: str = "") -> str | None:
        """The history code for a condition documented as past ("personal") or a relative's ("family"), or None
        where the condition stays coded as it is: still treated, or chronic and not said to be resolved
        (I.C.21.c.4; :class:`suggest.guidelines.history_status.HistoryCodes` walks the Index and Tabular)."""
        if kind == "personal" and is_still_treated(sentence):
            return None
        return self._histories.code_for(kind, code, resolved=kind == "personal" and is_resolved(sentence))
