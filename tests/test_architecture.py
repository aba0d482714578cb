"""The package keeps its shape: no import cycle, lower layers never import higher ones,
and no function-local import of the package (the layer rules are in tests/import_graph.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipeline.core.config import REPO_ROOT

sys.path.insert(0, str(Path(__file__).parent))
from import_graph import Import, cycles, edges, graph, layer_violations, restricted_imports  # noqa: E402

PACKAGE = REPO_ROOT / "pipeline"


def test_the_package_has_no_import_cycle():
    assert cycles(edges(graph(PACKAGE))) == []


def test_no_lower_layer_imports_a_higher_one():
    assert [f"{i.importer}:{i.line} -> {i.imported}" for i in layer_violations(graph(PACKAGE))] == []


def test_no_function_local_import_of_the_package():
    assert [f"{i.importer}:{i.line} -> {i.imported}" for i in graph(PACKAGE) if i.local] == []


def test_ray_is_imported_only_inside_the_ray_engine_functions():
    assert restricted_imports(PACKAGE) == []


def test_the_local_engine_never_loads_ray():
    """Importing the command line and the stages of make predict's local path leaves Ray unloaded."""
    code = ("import sys, pipeline.__main__, pipeline.stages.frontend, pipeline.stages.predict\n"
            "print(sorted(n for n in sys.modules if n == 'ray' or n.startswith('ray.')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


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


def test_the_check_finds_ray_outside_its_engine_and_at_the_top_of_it(tmp_path):
    package = write_package(tmp_path, {
        "pipeline": "",
        "pipeline.stances": "",
        "pipeline.stances.ray_engine": "import ray\n\ndef f():\n    import ray.data\n",
        "pipeline.stages": "def g():\n    import ray\n",
    })
    assert restricted_imports(package) == ["pipeline.stages:2 imports ray", "pipeline.stances.ray_engine:1 imports ray at the top"]
