"""predict: the champion's stance on every pair of a user corpus, the pair aggregates and the actor network.

The thin runner of :mod:`pipeline.stances.predict`: it loads the model once
from the registry, streams the front half's pairs table through it, writes
the tables, the summary and the networks under ``outputs/<config>/predict/``.
"""

from __future__ import annotations

import json
import resource
import time

from pipeline.core.config import Config
from pipeline.core.decision import DecisionRule
from pipeline.core.labels import HOSTILE, SUPPORTIVE
from pipeline.core.tables import staged_outputs, write_text_atomic
from pipeline.stances.network import ACTOR, AFFILIATION, summary_lines
from pipeline.stances.predict import predict_corpus, write_networks
from pipeline.tracking.registry import load_stance_model


def run(config: Config) -> None:
    """Stage runner: pairs of the user corpus -> stances, aggregates and networks under outputs/."""
    began = time.perf_counter()
    tables = config.corpus_dir
    out = config.outputs_dir / config.predict.output_subdir
    model, provenance = load_stance_model(config)
    loaded = time.perf_counter()
    settings = config.predict
    with staged_outputs(out) as staging:  # all of the output set, or the previous one untouched
        result = predict_corpus(model, tables, staging, settings.batch_size, settings.progress,
                                DecisionRule.from_json(provenance.get("decision_rule")))
        drawn = write_networks(result["pairs"], staging, list(settings.network_labels), settings.network_min_count,
                               settings.network_max_edges)
        seconds = time.perf_counter() - began
        counts = result["counts"]
        summary = {**provenance, "input": config.articles.input, "tables": str(tables), **counts,
                   "edges_drawn": drawn, "seconds": round(seconds, 2),
                   "model_load_seconds": round(loaded - began, 2),
                   "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
        write_text_atomic(staging / "predict_summary.json", json.dumps(summary, indent=2) + "\n")
    version = f" (version {provenance['model_version']}, {provenance.get('model_family')})" if "model_version" in provenance else ""
    print(f"predict: {provenance['model_uri']}{version}: {counts['n_pairs']} pairs of {counts['n_claims']} claims in "
          f"{counts['n_articles']} articles (with pairs {counts['n_articles_with_pairs']}, without "
          f"{counts['n_articles'] - counts['n_articles_with_pairs']}): supportive {counts['n_supportive']}, "
          f"hostile {counts['n_hostile']}, neutral {counts['n_neutral']}; {counts['n_actor_pairs']} actor pairs, "
          f"{counts['n_affiliation_pairs']} affiliation pairs; {seconds:.1f}s, peak RSS {summary['peak_rss_mb']:.0f} MB "
          f"-> {out}")
    pairs = result["pairs"]
    for level in (ACTOR, AFFILIATION):
        at_level = pairs[pairs["level"] == level]
        n_stanced = int(((at_level["n_supportive"] + at_level["n_hostile"]) > 0).sum())
        lines = summary_lines(pairs, level, (SUPPORTIVE, HOSTILE), limit=20)
        print(f"non-neutral {level} pairs: {n_stanced}{' (the 20 with most claims)' if n_stanced > 20 else ''}")
        for line in lines:
            print(line)

