"""The TF-IDF family: word and character n-grams with logistic regression, C chosen on valid.

This module holds the settings and registers the family; the model
(:mod:`pipeline.models.tfidf.model`, scikit-learn) loads when first built or loaded.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipeline.core.config import FamilySettings
from pipeline.models.registry import declare


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


declare("tfidf", TfidfConfig, "pipeline.models.tfidf.model:TfidfModel")
