"""The run plan make reads: which families train, where the tables are, what the input is.

``python -m pipeline config`` writes, beside the config snapshots, a small
makefile (``plan.mk``) and a snapshot of the user input (``input.json``).
The Makefile includes the plan, so its targets are the real output files
(a deleted table is noticed and rebuilt), each family trains under its own
target, and a family that builds on others (the hybrid) trains after them.
Both files are rewritten only when their content changes.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.core.config import CONFIG_DIR, REPO_ROOT, Config, write_if_changed
from pipeline.corpora.base import corpus_adapter, table_file
from pipeline.corpora.fetch import parse_manifest
from pipeline.frontend.articles import input_files
from pipeline.models.base import MODEL_CARD, missing_teacher_message, teacher_folder
from pipeline.models.registry import family_sources

PLAN_FILE = "plan.mk"
INPUT_FILE = "input.json"


def _relative(path: Path) -> str:
    """A path as make should see it: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def family_order(config: Config) -> dict[str, list[str]]:
    """Each configured family and the configured families it builds on (listed before it)."""
    models = list(config.train.models)
    return {family: [n for n in config.train.family(family).needs() if n in models[:index]]
            for index, family in enumerate(models)}


def raw_files(config: Config, name: str) -> list[str]:
    """The raw files of a corpus, from its manifest: ingest's inputs, so that one edited after fetch
    reruns ingest, which verifies it against the manifest and refuses it."""
    manifest = CONFIG_DIR / config.corpora.source(name).manifest
    return [_relative(config.raw_dir / name / entry.relpath)
            for entry in parse_manifest(manifest.read_text(encoding="utf-8"), str(manifest))]


def plan_text(config: Config) -> str:
    """The plan as makefile text (pure: a function of the config and the registered families)."""
    order = family_order(config)
    lines = ["# Written by `python -m pipeline config` from the resolved config. Do not edit.",
             f"FAMILIES := {' '.join(order)}",
             f"RAW_DIR := {_relative(config.raw_dir)}",
             f"TABLES_DIR := {_relative(config.tables_dir)}",
             f"CORPUS_DIR := {_relative(config.corpus_dir)}",
             f"OUTPUTS_DIR := {_relative(config.outputs_dir)}",
             f"PREDICT_ENGINE := {config.predict.engine}"]
    corpora = list(config.corpora.sources())
    lines.append(f"CORPORA := {' '.join(corpora)}")
    for name in corpora:
        tables = " ".join(_relative(table_file(config.tables_dir, name, table)) for table in corpus_adapter(name).tables)
        lines.append(f"CORPUS_TABLES_{name} := {tables}")
        lines.append(f"CORPUS_RAW_{name} := {' '.join(raw_files(config, name))}")
    for family in order:
        sources = " ".join(_relative(path) for path in family_sources(family))
        lines.append(f"FAMILY_SOURCES_{family} := {sources}")
    for family, needs in order.items():
        if needs:
            prerequisites = " ".join(f"$(OUTPUTS_DIR)/models/{n}/run.json" for n in needs)
            lines.append(f"$(OUTPUTS_DIR)/models/{family}/run.json: {prerequisites}")
    for family in order:
        lines.extend(teacher_rules(config, family))
    return "\n".join(lines) + "\n"


def teacher_rules(config: Config, family: str) -> list[str]:
    """Make rules for a family distilled from a saved model (``train.<family>.teacher``): the
    teacher's model card is a prerequisite, so a retrained teacher retrains the student. The teacher
    belongs to another config's run, which this make cannot build: a missing one stops make with
    the command that trains it."""
    teacher = getattr(config.train.family(family), "teacher", None)
    if teacher is None:
        return []
    card = _relative(teacher_folder(teacher) / MODEL_CARD)
    if any(char in card for char in " \t'$:#%\\"):
        raise ValueError(f"train.{family}.teacher={teacher!r}: make cannot name this path as a prerequisite; "
                         "use a path without spaces, quotes or any of $ : # % \\")
    message = missing_teacher_message(card, family)
    return [f"$(OUTPUTS_DIR)/models/{family}/run.json: {card}",
            f"{card}:",
            f"\t@echo '{message}' >&2; exit 1"]


def _size_and_time(path: Path) -> list[int]:
    """A file's size and modification time; [-1, -1] for one that cannot be stat'ed (a broken link)."""
    try:
        stat = path.stat()
    except OSError:
        return [-1, -1]
    return [stat.st_size, stat.st_mtime_ns]


def input_snapshot(config: Config) -> dict:
    """What the front half reads: the input path and each file's size and modification time.

    Cheap (no file is read), and it changes when a file is added, removed or edited.
    """
    source = config.input_path
    files = input_files(source) if source.exists() else []
    stats = [[_relative(path), *_size_and_time(path)] for path in files]
    return {"input": str(source), "exists": source.exists(), "files": stats}


def write_plan(config: Config, out: Path) -> list[str]:
    """Write ``plan.mk`` and ``input.json`` under `out`; returns the names of those that changed."""
    changed = []
    if write_if_changed(out / PLAN_FILE, plan_text(config)):
        changed.append(PLAN_FILE)
    if write_if_changed(out / INPUT_FILE, json.dumps(input_snapshot(config), indent=1) + "\n"):
        changed.append(INPUT_FILE)
    return changed
