"""The registry of stance model families: a family registers itself, with its settings class.

A new family is one module that defines a :class:`~pipeline.models.base.StanceModel`
subclass and decorates it with :func:`register`::

    class TinySettings(FamilySettings):
        alpha: float = 1.0

    @register("tiny", TinySettings)
    class TinyModel(StanceModel):
        ...

Registering also declares the family's config section (``train.tiny``), so
``train.models: [tiny]`` and ``train.tiny.alpha=2`` validate when the config
loads, and the train, evaluate and bench-model stages take it with no edit.
The shipped families are imported by :mod:`pipeline.models`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable, TypeVar

from pipeline.core.config import (
    ExamplesConfig,
    register_family_settings,
    registered_families,
)
from pipeline.models.base import StanceModel, read_model_card

_MODELS: dict[str, type[StanceModel]] = {}
# Families declared by the import path of their model class, loaded on first use (heavy ones: torch).
_LAZY: dict[str, str] = {}
# Family name -> the module that registered it (its code: a module, or a package with its modules).
_SOURCES: dict[str, str] = {}

M = TypeVar("M", bound=type[StanceModel])


def register(name: str, settings: type | None = None) -> Callable[[M], M]:
    """Class decorator: make `name` a model family whose config section is validated by `settings`."""
    def decorate(cls: M) -> M:
        cls.family = name
        _MODELS[name] = cls
        _SOURCES[name] = cls.__module__
        register_family_settings(name, settings)
        return cls

    return decorate


def declare(name: str, settings: type | None, implementation: str) -> None:
    """Register family `name` whose model class is ``module:Class``, imported on first use.

    For families whose module is costly to import (torch): the config can be
    validated, and make can plan the run, without importing it.
    """
    _LAZY[name] = implementation
    _SOURCES[name] = implementation.partition(":")[0].rpartition(".")[0] if settings is None else settings.__module__
    register_family_settings(name, settings)


def model_class(family: str) -> type[StanceModel]:
    """The class of a registered family; a clear error names the known ones."""
    if family not in _MODELS and family in _LAZY:
        module, _, attribute = _LAZY[family].partition(":")
        cls = getattr(importlib.import_module(module), attribute)
        cls.family = family
        _MODELS[family] = cls
    if family not in _MODELS:
        raise ValueError(f"unknown model family {family!r}; registered: {families()}")
    return _MODELS[family]


def families() -> list[str]:
    """Names of the registered families, in registration order."""
    return [name for name in registered_families() if name in _MODELS or name in _LAZY]


def build_model(family: str, config) -> StanceModel:
    """An unfitted model of `family`, configured from the whole config."""
    return model_class(family).from_config(config)


def load_model(path: Path) -> StanceModel:
    """Load a saved model of any registered family from its folder."""
    card = read_model_card(path)
    return model_class(card["family"])._load_state(path, card["settings"], ExamplesConfig(**card["markers"]))


def family_sources(family: str) -> list[Path]:
    """The source files of a family: its module, or every module of its package."""
    module = importlib.import_module(_SOURCES[family]) if family in _SOURCES else None
    if module is None or module.__file__ is None:
        raise ValueError(f"unknown model family {family!r}; registered: {families()}")
    path = Path(module.__file__)
    return sorted(path.parent.glob("*.py")) if path.name == "__init__.py" else [path]
