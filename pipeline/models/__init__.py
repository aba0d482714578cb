"""Stance model families, by the name configs use."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Config, ExamplesConfig
from pipeline.models.base import FitReport, StanceModel, read_model_card
from pipeline.models.majority import MajorityModel
from pipeline.models.hybrid import HybridModel
from pipeline.models.tfidf import TfidfModel
from pipeline.models.transformer import TransformerModel

FAMILIES: dict[str, type[StanceModel]] = {
    MajorityModel.family: MajorityModel,
    TfidfModel.family: TfidfModel,
    TransformerModel.family: TransformerModel,
    HybridModel.family: HybridModel,
}


def build_model(family: str, config: Config) -> StanceModel:
    """An unfitted model of `family`, configured from `config`."""
    if family == "majority":
        return MajorityModel(config.examples)
    if family == "tfidf":
        return TfidfModel(config.train.tfidf, config.examples)
    if family == "transformer":
        return TransformerModel(config.train.transformer, config.examples, config.encoders_dir)
    if family == "hybrid":
        return HybridModel(config.train.hybrid, config.examples, config)
    raise ValueError(f"unknown model family {family!r}; known: {sorted(FAMILIES)}")


def load_model(path: Path) -> StanceModel:
    """Load a saved model of any family from its folder."""
    card = read_model_card(path)
    family = card["family"]
    if family not in FAMILIES:
        raise ValueError(f"{path}: unknown model family {family!r}")
    return FAMILIES[family]._load_state(path, card["settings"], ExamplesConfig(**card["markers"]))


__all__ = ["FAMILIES", "FitReport", "StanceModel", "build_model", "load_model"]
