"""bench-e2e-speed: how many SEESAW valid articles per second, end to end, and at what F1.

The front half runs once over the valid articles (their gold sentences as
claims, as in eval-e2e: :func:`pipeline.bench.e2e.article_candidates`). Then
for every model of ``speed.models`` (``champion``: the model make predict
serves; or a registered version ``models:/<name>/<version>``), loaded once,
and every prediction path of ``speed.paths`` it offers (``[]``: its
configured path only), the bench

1. labels every candidate pair in batches of ``e2e.batch_size`` and applies
   the model's decision rule (:func:`pipeline.stances.predict.decide_in_articles`): "the
   model" (after a warm-up of ``speed.warmup_texts`` texts, not counted; the
   load is reported apart);
2. builds the stance tables from the labels with predict's own functions
   (:class:`pipeline.stances.predict.StanceTally` for ``stance_pairs`` and ``stance_article_pairs``,
   :func:`pipeline.stances.predict.article_rows` for ``stance_articles``):
   "the tables";
3. scores the triplets against SEESAW's gold as eval-e2e does
   (:func:`pipeline.bench.e2e.score`; not timed).

Figures per model and path: articles/s end to end (articles over front half
+ model + tables seconds), texts read per article, candidate pairs per
article, the model's texts/s and pairs/s, its GFLOP/s and their share of the
CPU's ceiling, the share of its labels equal to the fp32 path's (where fp32
is measured too), and eval-e2e's entity strict, entity lenient and author
lenient F1. A transformer (or a hybrid's transformer member) counts the
encoder rows it reads (``read_counts``; with ``one_pass`` one per distinct
claim text, else one per pair); for other families the texts are the
candidate texts and there is no FLOP figure.

FLOPs are the encoder's forward matmuls (:func:`encoder_flops`); the ceiling
is a timed square matmul in the path's arithmetic (:func:`matmul_ceiling`)
with torch's thread count. Results: a table on stdout,
``outputs/<config>/speed/bench_e2e_speed.json`` and one MLflow run per model
and path in experiment ``speed.experiment``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import mlflow
import numpy as np
import pandas as pd

from pipeline.bench.e2e import (
    Candidates,
    NameMatcher,
    article_candidates,
    gold_triplets,
    label_candidates,
    limit_articles,
    predicted_triplets,
    score,
)
from pipeline.bench.frontend import load_seesaw
from pipeline.bench.model import machine
from pipeline.core.config import Config
from pipeline.core.decision import DecisionRule
from pipeline.core.labels import NEUTRAL
from pipeline.core.progress import progress
from pipeline.core.tables import write_text_atomic
from pipeline.frontend.runner import FrontHalf
from pipeline.stances.predict import StanceTally, article_rows, decide_in_articles, label_texts
from pipeline.tracking.registry import load_stance_model
from pipeline.tracking.runs import git_commit, use_experiment

#: eval-e2e's F1s reported next to every speed figure.
F1_KEYS = ("entity_strict_f1", "entity_lenient_f1", "author_lenient_f1")
CHAMPION = "champion"


# ------------------------------------------------------------- the model ---

def model_config(config: Config, reference: str) -> Config:
    """The config whose served model is `reference`: ``champion`` is the config as it is (the model
    make predict serves), a ``models:/`` URI replaces ``predict.model_uri``."""
    if reference == CHAMPION:
        return config
    return config.model_copy(update={"predict": config.predict.model_copy(update={"model_uri": reference})})


def stance_model(pyfunc: Any) -> Any | None:
    """The stance model inside a loaded pyfunc (``unwrap_python_model().model``), or None."""
    unwrap = getattr(pyfunc, "unwrap_python_model", None)
    return getattr(unwrap(), "model", None) if callable(unwrap) else None


def counted_model(model: Any | None) -> Any | None:
    """The model whose ``read_counts`` count the encoder's reads: the model itself, or the first member
    of a hybrid that has them; None when nothing counts (TF-IDF)."""
    if model is None:
        return None
    if hasattr(model, "read_counts"):
        return model
    return next((member for member in getattr(model, "members", []) if hasattr(member, "read_counts")), None)


def paths_to_measure(offered: list[str], configured: str, wanted: list[str]) -> tuple[list[str], list[str]]:
    """The paths to measure a model through, and a note for each wanted path it does not offer.

    `offered` is the model's ``prediction_paths()`` (empty: it has one path, `configured`); `wanted`
    empty means the configured path alone.
    """
    available = offered or [configured]
    if not wanted:
        return [configured], []
    skipped = [f"path {path} skipped: the model offers {available}" for path in wanted if path not in available]
    return [path for path in wanted if path in available], skipped


# ----------------------------------------------------------------- FLOPs ---

@dataclass(frozen=True)
class EncoderShape:
    """What an encoder's forward FLOPs depend on: hidden size H, intermediate size I, layers L."""

    hidden: int
    intermediate: int
    layers: int

    @classmethod
    def of(cls, hf_config: Any) -> EncoderShape:
        """From a Hugging Face config (BERT-like names, or DistilBERT's dim, hidden_dim, n_layers)."""
        def first(*names: str) -> int:
            return int(next(getattr(hf_config, n) for n in names if getattr(hf_config, n, None) is not None))
        return cls(first("hidden_size", "dim"), first("intermediate_size", "hidden_dim"),
                   first("num_hidden_layers", "n_layers"))


def encoder_shape(model: Any | None) -> EncoderShape | None:
    """The shape of a counted model's encoder (its first network's: ensemble members share it), or None."""
    networks = getattr(model, "networks", None)
    return EncoderShape.of(networks[0].encoder.config) if networks else None


def encoder_flops(shape: EncoderShape, tokens: float, tokens_squared: float) -> float:
    """Forward FLOPs of the encoder over texts whose token counts T sum to `tokens` and whose T² sum to
    `tokens_squared`.

    Per text and layer: ``2·T·(4H² + 2HI)`` for the Q, K, V and output projections and the two
    feed-forward matmuls, plus ``4·T²·H`` for the attention scores and their weighted sum (a
    multiply-add counts two). Embeddings, softmax, norms and the head are left out.
    """
    H, I = shape.hidden, shape.intermediate
    return float(shape.layers * (2 * tokens * (4 * H * H + 2 * H * I) + 4 * tokens_squared * H))


def counted_flops(shape: EncoderShape, counts: dict[str, int]) -> tuple[float, bool]:
    """FLOPs of the reads in `read_counts`, and whether the attention term is estimated.

    With ``tokens_squared`` counted the sum is exact; without it, ΣT² is taken as (ΣT)²/texts, as if
    every text had the mean length: never more than the true sum, so the attention term is then a
    lower bound.
    """
    texts, tokens, squared = counts.get("texts", 0), counts.get("tokens", 0), counts.get("tokens_squared")
    if squared is not None:
        return encoder_flops(shape, tokens, squared), False
    return encoder_flops(shape, tokens, tokens * tokens / texts if texts else 0.0), True


def matmul_ceiling(path: str, size: int, repeats: int) -> dict[str, Any]:
    """GFLOP/s of a `size`² square matmul in the arithmetic of `path`, timed `repeats` times after a
    warm-up, with torch's current thread count.

    fp32: float32 ``torch.matmul``; bf16: bfloat16 ``torch.matmul``; int8: ``torch._int_mm`` (int8 in,
    int32 out) where this torch runs it on the CPU, else the fp32 matmul (``kernel`` says which).
    """
    import torch

    generator = torch.Generator().manual_seed(0)

    def operands(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        if dtype == torch.int8:
            return tuple(torch.randint(-128, 128, (size, size), dtype=torch.int8, generator=generator) for _ in "ab")
        return tuple(torch.randn(size, size, generator=generator).to(dtype) for _ in "ab")

    kernels = {"fp32": ("torch.matmul float32", torch.float32, torch.matmul),
               "bf16": ("torch.matmul bfloat16", torch.bfloat16, torch.matmul),
               "int8": ("torch._int_mm int8", torch.int8, getattr(torch, "_int_mm", None))}
    kernel, dtype, multiply = kernels[path]
    a, b = operands(dtype)
    try:
        multiply(a, b)  # warm-up
    except (RuntimeError, TypeError, NotImplementedError):
        kernel, dtype, multiply = kernels["fp32"]
        kernel += f" ({path} kernel unavailable on this CPU)"
        a, b = operands(dtype)
        multiply(a, b)
    started = time.perf_counter()
    for _ in range(repeats):
        multiply(a, b)
    seconds = time.perf_counter() - started
    return {"path": path, "kernel": kernel, "gflops_per_s": 2.0 * size ** 3 * repeats / seconds / 1e9,
            "size": size, "repeats": repeats, "threads": torch.get_num_threads()}


# ---------------------------------------------------------------- tables ---

def stance_tables(pairs: pd.DataFrame, labels: pd.DataFrame, articles: pd.DataFrame, n_claims: Counter,
                  rule: DecisionRule = DecisionRule()) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The ``stance_pairs``, ``stance_articles`` and ``stance_article_pairs`` (under `rule`) frames of
    labelled candidate pairs, built as predict builds them (an actor without a known affiliation
    stands for itself). `articles` has article_id and title; `n_claims` counts each article's claims;
    `labels` has the label, the confidence and the probabilities."""
    if len(pairs) != len(labels):
        raise ValueError(f"{len(labels)} labels for {len(pairs)} candidate pairs")
    stances = pd.DataFrame({
        "article_id": pairs["article_id"].to_numpy(), "source": pairs["source"].to_numpy(),
        "target": pairs["target"].to_numpy(),
        "source_affiliation": pairs["source_affiliation"].fillna(pairs["source"]).to_numpy(),
        "target_affiliation": pairs["target_affiliation"].fillna(pairs["target"]).to_numpy(),
        "origin": pairs["origin"].to_numpy(),
        "label": labels["label"].to_numpy(), "confidence": labels["confidence"].astype(float).to_numpy(),
        "p_supportive": labels["p_supportive"].astype(float).to_numpy(),
        "p_hostile": labels["p_hostile"].astype(float).to_numpy(),
    })
    tally = StanceTally(rule)  # predict's own counting
    tally.add(stances)
    tally.article_pairs.close()
    return (tally.aggregator.frame(), article_rows(articles, n_claims, tally.label_counts),
            tally.article_pairs.frame())


# --------------------------------------------------------------- figures ---

def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator; None where either is None or the denominator is not positive."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return float(numerator) / float(denominator)


def speed_figures(n_articles: int, front_seconds: float, model_seconds: float, tables_seconds: float,
                  n_texts: int, n_pairs: int, flops: float | None, ceiling_gflops: float | None) -> dict[str, Any]:
    """The speed figures of one model and path (None where a figure is undefined)."""
    seconds = front_seconds + model_seconds + tables_seconds
    gflops = ratio(flops, model_seconds * 1e9) if flops is not None else None
    return {
        "end_to_end_seconds": seconds, "articles_per_s": ratio(n_articles, seconds),
        "texts_per_article": ratio(n_texts, n_articles), "pairs_per_article": ratio(n_pairs, n_articles),
        "model_texts_per_s": ratio(n_texts, model_seconds), "model_pairs_per_s": ratio(n_pairs, model_seconds),
        "model_gflops_per_s": gflops, "ceiling_share": ratio(gflops, ceiling_gflops),
    }


def label_agreement(labels: pd.Series, reference: pd.Series) -> float | None:
    """The share of `labels` equal to `reference`, position by position (None when there are none)."""
    if len(labels) != len(reference):
        raise ValueError(f"{len(labels)} labels against {len(reference)} reference labels")
    return float(np.mean(labels.to_numpy() == reference.to_numpy())) if len(labels) else None


def _shown(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(entries: list[dict[str, Any]]) -> str:
    """One line per model and path: speed figures and F1s."""
    header = (f"{'model':<34} {'path':>5} {'art/s':>7} {'texts/art':>9} {'texts/s':>8} {'GFLOP/s':>8} "
              f"{'% ceil':>6} {'=fp32':>6} {'ent strict':>10} {'ent lenient':>11} {'auth lenient':>12}")
    lines = [header]
    for e in entries:
        share = None if e["ceiling_share"] is None else 100 * e["ceiling_share"]
        lines.append(f"{e['model'][-34:]:<34} {e['path']:>5} {_shown(e['articles_per_s'], '.3f'):>7} "
                     f"{_shown(e['texts_per_article'], '.1f'):>9} {_shown(e['model_texts_per_s'], '.1f'):>8} "
                     f"{_shown(e['model_gflops_per_s'], '.1f'):>8} {_shown(share, '.1f'):>6} "
                     f"{_shown(e['label_agreement_with_fp32'], '.3f'):>6} {e['entity_strict_f1']:>10.3f} "
                     f"{e['entity_lenient_f1']:>11.3f} {e['author_lenient_f1']:>12.3f}")
    return "\n".join(lines)


# ----------------------------------------------------------------- stage ---

@dataclass
class FrontResult:
    """The front half's output for the benchmark, and its times."""

    candidates: Candidates
    gold: pd.DataFrame
    matcher: NameMatcher
    articles: pd.DataFrame  # article_id, title
    n_claims: Counter
    load_seconds: float
    seconds: float


def run_front_half(config: Config) -> FrontResult:
    """The (limited) valid articles through the front half, timed; spaCy's load is timed apart."""
    seesaw = limit_articles(load_seesaw(config), config.speed.limit_articles)
    started = time.perf_counter()
    front = FrontHalf.from_config(config)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    candidates = article_candidates(front, seesaw)
    seconds = time.perf_counter() - started
    gold, _ = gold_triplets(seesaw["triplets"])
    return FrontResult(candidates, gold, NameMatcher(candidates.names, front.lexicon),
                       seesaw["articles"][["article_id", "title"]], Counter(seesaw["sentences"]["article_id"]),
                       load_seconds, seconds)


def measure_path(config: Config, pyfunc: Any, counted: Any | None, front: FrontResult,
                 rule: DecisionRule) -> dict[str, Any]:
    """Label, decide and tabulate every candidate pair through the path set on the model; returns the
    labels, the seconds of each step and the reads counted (None when the model counts none)."""
    pairs = front.candidates.pairs
    texts = pairs["text"].tolist()
    started = time.perf_counter()
    if config.speed.warmup_texts:
        label_texts(pyfunc, texts[:config.speed.warmup_texts])
    warmup_seconds = time.perf_counter() - started
    if counted is not None:
        for key in counted.read_counts:
            counted.read_counts[key] = 0
    started = time.perf_counter()
    labels = decide_in_articles(label_candidates(pyfunc, texts, config.e2e.batch_size), pairs, rule)
    model_seconds = time.perf_counter() - started
    started = time.perf_counter()
    stance_tables(pairs, labels, front.articles, front.n_claims, rule)
    tables_seconds = time.perf_counter() - started
    return {"labels": labels, "warmup_seconds": warmup_seconds, "model_seconds": model_seconds,
            "tables_seconds": tables_seconds, "counts": dict(counted.read_counts) if counted is not None else None}


def bench_model(config: Config, reference: str, front: FrontResult,
                ceilings: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Entries of one model (one per path measured) and notes on the paths skipped. Fills `ceilings`
    (path -> :func:`matmul_ceiling`) for the paths whose FLOPs are known."""
    started = time.perf_counter()
    pyfunc, provenance = load_stance_model(model_config(config, reference))
    load_seconds = time.perf_counter() - started
    model = stance_model(pyfunc)
    counted = counted_model(model)
    shape = encoder_shape(counted)
    offered = model.prediction_paths() if model is not None else []
    configured = model.configured_prediction_path() if model is not None else "fp32"
    paths, skipped = paths_to_measure(offered, configured, list(config.speed.paths))
    rule = DecisionRule.from_json(provenance.get("decision_rule"))
    n_articles, n_pairs = front.candidates.n_articles, len(front.candidates.pairs)
    entries, labels = [], {}
    for path in paths:
        if offered:
            model.set_prediction_path(path)
        measured = measure_path(config, pyfunc, counted, front, rule)
        labels[path] = measured["labels"]["label"]
        counts = measured["counts"]
        flops, estimated = counted_flops(shape, counts) if shape is not None and counts else (None, None)
        if flops is not None and path not in ceilings:
            ceilings[path] = matmul_ceiling(path, config.speed.ceiling_size, config.speed.ceiling_repeats)
        ceiling = ceilings[path] if flops is not None else {"kernel": None, "gflops_per_s": None}
        n_texts = counts["texts"] if counts else n_pairs
        metrics, _, _ = score(predicted_triplets(front.candidates.pairs, measured["labels"]), front.gold,
                              front.matcher)
        entries.append({
            "model": reference, "path": path, "configured_path": configured,
            **{k: provenance.get(k) for k in ("model_uri", "model_version", "model_family", "decision_rule")},
            "n_articles": n_articles, "n_pairs": n_pairs, "n_texts": n_texts, "texts_counted": counts is not None,
            "load_seconds": load_seconds, "front_load_seconds": front.load_seconds,
            "front_seconds": front.seconds, "warmup_seconds": measured["warmup_seconds"],
            "model_seconds": measured["model_seconds"], "tables_seconds": measured["tables_seconds"],
            "flops": flops, "attention_flops_estimated": estimated,
            "ceiling_kernel": ceiling["kernel"], "ceiling_gflops_per_s": ceiling["gflops_per_s"],
            **speed_figures(n_articles, front.seconds, measured["model_seconds"], measured["tables_seconds"],
                            n_texts, n_pairs, flops, ceiling["gflops_per_s"]),
            **{k: metrics[k] for k in F1_KEYS},
            "n_predicted": int((measured["labels"]["label"] != NEUTRAL).sum()),
        })
    for entry in entries:
        entry["label_agreement_with_fp32"] = label_agreement(labels[entry["path"]], labels["fp32"]) \
            if "fp32" in labels else None
    return entries, [f"{reference}: {note}" for note in skipped]


def _metrics(entry: dict[str, Any]) -> dict[str, float]:
    """Every number of an entry (not its flags, texts or undefined figures), for MLflow."""
    return {k: float(v) for k, v in entry.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def log_runs(config: Config, entries: list[dict[str, Any]], host: dict[str, Any], report: str) -> None:
    """One MLflow run per model and path in experiment ``speed.experiment``."""
    use_experiment(config, config.speed.experiment)
    commit = git_commit()
    for entry in entries:
        with mlflow.start_run(run_name=f"speed-{entry['model_family'] or 'model'}-{entry['path']}-{config.name}"):
            mlflow.set_tags({"cpu": host["cpu"], "cores": str(host["cores"]),
                             "torch_threads": str(host["torch_threads"]), "git_commit": commit,
                             "config_name": config.name, "model": entry["model"]})
            mlflow.log_params({"model_uri": entry["model_uri"], "model_version": entry["model_version"],
                               "model_family": entry["model_family"], "path": entry["path"],
                               "n_articles": entry["n_articles"]})
            mlflow.log_metrics(_metrics(entry))
            mlflow.log_text(report, "bench_e2e_speed.txt")


def run(config: Config) -> None:
    """Measure every configured model and path end to end on SEESAW valid; print, write and log the figures."""
    host = machine()
    front = run_front_half(config)
    n_articles = front.candidates.n_articles
    print(f"bench-e2e-speed: front half over {n_articles} SEESAW valid articles: {front.seconds:.1f}s "
          f"({n_articles / max(front.seconds, 1e-9):.2f} articles/s; spaCy load {front.load_seconds:.1f}s apart), "
          f"{len(front.candidates.pairs)} candidate pairs", flush=True)
    entries, notes, ceilings = [], [], {}
    for reference in progress(config.speed.models, "speed models", unit="model"):
        found, skipped = bench_model(config, reference, front, ceilings)
        entries += found
        notes += skipped
    cpu_line = (f"CPU: {host['cpu']}, {host['cores']} cores, {host['torch_threads']} torch threads, "
                f"{host['memory_gb']} GB; ceilings: "
                + ("; ".join(f"{c['kernel']} {c['gflops_per_s']:.1f} GFLOP/s" for c in ceilings.values()) or "none"))
    report = "\n".join([format_table(entries), cpu_line, *[f"note: {note}" for note in notes]])
    print(report)
    out = config.outputs_dir / "speed" / "bench_e2e_speed.json"
    write_text_atomic(out, json.dumps({"config": config.name, "machine": host, "n_articles": n_articles,
                                       "front_seconds": front.seconds, "front_load_seconds": front.load_seconds,
                                       "ceilings": ceilings, "notes": notes, "entries": entries}, indent=1) + "\n")
    log_runs(config, entries, host, report)
    print(f"written: {out}; MLflow experiment {config.speed.experiment}")
