"""Discovery of the modules that register themselves (model families, gold corpus adapters)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable


def import_all(package: str, path: Iterable[str]) -> list[str]:
    """Import every module and subpackage directly inside `package` (its ``__path__``), so that
    each registers what it defines; returns their names. A new module needs no import line."""
    names = sorted(info.name for info in pkgutil.iter_modules(list(path)) if not info.name.startswith("_"))
    for name in names:
        importlib.import_module(f"{package}.{name}")
    return names
