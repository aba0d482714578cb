"""predict: the champion's stance on every pair of a user corpus, the pair aggregates and the actor network.

The thin runner of :mod:`pipeline.stances.predict` (``predict.engine: local``)
and :mod:`pipeline.stances.ray_engine` (``ray``). The local engine loads the
model once from the registry and streams the front half's pairs table
through it; the Ray engine runs the whole job, from the input files, on Ray
Data. Both write the same tables, the summary and the networks under
``outputs/<config>/predict/``, as one output set swapped in whole.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from pipeline.core.alongside import CommandAlongside
from pipeline.core.config import Config
from pipeline.core.decision import DecisionRule
from pipeline.core.labels import HOSTILE, SUPPORTIVE
from pipeline.core.tables import staged_outputs, write_text_atomic
from pipeline.frontend.articles import input_files
from pipeline.stances.network import ACTOR, AFFILIATION, summary_lines
from pipeline.stances.predict import predict_corpus, write_both, write_networks
from pipeline.stances.ray_engine import predict_on_ray
from pipeline.tracking.registry import load_stance_model, pinned_model_uri, stance_model_provenance


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def load_then_wait(config: Config, alongside: CommandAlongside | None) -> tuple[object, dict]:
    """The stance model and its provenance, loaded while `alongside` (make building the front half's
    tables, which the model needs only once it is loaded) runs; returns once that command has ended."""
    try:
        return load_stance_model(config)
    finally:
        if alongside is not None:
            alongside.wait()


def run(config: Config, alongside: CommandAlongside | None = None) -> None:
    """Stage runner: stances, aggregates and networks of the user corpus under outputs/, by the configured engine.

    `alongside` (local engine): a command started before this stage was imported, waited for once the
    model has loaded (see :func:`load_then_wait`)."""
    began = time.perf_counter()
    out = config.outputs_dir / config.predict.output_subdir
    settings = config.predict
    with staged_outputs(out) as staging:  # all of the output set, or the previous one untouched
        if settings.engine == "ray":
            provenance = stance_model_provenance(config)
            loaded = time.perf_counter()
            files = input_files(config.input_path)
            result = predict_on_ray(config, files, pinned_model_uri(provenance), provenance.get("decision_rule"),
                                    staging)
            write_both(result["rejects"], "rejects", staging / "rejects.parquet")
            extra = {"engine": "ray", "ray": result["ray"], "read_seconds": result["read_seconds"],
                     "dataset_seconds": result["dataset_seconds"], "tables_seconds": result["tables_seconds"],
                     "n_rejects": len(result["rejects"]), "articles_read": result["ingest"].summary()}
        else:
            model, provenance = load_then_wait(config, alongside)
            loaded = time.perf_counter()
            result = predict_corpus(model, config.corpus_dir, staging, settings.batch_size, settings.progress,
                                    DecisionRule.from_json(provenance.get("decision_rule")))
            extra = {"engine": "local", "tables": str(config.corpus_dir)}
        drawn = write_networks(result["pairs"], staging, list(settings.network_labels), settings.network_min_count,
                               settings.network_max_edges)
        seconds = time.perf_counter() - began
        counts = result["counts"]
        summary = {**provenance, "input": config.articles.input, **extra, **counts,
                   "edges_drawn": drawn, "seconds": round(seconds, 2),
                   "model_load_seconds": round(loaded - began, 2), "peak_rss_mb": peak_rss_mb()}
        write_text_atomic(staging / "predict_summary.json", json.dumps(summary, indent=2) + "\n")
    report(provenance, counts, result["pairs"], seconds, summary["peak_rss_mb"], out, settings.engine)


def report(provenance: dict, counts: dict, pairs, seconds: float, peak_mb: float, out: Path, engine: str) -> None:
    """Print what predict did: the model, the counts, the time, and the non-neutral pairs of both levels."""
    version = f" (version {provenance['model_version']}, {provenance.get('model_family')})" if "model_version" in provenance else ""
    engine_note = "" if engine == "local" else f" on {engine}"
    print(f"predict: {provenance['model_uri']}{version}{engine_note}: {counts['n_pairs']} pairs of {counts['n_claims']} claims in "
          f"{counts['n_articles']} articles (with pairs {counts['n_articles_with_pairs']}, without "
          f"{counts['n_articles'] - counts['n_articles_with_pairs']}): supportive {counts['n_supportive']}, "
          f"hostile {counts['n_hostile']}, neutral {counts['n_neutral']}; {counts['n_actor_pairs']} actor pairs, "
          f"{counts['n_affiliation_pairs']} affiliation pairs; {seconds:.1f}s, peak RSS {peak_mb:.0f} MB "
          f"-> {out}")
    print(f"article level (stance_article_pairs): {counts['n_article_pairs']} article pairs, supportive "
          f"{counts['n_article_supportive']}, hostile {counts['n_article_hostile']}")
    sys.stdout.flush()
    for level in (ACTOR, AFFILIATION):
        at_level = pairs[pairs["level"] == level]
        n_stanced = int(((at_level["n_supportive"] + at_level["n_hostile"]) > 0).sum())
        lines = summary_lines(pairs, level, (SUPPORTIVE, HOSTILE), limit=20)
        print(f"non-neutral {level} pairs: {n_stanced}{' (the 20 with most claims)' if n_stanced > 20 else ''}")
        for line in lines:
            print(line)
