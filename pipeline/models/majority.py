"""The floor: always predict the most frequent pair class of the training set."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from pipeline.core.config import ExamplesConfig
from pipeline.core.labels import PAIR_CLASS_NAMES
from pipeline.models.base import (
    FitReport,
    StanceModel,
    canonical_examples,
    pair_targets,
)
from pipeline.models.registry import register


@register("majority")
class MajorityModel(StanceModel):
    """Predicts the training prior of the pair classes for every input."""

    def __init__(self, markers: ExamplesConfig, prior: np.ndarray | None = None) -> None:
        super().__init__(markers)
        self.prior = prior

    @classmethod
    def from_config(cls, config) -> "MajorityModel":
        return cls(config.examples)

    def fit(self, train: pd.DataFrame, valid: pd.DataFrame, seed: int) -> FitReport:
        counts = np.bincount(pair_targets(canonical_examples(train)), minlength=len(PAIR_CLASS_NAMES)).astype(float)
        self.prior = counts / counts.sum()
        return FitReport(params={"majority_class": PAIR_CLASS_NAMES[int(self.prior.argmax())]})

    def _predict_canonical(self, texts: Sequence[str]) -> np.ndarray:
        if self.prior is None:
            raise RuntimeError("model is not fitted")
        return np.tile(self.prior, (len(texts), 1))

    def _save_state(self, path: Path) -> dict[str, Any]:
        return {"prior": self.prior.tolist()}

    @classmethod
    def _load_state(cls, path: Path, settings: dict[str, Any], markers: ExamplesConfig) -> "MajorityModel":
        return cls(markers, np.asarray(settings["prior"], dtype=float))
