"""core.plugins: every module of a package is imported, so a module that registers itself needs no import line."""

from __future__ import annotations

import sys

from pipeline.core.plugins import import_all


def test_every_module_and_subpackage_is_imported_and_private_ones_are_not(tmp_path, monkeypatch):
    package = tmp_path / "shelf"
    (package / "nested").mkdir(parents=True)
    (package / "__init__.py").write_text("FOUND = []\n")
    (package / "alpha.py").write_text("from shelf import FOUND\nFOUND.append('alpha')\n")
    (package / "nested" / "__init__.py").write_text("from shelf import FOUND\nFOUND.append('nested')\n")
    (package / "_private.py").write_text("raise RuntimeError('never imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import shelf

    try:
        assert import_all("shelf", shelf.__path__) == ["alpha", "nested"]
        assert sorted(shelf.FOUND) == ["alpha", "nested"]
    finally:
        for name in [n for n in sys.modules if n == "shelf" or n.startswith("shelf.")]:
            del sys.modules[name]
