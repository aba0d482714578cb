"""The Makefile DAG is honest and narrow: what reruns when one thing changes.

Each check runs make over a copy of the smoke run's make state with
``RUN="echo would-run"``: the config snapshots and the plan are computed for
real (in the copy), and every stage make decides to run prints its command
instead of running, so the shared smoke outputs stay as they are. (``make -n``
cannot do this: it takes every remade snapshot for new.) As the echoed stage
writes nothing, make plans the first stage that must rerun and stops the chain
there; that its outputs then rerun their dependants is plain make.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from pipeline.core.config import REPO_ROOT, load_config
from pipeline.models.base import MODEL_CARD
from pipeline.stages.plan import plan_text


def dry_run(smoke_run, tmp_path, goal: str, extra: list[str], state=None, engine: str = "") -> list[str]:
    """The pipeline commands `make GOAL` would run with the smoke overrides plus `extra` (and `ENGINE=engine`)."""
    if state is None:
        state = tmp_path / "state"
        shutil.copytree(smoke_run["root"] / "state", state, symlinks=True)
    command = ["make", "--no-print-directory", goal, "RUN=echo would-run", "CONFIG=smoke", f"STATE={state}",
               f"ENGINE={engine}", f"ARGS={' '.join([*smoke_run['overrides'], *extra])}"]
    done = subprocess.run(command, cwd=REPO_ROOT, env=smoke_run["env"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [line for line in done.stdout.splitlines() if line.startswith("would-run ")]


def stages(commands: list[str]) -> list[str]:
    """'train --family tfidf' and the like, from full command lines."""
    return [re.match(r"would-run (\S+(?: --family \S+)?)", c).group(1) for c in commands]


def test_nothing_reruns_when_nothing_changed(smoke_run, tmp_path):
    assert stages(dry_run(smoke_run, tmp_path, "train", [])) == []


def test_one_familys_setting_retrains_that_family_alone(smoke_run, tmp_path):
    planned = stages(dry_run(smoke_run, tmp_path, "train", ["train.tfidf.c_grid=[2.0,4.0]"]))
    assert planned == ["train --family tfidf"]  # not majority, not the tables below


def test_a_presentation_setting_retrains_nothing(smoke_run, tmp_path):
    assert stages(dry_run(smoke_run, tmp_path, "train", ["mlflow.ui_port=5999"])) == []


def test_a_deleted_table_is_noticed_and_rebuilt(smoke_run, tmp_path):
    table = smoke_run["config"].tables_dir / "examples_valid.parquet"
    kept = tmp_path / "kept.parquet"
    shutil.copy2(table, kept)
    table.unlink()
    try:
        planned = stages(dry_run(smoke_run, tmp_path, "train", []))
    finally:
        shutil.copy2(kept, table)  # same bytes and modification time: the smoke state stays as it was
    assert planned[0] == "examples" and "train --family tfidf" in planned  # the table is still missing


def test_eval_e2e_waits_for_the_models(smoke_run, tmp_path):
    """From a state with no trained models, eval-e2e trains and crowns them first."""
    fresh = [f"paths.outputs_dir={tmp_path / 'outputs'}"]
    planned = stages(dry_run(smoke_run, tmp_path, "eval-e2e", fresh, state=tmp_path / "fresh-state"))
    assert planned.index("train --family majority") < planned.index("champion") < planned.index("eval-e2e")


def test_bench_e2e_speed_waits_for_the_models(smoke_run, tmp_path):
    """Like eval-e2e: from a state with no trained models, the speed bench trains and crowns them first."""
    fresh = [f"paths.outputs_dir={tmp_path / 'outputs'}"]
    planned = stages(dry_run(smoke_run, tmp_path, "bench-e2e-speed", fresh, state=tmp_path / "fresh-state"))
    assert planned.index("champion") < planned.index("bench-e2e-speed") == len(planned) - 1


def test_predict_twice_parses_once(smoke_predict, smoke_run):
    """The front half's tables are make targets: a second `make predict` runs predict alone."""
    overrides = [*smoke_run["overrides"], "predict.progress=false"]
    command = ["make", "--no-print-directory", "predict", "CONFIG=smoke", f"STATE={smoke_run['root'] / 'state'}",
               f"ARGS={' '.join(overrides)}"]
    done = subprocess.run(command, cwd=REPO_ROOT, env=smoke_run["env"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "pipeline articles,claims " in smoke_predict["stdout"] and "pipeline actors,pairs " in smoke_predict["stdout"]
    for stages_ in ("articles,claims", "actors,pairs"):
        assert f"pipeline {stages_} " not in done.stdout, f"{stages_} reran with nothing changed"
    assert "pipeline predict " in done.stdout and "pairs.parquet' is up to date" in done.stdout


def test_a_raw_file_changed_after_fetch_reruns_ingest(smoke_run, tmp_path):
    """make notices the change; ingest then checks the file against the manifest (and refuses it)."""
    raw = sorted((smoke_run["config"].raw_dir / "dse").iterdir())[0]
    kept = raw.stat()
    os.utime(raw)  # as if edited now
    try:
        planned = stages(dry_run(smoke_run, tmp_path, "train", []))
    finally:
        os.utime(raw, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    assert planned[0] == "ingest"


def test_predict_on_ray_runs_no_front_half_stage(smoke_run, tmp_path):
    """ENGINE=ray reads the input files itself: make runs predict alone, though no corpus table exists. The
    local engine runs predict with a sub-make of the front half's tables alongside its model load."""
    unbuilt = ["articles.tables_subdir=never-built"]
    ray = dry_run(smoke_run, tmp_path, "predict", unbuilt, state=tmp_path / "ray", engine="ray")
    assert stages(ray) == ["predict"] and "--alongside" not in ray[0]
    local = dry_run(smoke_run, tmp_path, "predict", unbuilt, state=tmp_path / "local")
    # The echo standing in for the stage drops the recipe's quotes around the sub-make.
    assert stages(local) == ["predict"] and re.search(r"--alongside \S*make .*never-built/pairs\.parquet", local[0])
    assert stages(dry_run(smoke_run, tmp_path, "pairs", unbuilt, state=tmp_path / "local")) == [
        "articles,claims", "actors,pairs"]


def test_a_distilled_family_depends_on_its_teacher(tmp_path):
    """The teacher's model card is a prerequisite of the student: a retrained teacher retrains it."""
    teacher = tmp_path / "teacher"
    config = load_config("smoke", ["train.models=[majority,tfidf,transformer]", f"train.transformer.teacher={teacher}"])
    lines = plan_text(config).splitlines()
    assert f"$(OUTPUTS_DIR)/models/transformer/run.json: {teacher / MODEL_CARD}" in lines
    assert not any("teacher" in line for line in plan_text(load_config("smoke")).splitlines())


def test_a_teacher_path_make_cannot_name_is_refused(tmp_path):
    config = load_config("smoke", ["train.models=[majority,tfidf,transformer]",
                                   f"train.transformer.teacher={tmp_path / 'my teacher'}"])
    with pytest.raises(ValueError, match="make cannot name this path"):
        plan_text(config)


def test_a_missing_teacher_stops_make_before_any_training_of_its_student(smoke_run, tmp_path):
    """The teacher belongs to another config's run: make says how to train it and trains nothing."""
    teacher = tmp_path / "teacher"
    overrides = [*smoke_run["overrides"], "train.models=[majority,tfidf,transformer]",
                 f"train.transformer.teacher={teacher}", f"paths.outputs_dir={tmp_path / 'outputs'}"]
    state = tmp_path / "state"
    shutil.copytree(smoke_run["root"] / "state", state, symlinks=True)
    command = ["make", "--no-print-directory", "train", "RUN=echo would-run", "CONFIG=smoke", f"STATE={state}",
               f"ARGS={' '.join(overrides)}"]
    done = subprocess.run(command, cwd=REPO_ROOT, env=smoke_run["env"], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert f"{teacher / MODEL_CARD}: no saved stance model for train.transformer.teacher" in done.stderr
    assert "would-run train --family transformer" not in done.stdout
