"""Stance model families. Importing this package registers the shipped ones.

Each family is one module that registers itself (:func:`pipeline.models.registry.register`)
with its settings class next to it; :mod:`pipeline.models.registry` builds and
loads models by family name.
"""

from __future__ import annotations

from pipeline.models import hybrid, majority, tfidf, transformer  # noqa: F401  (registration)
from pipeline.models.base import FitReport, StanceModel
from pipeline.models.registry import build_model, families, load_model, register

__all__ = ["FitReport", "StanceModel", "build_model", "families", "load_model", "register"]
