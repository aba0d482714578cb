"""TF-IDF (word and character n-grams) + logistic regression, C chosen on valid."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Sequence

import joblib
import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from pipeline.core.config import ExamplesConfig, FamilySettings
from pipeline.core.labels import PAIR_CLASS_NAMES
from pipeline.core.metrics import five_class_scores
from pipeline.models.base import (
    FitReport,
    StanceModel,
    canonical_examples,
    pair_targets,
)
from pipeline.models.registry import register


class TfidfConfig(FamilySettings):
    """Word + character n-gram TF-IDF with logistic regression."""

    word_ngram_max: int = Field(default=2, ge=1)
    char_ngram_min: int = Field(default=2, ge=1)
    char_ngram_max: int = Field(default=5, ge=1)
    min_df: int = Field(default=2, ge=1)
    max_features: int | None = Field(default=400_000, ge=1)
    c_grid: list[float] = [4.0, 8.0, 16.0, 32.0]
    class_weight: Literal["balanced", "none"] = "none"
    max_iter: int = Field(default=2000, ge=1)

    @field_validator("c_grid")
    @classmethod
    def _non_empty_positive(cls, values: list[float]) -> list[float]:
        if not values or any(v <= 0 for v in values):
            raise ValueError(f"must be a non-empty list of positive numbers, got {values}")
        return values

    @model_validator(mode="after")
    def _char_range(self) -> "TfidfConfig":
        if self.char_ngram_max < self.char_ngram_min:
            raise ValueError(f"key 'train.tfidf.char_ngram_max': must be at least char_ngram_min "
                             f"({self.char_ngram_min}), got {self.char_ngram_max}")
        return self


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


@register("tfidf", TfidfConfig)
class TfidfModel(StanceModel):
    """Linear model over n-grams of the marked text."""

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
        joblib.dump({"vectorizer": self.vectorizer, "classifier": self.classifier}, path / "tfidf.joblib")
        return {"tfidf": self.settings.model_dump(mode="json")}

    @classmethod
    def _load_state(cls, path: Path, settings: dict[str, Any], markers: ExamplesConfig) -> "TfidfModel":
        model = cls(TfidfConfig(**settings["tfidf"]), markers)
        state = joblib.load(path / "tfidf.joblib")
        model.vectorizer, model.classifier = state["vectorizer"], state["classifier"]
        return model
