"""The TF-IDF model: n-gram features of the marked text, logistic regression, C chosen on valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from pipeline.core.config import ExamplesConfig
from pipeline.core.labels import PAIR_CLASS_NAMES
from pipeline.core.metrics import five_class_scores
from pipeline.models.base import (
    FitReport,
    StanceModel,
    canonical_examples,
    pair_targets,
)
from pipeline.models.tfidf import TfidfConfig

# Markers become plain word tokens so that word n-grams see "SRC_END praised TGT_START".
_MARKER_TOKENS = ("SRCSTART", "SRCEND", "TGTSTART", "TGTEND")


class MarkerPreprocessor:
    """Lower-cases text and turns the pair markers into word tokens (picklable)."""

    def __init__(self, markers: ExamplesConfig) -> None:
        self.replacements = list(zip(
            (markers.source_open, markers.source_close, markers.target_open, markers.target_close),
            _MARKER_TOKENS,
        ))

    def __call__(self, text: str) -> str:
        for marker, token in self.replacements:
            text = text.replace(marker, f" {token} ")
        return text.lower()


def build_vectorizer(settings: TfidfConfig, markers: ExamplesConfig) -> FeatureUnion:
    """Word 1..n-grams and character-in-word n-grams, both sublinear TF-IDF."""
    preprocess = MarkerPreprocessor(markers)
    return FeatureUnion([
        ("word", TfidfVectorizer(preprocessor=preprocess, ngram_range=(1, settings.word_ngram_max),
                                 min_df=settings.min_df, sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")),
        ("char", TfidfVectorizer(preprocessor=preprocess, analyzer="char_wb",
                                 ngram_range=(settings.char_ngram_min, settings.char_ngram_max),
                                 min_df=settings.min_df, sublinear_tf=True, max_features=settings.max_features)),
    ])


def _all_classes(classifier: LogisticRegression, features) -> np.ndarray:
    """Probabilities over all five pair classes, whichever the classifier saw."""
    proba = classifier.predict_proba(features)
    full = np.zeros((features.shape[0], len(PAIR_CLASS_NAMES)))
    full[:, classifier.classes_] = proba
    return full


class TfidfModel(StanceModel):
    """Linear model over n-grams of the marked text."""

    family = "tfidf"

    def __init__(self, settings: TfidfConfig, markers: ExamplesConfig) -> None:
        super().__init__(markers)
        self.settings = settings
        self.vectorizer: FeatureUnion | None = None
        self.classifier: LogisticRegression | None = None

    def fit(self, train: pd.DataFrame, valid: pd.DataFrame, seed: int) -> FitReport:
        train, valid = canonical_examples(train), canonical_examples(valid)
        self.vectorizer = build_vectorizer(self.settings, self.markers)
        features = self.vectorizer.fit_transform(train["text"])
        valid_features = self.vectorizer.transform(valid["text"])
        targets = pair_targets(train)
        class_weight = None if self.settings.class_weight == "none" else self.settings.class_weight
        report = FitReport(params={"n_features": features.shape[1], "train_examples": len(train)})
        best_score = -1.0
        for step, c_value in enumerate(self.settings.c_grid):
            candidate = LogisticRegression(C=c_value, max_iter=self.settings.max_iter,
                                           class_weight=class_weight, random_state=seed)
            candidate.fit(features, targets)
            scores = five_class_scores(valid["dse_label"].to_numpy(), _all_classes(candidate, valid_features))
            report.history.append({"step": step, "search_C": c_value, "search_valid_macro_f1": scores["macro_f1"],
                                   "search_valid_micro_f1": scores["micro_f1"]})
            if scores["macro_f1"] > best_score:
                best_score, self.classifier = scores["macro_f1"], candidate
                report.params["C"] = c_value
        return report

    def _predict_canonical(self, texts: Sequence[str]) -> np.ndarray:
        if self.vectorizer is None or self.classifier is None:
            raise RuntimeError("model is not fitted")
        return _all_classes(self.classifier, self.vectorizer.transform(list(texts)))

    def _save_state(self, path: Path) -> dict[str, Any]:
        if self.vectorizer is None or self.classifier is None:
            raise RuntimeError("model is not fitted")
        vocabularies, arrays = state_of(self.vectorizer, self.classifier)
        (path / TFIDF_VOCABULARY).write_text(json.dumps(vocabularies, ensure_ascii=False), encoding="utf-8")
        np.savez(path / TFIDF_ARRAYS, **arrays)
        return {"tfidf": self.settings.model_dump(mode="json")}

    @classmethod
    def _load_state(cls, path: Path, settings: dict[str, Any], markers: ExamplesConfig) -> "TfidfModel":
        model = cls(TfidfConfig(**settings["tfidf"]), markers)
        if not (path / TFIDF_ARRAYS).exists():
            raise RuntimeError(f"{path}: no {TFIDF_ARRAYS}; a TF-IDF model saved as a pickle (tfidf.joblib) "
                               "is not loaded: train it again (make train)")
        vocabularies = json.loads((path / TFIDF_VOCABULARY).read_text(encoding="utf-8"))
        with np.load(path / TFIDF_ARRAYS, allow_pickle=False) as arrays:
            model.vectorizer, model.classifier = from_state(model.settings, markers, vocabularies, dict(arrays))
        return model


#: A fitted TF-IDF model on disk, no pickle: the vocabularies as JSON, idf and coefficients as NumPy arrays.
TFIDF_VOCABULARY, TFIDF_ARRAYS = "tfidf_vocabulary.json", "tfidf_arrays.npz"
_PARTS = ("word", "char")


def state_of(vectorizer: FeatureUnion, classifier: LogisticRegression) -> tuple[dict, dict[str, np.ndarray]]:
    """What a fitted model needs to predict: each part's vocabulary, its idf, the linear model."""
    parts = dict(vectorizer.transformer_list)
    vocabularies = {name: {term: int(i) for term, i in parts[name].vocabulary_.items()} for name in _PARTS}
    arrays = {f"{name}_idf": parts[name].idf_ for name in _PARTS}
    arrays |= {"coef": classifier.coef_, "intercept": classifier.intercept_, "classes": classifier.classes_}
    return vocabularies, arrays


def from_state(settings: TfidfConfig, markers: ExamplesConfig, vocabularies: dict,
               arrays: dict[str, np.ndarray]) -> tuple[FeatureUnion, LogisticRegression]:
    """The vectorizer and classifier :func:`state_of` describes, rebuilt without unpickling anything."""
    vectorizer = build_vectorizer(settings, markers)
    for name, part in vectorizer.transformer_list:
        part.vocabulary_ = vocabularies[name]
        part.fixed_vocabulary_ = False
        part.idf_ = arrays[f"{name}_idf"]
    classifier = LogisticRegression()
    classifier.coef_, classifier.intercept_ = arrays["coef"], arrays["intercept"]
    classifier.classes_ = arrays["classes"]
    return vectorizer, classifier
