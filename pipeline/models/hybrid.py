"""A calibrated blend of two families' pair-class probabilities (transformer + TF-IDF by default).

The blend (linear or log-linear), the weight of the first member and the
temperature of the second are chosen on valid macro-F1. Members fitted earlier
in the same `train` run (listed before ``hybrid`` in ``train.models``) are
reused from ``outputs/<config>/models/<family>/model``; otherwise the hybrid
fits its own. The saved folder holds a copy of each member, so it loads on
its own.
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from pipeline.core.config import (
    Config,
    ExamplesConfig,
    FamilySettings,
    non_empty_unique,
    registered_families,
)
from pipeline.core.metrics import five_class_scores
from pipeline.models.base import MODEL_CARD, FitReport, StanceModel, canonical_examples
from pipeline.models.registry import build_model, load_model, register

_EPS = 1e-9


class HybridConfig(FamilySettings):
    """A blend of members' pair-class probabilities, weight and temperature chosen on valid."""

    members: list[str] = Field(default=["transformer", "tfidf"], description="two registered families, fitted or reused")
    weight_grid: list[float] = Field(
        default=[0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
        description="weight of the first member (the second gets 1 - w)")
    temperature_grid: list[float] = Field(
        default=[0.5, 1.0, 2.0], description="temperature of the second member's log-probabilities")
    blend: list[Literal["linear", "log"]] = Field(
        default=["linear", "log"], description="probability (linear) or log-probability (log) blending; tried on valid")

    def needs(self) -> list[str]:
        return list(self.members)

    @field_validator("members")
    @classmethod
    def _two_known_members(cls, members: list[str]) -> list[str]:
        known = [name for name in registered_families() if name != "hybrid"]
        if len(members) != 2 or members[0] == members[1] or any(m not in known for m in members):
            raise ValueError(f"must name two different registered families other than hybrid {known}, got {members}")
        return members

    @field_validator("weight_grid", "temperature_grid", "blend")
    @classmethod
    def _non_empty(cls, values: list) -> list:
        return non_empty_unique(values)

    @field_validator("weight_grid")
    @classmethod
    def _weights_in_unit_interval(cls, weights: list[float]) -> list[float]:
        if any(not 0.0 <= w <= 1.0 for w in weights):
            raise ValueError(f"weights must lie in [0, 1], got {weights}")
        return weights

    @field_validator("temperature_grid")
    @classmethod
    def _positive_temperatures(cls, temperatures: list[float]) -> list[float]:
        if any(t <= 0 for t in temperatures):
            raise ValueError(f"temperatures must be positive, got {temperatures}")
        return temperatures


def blend(first: np.ndarray, second: np.ndarray, weight: float, temperature: float, kind: str) -> np.ndarray:
    """Blend two (n, 5) probability arrays; rows sum to one."""
    second = np.power(np.clip(second, _EPS, 1.0), 1.0 / temperature)
    second = second / second.sum(axis=1, keepdims=True)
    if kind == "linear":
        mixed = weight * first + (1.0 - weight) * second
    else:
        logits = weight * np.log(np.clip(first, _EPS, 1.0)) + (1.0 - weight) * np.log(second)
        mixed = np.exp(logits - logits.max(axis=1, keepdims=True))
    return mixed / mixed.sum(axis=1, keepdims=True)


@register("hybrid", HybridConfig)
class HybridModel(StanceModel):
    """Members' probabilities blended with settings chosen on valid."""

    def __init__(self, settings: HybridConfig, markers: ExamplesConfig, config: Config | None = None) -> None:
        super().__init__(markers)
        self.settings = settings
        self.config = config
        self.members: list[StanceModel] = []
        self.member_dirs: list[Path | None] = []
        self.choice: dict[str, Any] = {}

    @classmethod
    def from_config(cls, config: Config) -> "HybridModel":
        return cls(config.train.hybrid, config.examples, config)

    def prediction_paths(self) -> list[str]:
        """The paths every member with a fast path offers (none if no member has one)."""
        offered = [member.prediction_paths() for member in self.members if member.prediction_paths()]
        return [path for path in offered[0] if all(path in o for o in offered)] if offered else []

    def set_prediction_path(self, path: str) -> None:
        for member in self.members:
            if member.prediction_paths():
                member.set_prediction_path(path)

    def configured_prediction_path(self) -> str:
        paths = [m.configured_prediction_path() for m in self.members if m.prediction_paths()]
        return paths[0] if paths else "fp32"

    def _member(self, family: str, train: pd.DataFrame, valid: pd.DataFrame, seed: int) -> tuple[StanceModel, Path | None]:
        config = self.config
        if config is None:
            raise RuntimeError("a hybrid needs the run's config to find or fit its members")
        models = list(config.train.models)
        saved = config.outputs_dir / "models" / family / "model"
        if family in models and "hybrid" in models and models.index(family) < models.index("hybrid") \
                and (saved / MODEL_CARD).exists():
            print(f"hybrid: reusing the {family} model fitted in this run ({saved})", flush=True)
            return load_model(saved), saved
        print(f"hybrid: fitting its own {family} member", flush=True)
        member = build_model(family, config)
        member.fit(train, valid, seed)
        return member, None

    def fit(self, train: pd.DataFrame, valid: pd.DataFrame, seed: int) -> FitReport:
        self.members, self.member_dirs = [], []
        for family in self.settings.members:
            member, saved = self._member(family, train, valid, seed)
            self.members.append(member)
            self.member_dirs.append(saved)
        canonical = canonical_examples(valid)
        texts, gold = canonical["text"].tolist(), canonical["dse_label"].to_numpy()
        first, second = (m.predict_pair_proba(texts) for m in self.members)
        report = FitReport(params={"members": json.dumps(self.settings.members)})
        best = (-1.0, None)
        grid = itertools.product(self.settings.blend, self.settings.temperature_grid, self.settings.weight_grid)
        for step, (kind, temperature, weight) in enumerate(grid):
            scores = five_class_scores(gold, blend(first, second, weight, temperature, kind))
            report.history.append({"step": step, "search_weight": weight, "search_temperature": temperature,
                                   "search_log_blend": float(kind == "log"),
                                   "search_valid_macro_f1": scores["macro_f1"],
                                   "search_valid_micro_f1": scores["micro_f1"]})
            # Ties go to the first candidate met, so the grid order is the preference order.
            if scores["macro_f1"] > best[0] + 1e-12:
                best = (scores["macro_f1"], {"blend": kind, "temperature": temperature, "weight": weight})
        self.choice = best[1]
        report.params.update(self.choice)
        return report

    def _predict_canonical(self, texts: Sequence[str]) -> np.ndarray:
        if not self.members:
            raise RuntimeError("model is not fitted")
        first, second = (m._predict_canonical(texts) for m in self.members)
        return blend(first, second, self.choice["weight"], self.choice["temperature"], self.choice["blend"])

    def _save_state(self, path: Path) -> dict[str, Any]:
        for index, (member, saved) in enumerate(zip(self.members, self.member_dirs)):
            target = path / f"member-{index}-{member.family}"
            if target.exists():
                shutil.rmtree(target)
            if saved is not None:
                shutil.copytree(saved, target)
            else:
                member.save(target)
        return {"hybrid": self.settings.model_dump(mode="json"), "choice": self.choice,
                "members": [f"member-{i}-{m.family}" for i, m in enumerate(self.members)]}

    @classmethod
    def _load_state(cls, path: Path, settings: dict[str, Any], markers: ExamplesConfig) -> "HybridModel":
        model = cls(HybridConfig(**settings["hybrid"]), markers)
        model.choice = dict(settings["choice"])
        model.members = [load_model(path / name) for name in settings["members"]]
        model.member_dirs = [path / name for name in settings["members"]]
        return model
