"""The note classifier as the engine runs it: a TF-IDF row times one sparse weight matrix, and evidence words.

``training.classifier.NoteClassifier`` fits it; a pack carries this :class:`TfidfNoteClassifier` (registered as
``chartcoder.TfidfNoteClassifier.v1``): the vectorizer's settings as JSON, and its vocabulary, inverse document
frequencies and the (features x codes) weights as arrays. The vectorizer is scikit-learn's own, rebuilt from
those settings, so a note is tokenised and weighted exactly as in training. Nothing here imports
:mod:`training` or unpickles anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer

from models.parts import RegisteredPart, register_part

__all__ = ["PROBABILITY_FLOOR", "VECTORIZER_SETTINGS", "TfidfNoteClassifier"]

# Probabilities below this are reported as absent: they change no ranking and would bloat every note's dict.
PROBABILITY_FLOOR = 1e-3
# The TfidfVectorizer settings a pack may carry (all plain values); a callable tokenizer or preprocessor would
# be code, so a vectorizer that uses one cannot be written into a pack.
VECTORIZER_SETTINGS = (
    "analyzer",
    "binary",
    "decode_error",
    "encoding",
    "input",
    "lowercase",
    "ngram_range",
    "norm",
    "smooth_idf",
    "strip_accents",
    "sublinear_tf",
    "token_pattern",
    "use_idf",
)
_DTYPES = {"float64": np.float64, "float32": np.float32}


@dataclass(frozen=True)
class _NoteView:
    text: str
    features: Any  # (1 x features) TF-IDF row
    tokens: list[tuple[str, int, int]]
    starts: dict[str, list[int]]  # word -> its token positions, in text order


@register_part("chartcoder.TfidfNoteClassifier.v1")
class TfidfNoteClassifier(RegisteredPart):
    """Implements :class:`suggest.ranking.NoteClassifier`: ``predict_proba(text)``, ``evidence_words``."""

    name = "tfidf-logistic"

    def __init__(
        self,
        vectorizer: TfidfVectorizer,
        coef: sparse.csr_matrix,
        intercept: np.ndarray,
        codes: Sequence[str],
        *,
        add_threshold: float,
        max_added: int,
        evidence_limit: int,
    ) -> None:
        self.vectorizer = vectorizer
        self.feature_names = vectorizer.get_feature_names_out()
        self.coef = coef
        self.intercept = intercept
        self.codes = tuple(codes)
        self.code_index = {code: index for index, code in enumerate(self.codes)}
        self.add_threshold = add_threshold
        self.max_added = max_added
        self.evidence_limit = evidence_limit
        # one column per code: a code's weights are a slice (scipy's column indexing costs ~0.1 ms a call)
        self._coef_by_code = coef.tocsc(copy=True)
        self._coef_by_code.sort_indices()
        self._last_view: _NoteView | None = None

    # --- prediction -----------------------------------------------------------------------------------------
    def predict_proba_many(self, texts: Sequence[str]) -> np.ndarray:
        """(notes x codes) probabilities, columns in the order of ``codes``."""
        features = self.vectorizer.transform(list(texts)).astype(np.float32)
        decision = (features @ self.coef).toarray().astype(np.float64) + self.intercept
        return expit(decision)

    def predict_proba(self, text: str) -> dict[str, float]:
        """``{code: probability}`` for the codes at or above :data:`PROBABILITY_FLOOR`."""
        view = self._note_view(text)
        decision = (view.features.astype(np.float32) @ self.coef).toarray()[0].astype(np.float64) + self.intercept
        return self.probabilities_of(expit(decision))

    def probabilities_of(self, row: np.ndarray) -> dict[str, float]:
        """One row of :meth:`predict_proba_many` as the engine's dict (the same floor as ``predict_proba``)."""
        kept = np.flatnonzero(row >= PROBABILITY_FLOOR)
        return {self.codes[index]: float(row[index]) for index in kept}

    def evidence_words(self, text: str, code: str, limit: int | None = None) -> list[tuple[int, int]]:
        """Character spans of the words (1-2 grams) that push ``code`` up most in this note, in text order."""
        index = self.code_index.get(code)
        if index is None:
            return []
        view = self._note_view(text)
        weights = self._code_weights(index, view.features.indices) * view.features.data
        order = [position for position in np.argsort(-weights, kind="stable") if weights[position] > 0]
        spans: list[tuple[int, int]] = []
        for position in order[: limit or self.evidence_limit]:
            span = _first_span(str(self.feature_names[view.features.indices[position]]), view.tokens, view.starts)
            if span is not None and not any(_overlaps(span, other) for other in spans):
                spans.append(span)
        return sorted(spans)

    def _note_view(self, text: str) -> _NoteView:
        """The note's TF-IDF row, tokens and weight rows, computed once per note: the engine asks for the
        probabilities and then the evidence of up to ``max_added`` codes of the same text."""
        cached = self._last_view
        if cached is not None and cached.text is text:
            return cast(_NoteView, cached)
        features = self.vectorizer.transform([text])
        tokens = _token_spans(text, self.vectorizer.token_pattern)
        starts: dict[str, list[int]] = {}
        for position, (word, _, _) in enumerate(tokens):
            starts.setdefault(word, []).append(position)
        view = _NoteView(text=text, features=features, tokens=tokens, starts=starts)
        self._last_view = view  # one slot, replaced whole: safe to share between threads
        return view

    def _code_weights(self, index: int, features: np.ndarray) -> np.ndarray:
        """The weights of code ``index`` for the given (sorted) feature ids, 0 where it has none."""
        by_code = self._coef_by_code
        start, end = by_code.indptr[index], by_code.indptr[index + 1]
        rows, values = by_code.indices[start:end], by_code.data[start:end]
        weights = np.zeros(len(features), dtype=by_code.dtype)
        if rows.size:
            found = np.minimum(np.searchsorted(rows, features), rows.size - 1)
            present = rows[found] == features
            weights[present] = values[found[present]]
        return weights

    # --- payload --------------------------------------------------------------------------------------------
    def to_payload(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        params = self.vectorizer.get_params()
        settings = {name: params[name] for name in VECTORIZER_SETTINGS}
        settings["ngram_range"] = list(settings["ngram_range"])
        settings["dtype"] = np.dtype(params["dtype"]).name
        if params.get("preprocessor") is not None or params.get("tokenizer") is not None or params["stop_words"]:
            raise TypeError("a vectorizer with its own preprocessor, tokenizer or stop words cannot go into a pack")
        coef = self.coef.tocsr()
        config = {
            "vectorizer": settings,
            "add_threshold": self.add_threshold,
            "max_added": self.max_added,
            "evidence_limit": self.evidence_limit,
            "coef_shape": list(coef.shape),
        }
        arrays = {
            "feature_names": np.asarray(self.feature_names, dtype=str),
            "idf": np.asarray(self.vectorizer.idf_, dtype=np.float64),
            "coef_data": coef.data,
            "coef_indices": coef.indices,
            "coef_indptr": coef.indptr,
            "intercept": np.asarray(self.intercept, dtype=np.float64),
            "codes": np.asarray(self.codes, dtype=str),
        }
        return config, arrays

    @classmethod
    def from_payload(cls, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> TfidfNoteClassifier:
        settings = dict(config["vectorizer"])
        unknown = set(settings) - {*VECTORIZER_SETTINGS, "dtype"}
        if unknown:
            raise ValueError(f"unknown vectorizer settings {sorted(unknown)}")
        settings["ngram_range"] = tuple(int(value) for value in settings["ngram_range"])
        settings["dtype"] = _DTYPES[str(settings["dtype"])]
        names = arrays["feature_names"].tolist()
        # The fitted vocabulary maps each word to its column; columns are in sorted word order (get_feature_names_out).
        vectorizer = TfidfVectorizer(**settings, vocabulary={name: index for index, name in enumerate(names)})
        vectorizer.idf_ = arrays["idf"]
        shape = tuple(int(value) for value in config["coef_shape"])
        coef = sparse.csr_matrix((arrays["coef_data"], arrays["coef_indices"], arrays["coef_indptr"]), shape=shape)
        codes = arrays["codes"].tolist()
        if shape != (len(names), len(codes)) or len(arrays["intercept"]) != len(codes):
            raise ValueError("the classifier's weights, vocabulary and codes differ in size")
        return cls(
            vectorizer,
            coef,
            np.asarray(arrays["intercept"], dtype=np.float64),
            codes,
            add_threshold=float(config["add_threshold"]),
            max_added=int(config["max_added"]),
            evidence_limit=int(config["evidence_limit"]),
        )


def _token_spans(text: str, pattern: str) -> list[tuple[str, int, int]]:
    """(lower-cased token, start, end) as the vectorizer tokenises, with offsets into the original text."""
    return [(match.group().lower(), match.start(), match.end()) for match in re.finditer(pattern, text)]


def _first_span(
    feature: str, tokens: list[tuple[str, int, int]], starts: dict[str, list[int]]
) -> tuple[int, int] | None:
    """Where the n-gram ``feature`` first occurs: only the positions of its first word are tried."""
    words = feature.split(" ")
    last = len(words) - 1
    for position in starts.get(words[0], ()):
        if position + last >= len(tokens):
            break
        if all(tokens[position + offset][0] == word for offset, word in enumerate(words[1:], start=1)):
            return tokens[position][1], tokens[position + last][2]
    return None


def _overlaps(first: tuple[int, int], second: tuple[int, int]) -> bool:
    return first[0] < second[1] and second[0] < first[1]
