"""bench-scale (pipeline/bench/scale.py): the load corpus, the process tree it samples, the figures.

The whole benchmark on a tiny corpus (one Ray run in-process, the local engine) is marked `ray`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline.bench.scale import (
    MemorySampler,
    Setup,
    descendants,
    first_cores,
    is_worker,
    job_commands,
    load_records,
    run_sampled,
    setups,
    with_efficiency,
    write_corpus,
)
from pipeline.core.config import REPO_ROOT, load_config
from pipeline.frontend.articles import ingest_paths, input_files

FIELDS = {"id": "id", "title": "title", "outlet": "outlet", "text": "text"}


def _seesaw(n: int) -> pd.DataFrame:
    return pd.DataFrame({"article_id": [f"S{i}" for i in range(n)], "title": [f"T{i}" for i in range(n)],
                         "outlet": ["CNN"] * n, "text": [f"Text {i}. Obama praised Congress." for i in range(n)]})


def test_the_load_corpus_repeats_the_articles_in_order_under_new_ids():
    records = load_records(_seesaw(3), 7, FIELDS)
    assert [r["id"] for r in records] == [f"load-{n:06d}-S{n % 3}" for n in range(7)]
    assert [r["text"] for r in records][3] == "Text 0. Obama praised Congress."
    assert len({r["id"] for r in records}) == 7
    with pytest.raises(ValueError, match="make ingest"):
        load_records(_seesaw(0), 2, FIELDS)


def test_the_load_corpus_files_read_back_as_every_article(tmp_path, config):
    paths = write_corpus(load_records(_seesaw(5), 250, FIELDS), tmp_path / "corpus")
    assert [p.name for p in paths] == ["articles-00000.jsonl", "articles-00001.jsonl", "articles-00002.jsonl"]
    read = ingest_paths(input_files(tmp_path / "corpus"), config.articles)
    assert len(read.articles) == 250 and not read.rejects
    write_corpus(load_records(_seesaw(5), 10, FIELDS), tmp_path / "corpus")  # a smaller size replaces the files
    assert len(list((tmp_path / "corpus").glob("*.jsonl"))) == 1


def test_descendants_and_workers_of_a_process_tree():
    table = {10: (1, "python -m pipeline predict"), 11: (10, "/v/ray/core/src/ray/gcs/gcs_server --x"),
             12: (10, "/v/lib/ray/core/src/ray/raylet/raylet"), 13: (12, "ray::MapWorker(FrontHalfBatches)"),
             14: (12, "/v/bin/python /v/lib/ray/dashboard/agent.py"), 15: (12, "ray::DashboardAgent"),
             20: (1, "bash")}
    assert sorted(descendants(10, table)) == [11, 12, 13, 14, 15]
    assert [pid for pid in sorted(descendants(10, table)) if is_worker(table[pid][1])] == [13]
    assert is_worker("/work/.venv/bin/python3.11 -m pipeline claims --config default")  # spaCy's processes


def test_the_sampler_sees_a_child_and_its_memory():
    child = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(60 * 2**20); time.sleep(3)"])
    sampler = MemorySampler(os.getpid())
    try:
        deadline = time.monotonic() + 10
        while sampler.worker_mb < 50 and time.monotonic() < deadline:
            sampler.sample()
            time.sleep(0.2)
    finally:
        child.kill()
        child.wait()
    assert sampler.driver_mb > 0 and sampler.worker_mb >= 50


def test_each_engine_runs_the_whole_job_of_make_predict(config):
    found = setups(config, cores=2)
    assert [(s.engine, s.cpus) for s in found] == [("local", 1), ("local", 2), ("ray", 1), ("ray", 2)]
    assert [(s.engine, s.cpus) for s in setups(config, cores=1)] == [("local", 1), ("ray", 1)]
    local = job_commands(Path("/o/config.yaml"), Setup("local", 2), 50, Path("/c"))
    assert [c[3] for c in local] == ["articles,claims", "actors,pairs", "predict"]
    assert "articles.input=/c" in local[0] and "predict.engine=local" in local[-1]
    assert local[0][4:6] == ["--config", "/o/config.yaml"]
    ray = job_commands(Path("/o/config.yaml"), Setup("ray", 1), 50, Path("/c"))
    assert len(ray) == 1 and "predict.ray.num_cpus=1" in ray[0] and "predict.engine=ray" in ray[0]
    assert "predict.output_subdir=bench-scale/50-ray-1cpu" in ray[0]


def test_speedup_is_over_local_on_one_core_and_efficiency_per_cpu_over_the_fewest():
    rows = [{"engine": "local", "cpus": 1, "size": 10, "articles_per_s": 2.0},
            {"engine": "local", "cpus": 2, "size": 10, "articles_per_s": 3.0},
            {"engine": "ray", "cpus": 1, "size": 10, "articles_per_s": 1.0},
            {"engine": "ray", "cpus": 2, "size": 10, "articles_per_s": 1.6},
            {"engine": "ray", "cpus": 2, "size": 20, "articles_per_s": 1.6}]
    found = with_efficiency(rows)
    assert [r["scaling_efficiency"] for r in found] == [None, None, 1.0, 0.8, 1.0]
    assert [r["speedup_over_local_1cpu"] for r in found] == [1.0, 1.5, 0.5, 0.8, None]


def test_a_measurement_is_pinned_to_its_cores(tmp_path):
    with open(tmp_path / "log", "w") as log:
        run_sampled([sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"], dict(os.environ),
                    60, log, first_cores(1))
    assert (tmp_path / "log").read_text().strip() == str(sorted(first_cores(1)))


@pytest.mark.ray
def test_bench_scale_measures_both_engines_on_a_tiny_load_corpus(smoke_run):
    overrides = [*smoke_run["overrides"], "scale.sizes=[6]", "scale.local_cpus=[2]", "scale.ray_cpus=[2]"]
    done = subprocess.run([sys.executable, "-m", "pipeline", "bench-scale", "--config", "smoke", *overrides],
                          cwd=REPO_ROOT, env=smoke_run["env"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "repeated in order, each copy under a new id" in done.stdout
    config = load_config("smoke", overrides)
    report = json.loads((config.outputs_dir / "bench-scale" / "scale.json").read_text())
    assert [(r["engine"], r["cpus"], r["n_articles"]) for r in report["rows"]] == [("local", 2, 6), ("ray", 2, 6)]
    assert all(r["articles_per_s"] > 0 and r["driver_peak_mb"] > 0 for r in report["rows"])
    local, ray = report["rows"]
    assert local["n_pairs"] == ray["n_pairs"] and local["articles_in"] == ray["n_articles"] == 6
    assert ray["same_as"] == "local-2cpu" and ray["stances_rows_differing"] is not None  # same rows, same columns
