"""bench-model: how good and how fast is each trained model of a config?

Run after `make train` (the `bench-model` Make target trains first, timing it).
For every family of ``train.models`` it loads the saved model, predicts every
directed pair of DSE's official test split through the fp32 path and the CPU
fast paths of transformers (bf16 autocast where the CPU has native bf16, and
int8 dynamic quantization; families without a fast path run once), and
reports: test macro- and micro-F1 (five classes) with bootstrap intervals for
the configured prediction path, training time, pairs per second on every path,
each fast path's label agreement with fp32, and peak memory. Results go to
``outputs/<config>/bench_model.json`` and to each family's MLflow run.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
from mlflow.tracking import MlflowClient

from pipeline.core.config import Config
from pipeline.core.labels import directed_proba
from pipeline.core.metrics import (
    bootstrap_interval,
    five_class_scores,
    macro_f1,
    micro_f1,
)
from pipeline.core.tables import read_table, write_text_atomic
from pipeline.corpora.fetch import corpus_sha256
from pipeline.models import load_model
from pipeline.models.base import canonicalize
from pipeline.tracking import runs as tracking


def machine() -> dict[str, Any]:
    """The CPU, core count and memory this ran on."""
    import torch

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        memory_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": cores, "memory_gb": memory_gb, "torch_threads": torch.get_num_threads(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "python": platform.python_version(), "torch": torch.__version__}


def _timed_predict(model, texts: list[str]) -> tuple[np.ndarray, float]:
    model.predict_pair_proba(texts[:64])  # warm-up (builds the int8 copy once)
    started = time.perf_counter()
    proba = model.predict_pair_proba(texts)
    return proba, time.perf_counter() - started


def bench_family(config: Config, family: str, test) -> dict[str, Any]:
    """Quality and speed of one saved family on the test split."""
    model_dir = config.outputs_dir / "models" / family
    run_info = json.loads((model_dir / "run.json").read_text(encoding="utf-8"))
    run = MlflowClient().get_run(run_info["run_id"])
    model = load_model(model_dir / "model")
    texts = test["text"].tolist()
    canonical = (test["direction"] == "pq").to_numpy()
    y_true = test.loc[canonical, "dse_label"].to_numpy()
    unique_texts = len(set(model_text for model_text in _canonical_texts(model, texts)))

    # Each family declares its own paths (bf16 only where native: emulated bf16 is slower than fp32).
    configured = model.configured_prediction_path()
    paths = model.prediction_paths() or ["fp32"]
    proba, seconds = {}, {}
    for path in paths:
        if model.prediction_paths():
            model.set_prediction_path(path)
        proba[path], seconds[path] = _timed_predict(model, texts)
    if model.prediction_paths():
        model.set_prediction_path(configured)
    chosen = proba[configured]

    y_pred = chosen[canonical].argmax(axis=1)
    scores = five_class_scores(y_true, chosen[canonical])
    samples, confidence, seed = config.evaluate.bootstrap_samples, config.evaluate.confidence, config.train.seed
    macro_ci = bootstrap_interval(y_true, y_pred, macro_f1, samples, confidence, seed)
    micro_ci = bootstrap_interval(y_true, y_pred, micro_f1, samples, confidence, seed)
    per_path = {}
    for path in proba:
        path_scores = five_class_scores(y_true, proba[path][canonical])
        per_path[path] = {
            "pairs_per_s": len(texts) / seconds[path], "texts_per_s": unique_texts / seconds[path],
            "test_macro_f1": path_scores["macro_f1"], "test_micro_f1": path_scores["micro_f1"],
            "label_agreement_with_fp32": float(
                (directed_proba(proba[path]).argmax(axis=1) == directed_proba(proba["fp32"]).argmax(axis=1)).mean()),
            "five_class_agreement_with_fp32": float(
                (proba[path][canonical].argmax(axis=1) == proba["fp32"][canonical].argmax(axis=1)).mean()),
        }
    params, metrics = run.data.params, run.data.metrics
    return {
        "family": family, "run_id": run_info["run_id"], "predict_path": configured,
        "valid_macro_f1": metrics.get("valid_macro_f1"), "valid_micro_f1": metrics.get("valid_micro_f1"),
        "test_macro_f1": scores["macro_f1"], "test_macro_f1_ci": list(macro_ci),
        "test_micro_f1": scores["micro_f1"], "test_micro_f1_ci": list(micro_ci),
        "train_seconds": metrics.get("train_seconds"),
        "train_peak_rss_mb": float(params["chosen.peak_rss_mb"]) if "chosen.peak_rss_mb" in params else None,
        "test_pairs": len(texts), "test_unique_texts": unique_texts,
        "paths": per_path,
    }


def _canonical_texts(model, texts: list[str]) -> list[str]:

    return canonicalize(texts, model.markers)[0]


def _fmt(value, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def run(config: Config) -> None:
    """Stage runner: bench every trained family of the config on the test split."""
    tracking.use_experiment(config)
    test = read_table(config.tables_dir / "examples_test.parquet", "examples")
    wall = os.environ.get("BENCH_TRAIN_WALL_S")
    results = []
    for family in config.train.models:
        result = bench_family(config, family, test)
        results.append(result)
        with mlflow.start_run(run_id=result["run_id"]):
            mlflow.log_metrics({f"bench_{path}_{k}": float(v) for path, figures in result["paths"].items()
                                for k, v in figures.items()})
    summary = {
        "config": config.name, "machine": machine(), "dse_sha256": corpus_sha256(config.corpora.dse),
        "make_train_wall_s": float(wall) if wall else None,
        "train_seconds_total": sum(r["train_seconds"] or 0.0 for r in results),
        "bench_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "families": results,
    }
    write_text_atomic(config.outputs_dir / "bench_model.json", json.dumps(summary, indent=2))

    level = int(round(config.evaluate.confidence * 100))
    print(f"\nbench-model {config.name} on {summary['machine']['cpu']} ({summary['machine']['cores']} cores"
          f"{', GPU ' + summary['machine']['gpu'] if summary['machine']['gpu'] else ''}); "
          f"DSE sha256 {summary['dse_sha256'][:16]}…")
    header = (f"{'family':<12} {'path':>5} {'valid macro':>11} {'test macro-F1 [' + str(level) + '% CI]':>27} "
              f"{'test micro-F1 [' + str(level) + '% CI]':>27} {'train s':>8} {'pairs/s':>8} "
              f"{'= fp32 labels':>13}")
    print(header)
    for r in results:
        path = r["paths"][r["predict_path"]]
        print(f"{r['family']:<12} {r['predict_path']:>5} {_fmt(r['valid_macro_f1']):>11} "
              f"{_fmt(r['test_macro_f1']) + ' [' + _fmt(r['test_macro_f1_ci'][0]) + ', ' + _fmt(r['test_macro_f1_ci'][1]) + ']':>27} "
              f"{_fmt(r['test_micro_f1']) + ' [' + _fmt(r['test_micro_f1_ci'][0]) + ', ' + _fmt(r['test_micro_f1_ci'][1]) + ']':>27} "
              f"{_fmt(r['train_seconds'], 0):>8} {path['pairs_per_s']:>8.1f} {path['label_agreement_with_fp32']:>13.4f}")
        for name, other in r["paths"].items():
            if name != r["predict_path"]:
                print(f"{'':<12} {name:>5} {'':>11} {_fmt(other['test_macro_f1']):>27} {_fmt(other['test_micro_f1']):>27} "
                      f"{'':>8} {other['pairs_per_s']:>8.1f} {other['label_agreement_with_fp32']:>13.4f}")
    print(f"pairs/s counts directed pairs of the test split ({results[0]['test_pairs']}); both directions of a "
          f"sentence share one canonical text ({results[0]['test_unique_texts']}; a transformer with "
          f"readings: both also reads each one swapped).")
    print(f"training: {summary['train_seconds_total']:.0f} s over all families"
          + (f"; make train wall {summary['make_train_wall_s']:.0f} s" if wall else "")
          + f"; peak memory: bench {summary['bench_peak_rss_mb']:.0f} MB"
          + "".join(f", {r['family']} training {r['train_peak_rss_mb']:.0f} MB"
                    for r in results if r["train_peak_rss_mb"]))
    print(f"written: {config.outputs_dir / 'bench_model.json'}")
