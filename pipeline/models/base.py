"""What every stance model family provides.

A model reads the marked text of a directed pair and returns probabilities
over the five pair classes (:data:`pipeline.core.labels.PAIR_CLASS_NAMES`); the
directed labels and the DSE five classes both derive from those. The label
maps are saved with every model, never inferred from the data.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Sequence

import numpy as np
import pandas as pd

from pipeline.core.config import REPO_ROOT, ExamplesConfig
from pipeline.core.decision import LabelledCandidates
from pipeline.core.markers import swap_roles  # noqa: F401  (re-exported: the families read both ways)
from pipeline.core.labels import (
    ID2LABEL,
    LABEL2ID,
    PAIR_CLASS_NAMES,
    SWAP_PAIR_CLASS,
    directed_proba,
    pair_class,
)

MODEL_CARD = "stance_model.json"
#: Columns of a training frame that hold a teacher model's pair-class probabilities (distillation).
TEACHER_COLUMNS: tuple[str, ...] = tuple(f"teacher_p{k}" for k in range(len(PAIR_CLASS_NAMES)))


def teacher_folder(teacher: str) -> Path:
    """The saved model folder that a ``teacher`` setting names (relative to the repository root, or absolute)."""
    path = Path(teacher).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def missing_teacher_message(folder: str, family: str) -> str:
    """The one-line error for a teacher folder without a saved stance model."""
    return (f"{folder}: no saved stance model for train.{family}.teacher; train the teacher first "
            "(make train CONFIG=large writes outputs/large/models/<family>/model)")


@dataclass
class FitReport:
    """What fitting chose, for MLflow: hyperparameters and per-step metrics."""

    params: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)


def canonical_examples(examples: pd.DataFrame) -> pd.DataFrame:
    """The canonical reading of each row: the source is the first mention (DSE's p -> q)."""
    return examples[examples["direction"] == "pq"]


def canonicalize(texts: Sequence[str], markers: ExamplesConfig) -> tuple[list[str], np.ndarray]:
    """Rewrite each marked text so that the source is the first marked mention.

    Returns the rewritten texts and a mask of those that were swapped. A model
    sees only canonical readings, so its answers for (a -> b) and (b -> a) are
    consistent by construction: one is the other with the pair classes swapped.
    """
    canonical, swapped = [], np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        source_at, target_at = text.find(markers.source_open), text.find(markers.target_open)
        if source_at == -1 or target_at == -1:
            raise ValueError(f"text {i} lacks a source or target marker: {text[:120]!r}")
        if source_at > target_at:
            swapped[i] = True
            text = swap_roles(text, markers)
        canonical.append(text)
    return canonical, swapped


def pair_targets(examples: pd.DataFrame) -> np.ndarray:
    """Pair-class targets of directed examples."""
    return np.array([pair_class(c, d) for c, d in zip(examples["dse_label"], examples["direction"])], dtype=np.int64)


class StanceModel(ABC):
    """A trainable, saveable directed-stance classifier."""

    family: ClassVar[str]
    #: Whole-article candidates with gold labels (SEESAW valid), set by the train stage for a family
    #: that decides by a tuned rule; a family may score its checkpoints on them (the transformer does).
    article_candidates: LabelledCandidates | None = None

    def __init__(self, markers: ExamplesConfig) -> None:
        self.markers = markers

    @classmethod
    def from_config(cls, config) -> "StanceModel":
        """An unfitted model configured from the whole config (default: its ``train.<family>`` section)."""
        return cls(config.train.family(cls.family), config.examples)

    def prediction_paths(self) -> list[str]:
        """The arithmetic paths this model can predict through (``fp32``, ``bf16``, ``int8``); empty when
        it has only one. bench-model times and compares every path offered here."""
        return []

    def set_prediction_path(self, path: str) -> None:
        """Predict through `path`, one of :meth:`prediction_paths`."""
        raise ValueError(f"{self.family} has no prediction path {path!r}")

    def configured_prediction_path(self) -> str:
        """The path this model predicts through as configured, on this machine."""
        return "fp32"

    @abstractmethod
    def fit(self, train: pd.DataFrame, valid: pd.DataFrame, seed: int) -> FitReport:
        """Fit on the train examples; valid is for model selection only."""

    @abstractmethod
    def _predict_canonical(self, texts: Sequence[str]) -> np.ndarray:
        """Pair-class probabilities (n, 5) of canonical readings (source first)."""

    def predict_pair_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Pair-class probabilities, shape (n, 5), relative to each text's (source, target)."""
        canonical, swapped = canonicalize(list(texts), self.markers)
        proba = self._predict_canonical(canonical) if canonical else np.zeros((0, len(PAIR_CLASS_NAMES)))
        proba[swapped] = proba[swapped][:, SWAP_PAIR_CLASS]
        return proba

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Directed label probabilities, shape (n, 3), in LABELS order."""
        return directed_proba(self.predict_pair_proba(texts))

    @abstractmethod
    def _save_state(self, path: Path) -> dict[str, Any]:
        """Write the family's own files to `path`; return its settings."""

    @classmethod
    @abstractmethod
    def _load_state(cls, path: Path, settings: dict[str, Any], markers: ExamplesConfig) -> "StanceModel":
        """Rebuild a fitted model from what `_save_state` wrote."""

    def save(self, path: Path) -> None:
        """Save the model and its label maps into folder `path`."""
        path.mkdir(parents=True, exist_ok=True)
        settings = self._save_state(path)
        card = {
            "family": self.family,
            "markers": self.markers.model_dump(mode="json"),
            "label2id": LABEL2ID,
            "id2label": {str(k): v for k, v in ID2LABEL.items()},
            "pair_classes": list(PAIR_CLASS_NAMES),
            "settings": settings,
        }
        (path / MODEL_CARD).write_text(json.dumps(card, indent=2), encoding="utf-8")


def read_model_card(path: Path) -> dict[str, Any]:
    """The card of a saved model; checks that its label maps are this code's."""
    card_path = path / MODEL_CARD
    if not card_path.exists():
        raise FileNotFoundError(f"{card_path}: no saved stance model here")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    if card.get("label2id") != LABEL2ID or tuple(card.get("pair_classes", ())) != PAIR_CLASS_NAMES:
        raise ValueError(f"{card_path}: label maps {card.get('label2id')} differ from this code's {LABEL2ID}")
    return card
