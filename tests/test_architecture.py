"""The package keeps its shape: no import cycle, lower layers never import higher ones,
and no function-local import of the package (the layer rules are in tests/import_graph.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.core.config import REPO_ROOT

sys.path.insert(0, str(Path(__file__).parent))
from import_graph import Import, cycles, edges, graph, layer_violations  # noqa: E402

PACKAGE = REPO_ROOT / "pipeline"


def test_the_package_has_no_import_cycle():
    assert cycles(edges(graph(PACKAGE))) == []


def test_no_lower_layer_imports_a_higher_one():
    assert [f"{i.importer}:{i.line} -> {i.imported}" for i in layer_violations(graph(PACKAGE))] == []


def test_no_function_local_import_of_the_package():
    assert [f"{i.importer}:{i.line} -> {i.imported}" for i in graph(PACKAGE) if i.local] == []


def write_package(root: Path, modules: dict[str, str]) -> Path:
    """A throwaway package `pipeline` under root, from dotted name -> source."""
    for name, source in modules.items():
        path = root.joinpath(*name.split("."))
        path.mkdir(parents=True, exist_ok=True)
        (path / "__init__.py").write_text(source)
    return root / "pipeline"


def test_the_checks_find_a_cycle_an_upward_import_and_a_local_import(tmp_path):
    package = write_package(tmp_path, {
        "pipeline": "",
        "pipeline.core": "from pipeline.models import thing\n",  # core -> models: upward, and a cycle
        "pipeline.models": "from pipeline.core import other\n\ndef f():\n    import pipeline.frontend\n",
        "pipeline.frontend": "",
    })
    found = graph(package)
    assert cycles(edges(found)) == [["pipeline.core", "pipeline.models"]]
    assert [(i.importer, i.imported) for i in layer_violations(found)] == [
        ("pipeline.core", "pipeline.models"), ("pipeline.models", "pipeline.frontend")]
    assert [i for i in found if i.local] == [Import("pipeline.models", "pipeline.frontend", 4, True)]
