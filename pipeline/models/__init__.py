"""Stance model families.

Each family is one module (or a package) of this package that registers
itself with its settings class next to it (:func:`pipeline.models.registry.register`);
importing the package imports every module in it, so a new family needs no
import line. :mod:`pipeline.models.registry` builds and loads models by family name.
"""

from __future__ import annotations

from pipeline.core.plugins import import_all
from pipeline.models.base import FitReport, StanceModel
from pipeline.models.registry import build_model, families, load_model, register

import_all(__name__, __path__)

__all__ = ["FitReport", "StanceModel", "build_model", "families", "load_model", "register"]
