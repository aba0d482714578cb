"""eval-pairs: SEESAW with the pair given, comparable with Wen et al. (ACL 2024).

The literature's SEESAW setting: the system is given the sentence, the
subject and the object of each gold triplet and says POS or NEG. Scored:
SEESAW valid's gold triplets whose subject and object are both listed
entities of the article; author triplets (``subject_is_author``: the
outlet's own stance), triplets with a "Not in the list" subject or object,
and exact duplicates are left out and counted.

The text the model reads is the project's marked format
(:func:`pipeline.frontend.pairs.marked_text`): each entity is located in the
sentence (the first whole-word, case-insensitive occurrence of its full
name, else of its distinctive name words, titles and generic words left
aside, as :func:`pipeline.frontend.gold_examples.named_in_text` reads a
name) and marked in place; one not found is named in a prefix.

Two readings of the model's probabilities:

- ``forced``: POS when p_supportive >= p_hostile, else NEG (neutral never
  chosen): micro-F1 over POS/NEG is the accuracy; the published setting;
- ``open``: neutral when p_neutral beats both others, and a neutral answer
  is a miss: precision = correct / non-neutral answers, recall = correct /
  gold triplets;
- ``pooled`` (only for a rule with polarity pooling): the forced reading of
  the sentence's log-odds blended, at the rule's ``polarity_pooling`` weight,
  with their mean over every given sentence of the same article and directed
  pair, as ``make predict`` reads a stanced claim's polarity
  (:func:`pipeline.core.decision.pooled_stance`). It uses the other given
  pairs of the article, which the published setting leaves open, so it is
  reported beside the forced figure, never in its place.

A 95 % percentile bootstrap interval of the forced micro-F1 resamples
articles, not triplets (triplets of one article are not independent).
"""

from __future__ import annotations

import json
import time

import mlflow
import numpy as np
import pandas as pd

from pipeline.bench.frontend import load_seesaw
from pipeline.core.config import Config, ExamplesConfig, LexiconConfig
from pipeline.core.decision import DecisionRule, log_odds, pooled_stance
from pipeline.core.labels import NEUTRAL
from pipeline.core.metrics import bootstrap_interval, prf
from pipeline.core.progress import progress
from pipeline.core.tables import SCHEMAS, write_table, write_text_atomic
from pipeline.frontend.gold_examples import (POLARITIES, locate_pair, pair_given_triplets, pair_text, sentence_text,
                                            sentence_texts)
from pipeline.stances.predict import label_texts
from pipeline.tracking.registry import load_stance_model
from pipeline.tracking.runs import git_commit, use_experiment

KEYS = ["article_id", "sentence_id", "subject", "object", "sentiment"]

#: Published SEESAW test micro-F1 (Wen et al., ACL 2024), for the report and the docs.
PUBLISHED = {
    "classifier + transitive consistency": 84.11,
    "POLITICS": 84.02,
    "DSE2QA": 83.35,
    "BLOOMZ-176B 10-shot": 77.29,
}

# ---------------------------------------------------------------- scoring ---

def forced_polarity(p_supportive: np.ndarray, p_hostile: np.ndarray) -> np.ndarray:
    """POS where p_supportive >= p_hostile, else NEG."""
    return np.where(np.asarray(p_supportive, dtype=float) >= np.asarray(p_hostile, dtype=float), "POS", "NEG")


def open_polarity(p_supportive: np.ndarray, p_hostile: np.ndarray, p_neutral: np.ndarray) -> np.ndarray:
    """The forced polarity, or neutral where p_neutral beats both others."""
    p_supportive, p_hostile = np.asarray(p_supportive, dtype=float), np.asarray(p_hostile, dtype=float)
    neutral = np.asarray(p_neutral, dtype=float) > np.maximum(p_supportive, p_hostile)
    return np.where(neutral, NEUTRAL, forced_polarity(p_supportive, p_hostile))


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The share of rows right (0.0 for none): the micro-F1 when every row gets one of the classes."""
    return float(np.mean(y_true == y_pred)) if len(y_true) else 0.0


def score_pair_given(gold: pd.Series, p_supportive, p_hostile, p_neutral) -> dict[str, float]:
    """Forced and open micro-F1 (with P/R and counts), and per-class P/R/F1 of the forced reading."""
    y_true = np.asarray(gold, dtype=object)
    unknown = sorted(set(y_true) - set(POLARITIES))
    if unknown:
        raise ValueError(f"gold polarities {unknown}; expected {list(POLARITIES)}")
    forced = forced_polarity(p_supportive, p_hostile)
    opened = open_polarity(p_supportive, p_hostile, p_neutral)
    n = len(y_true)
    metrics: dict[str, float] = {"n": n}
    n_forced_correct = int((forced == y_true).sum())
    metrics |= {f"forced_micro_{k}": v for k, v in prf(n, n, n_forced_correct).items()}
    metrics["forced_n_correct"] = n_forced_correct
    answered = opened != NEUTRAL
    n_open_correct = int((opened == y_true).sum())
    metrics |= {f"open_micro_{k}": v for k, v in prf(int(answered.sum()), n, n_open_correct).items()}
    metrics |= {"open_n_correct": n_open_correct, "open_n_neutral": int((~answered).sum())}
    for polarity in POLARITIES:
        n_pred, n_gold = int((forced == polarity).sum()), int((y_true == polarity).sum())
        correct = int(((forced == polarity) & (y_true == polarity)).sum())
        metrics |= {f"forced_{polarity}_{k}": v for k, v in prf(n_pred, n_gold, correct).items()}
        metrics[f"forced_{polarity}_n_gold"] = n_gold
    return metrics


def pooled_polarity(scored: pd.DataFrame, p_supportive: np.ndarray, p_hostile: np.ndarray,
                    weight: float) -> np.ndarray:
    """POS or NEG of each given triplet of `scored` (article_id, subject, object) from its own log-odds
    blended at `weight` with their mean over the same article's given triplets of the same directed pair."""
    own = log_odds(p_supportive, p_hostile)
    mean = pd.Series(own).groupby([scored["article_id"].to_numpy(), scored["subject"].to_numpy(),
                                   scored["object"].to_numpy()]).transform("mean").to_numpy()
    stance = pooled_stance(own, mean, weight)
    return np.where(stance == "supportive", "POS", "NEG").astype(object)


def forced_interval(gold: pd.Series, p_supportive, p_hostile, articles: pd.Series, samples: int = 1000,
                    confidence: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Bootstrap interval of the forced micro-F1, resampling articles (seeded)."""
    return bootstrap_interval(np.asarray(gold, dtype=object), forced_polarity(p_supportive, p_hostile).astype(object),
                              accuracy, samples, confidence, seed, groups=np.asarray(articles))


# ------------------------------------------------------------------ stage ---

def pair_texts(triplets: pd.DataFrame, sentences: pd.DataFrame, markers: ExamplesConfig,
               lexicon: LexiconConfig) -> pd.DataFrame:
    """Each scored triplet with its sentence's marked text and whether each entity was found in it."""
    text_of = sentence_texts(sentences)
    rows = []
    for t in triplets.itertuples(index=False):
        sentence = sentence_text(text_of, t.article_id, t.sentence_id)
        source_span, target_span = locate_pair(sentence, t.subject, t.object, lexicon)
        rows.append({"text": pair_text(sentence, t.subject, t.object, markers, lexicon),
                     "subject_found": source_span is not None, "object_found": target_span is not None})
    found = pd.DataFrame(rows, columns=["text", "subject_found", "object_found"])
    return pd.concat([triplets.reset_index(drop=True), found], axis=1)


def label_in_batches(model, texts: list[str], batch_size: int) -> pd.DataFrame:
    """The model's labels for every text, in batches, with a progress bar."""
    starts = range(0, len(texts), batch_size)
    parts = [label_texts(model, texts[i:i + batch_size]) for i in progress(starts, "pairs-given labels", unit="batch")]
    return pd.concat(parts, ignore_index=True) if parts else label_texts(model, [])


def format_report(metrics: dict[str, float], counts: dict[str, int]) -> str:
    """A few readable lines: the counts, the readings, and the published table beside them."""
    lines = [f"pairs-given: {counts['n_kept']} gold triplets scored of {counts['n_read']} read "
             f"({counts['n_author']} author, {counts['n_not_listed']} not listed, {counts['n_duplicate']} duplicate "
             f"left out); {int(metrics['n_subject_prefixed'])} subjects and {int(metrics['n_object_prefixed'])} "
             "objects not found in their sentence (named in a prefix)",
             f"  forced  micro-F1 {100 * metrics['forced_micro_f1']:.2f}  "
             f"(95% CI over articles {100 * metrics['forced_micro_f1_low']:.2f}-{100 * metrics['forced_micro_f1_high']:.2f})"
             f"  POS F1 {100 * metrics['forced_POS_f1']:.2f}  NEG F1 {100 * metrics['forced_NEG_f1']:.2f}",
             f"  open    micro-F1 {100 * metrics['open_micro_f1']:.2f}  P {100 * metrics['open_micro_precision']:.2f}  "
             f"R {100 * metrics['open_micro_recall']:.2f}  ({int(metrics['open_n_neutral'])} answered neutral)"]
    if "pooled_micro_f1" in metrics:
        lines.append(f"  pooled  micro-F1 {100 * metrics['pooled_micro_f1']:.2f}  "
                     f"(95% CI {100 * metrics['pooled_micro_f1_low']:.2f}-{100 * metrics['pooled_micro_f1_high']:.2f}; "
                     f"the forced reading blended at {metrics['pooling_weight']:.2f} with the pair's mean over the "
                     "article's given sentences: not the published setting)")
    lines.append("  published SEESAW test micro-F1 (Wen et al., ACL 2024; test split, ours is valid):")
    lines += [f"    {name:<38} {value:.2f}" for name, value in PUBLISHED.items()]
    return "\n".join(lines)


def run(config: Config) -> None:
    """Score the champion with the pair given on SEESAW valid; tables, metrics and one MLflow run."""
    began = time.perf_counter()
    seesaw = load_seesaw(config)
    if config.e2e.limit_articles is not None:
        keep = set(seesaw["articles"]["article_id"].head(config.e2e.limit_articles))
        seesaw = {k: v[v["article_id"].isin(keep)].reset_index(drop=True) for k, v in seesaw.items()}
    triplets, counts = pair_given_triplets(seesaw["triplets"])
    scored = pair_texts(triplets, seesaw["sentences"], config.examples, config.lexicon)
    model, provenance = load_stance_model(config)
    labels = label_in_batches(model, scored["text"].tolist(), config.e2e.batch_size)
    p = {k: labels[k].astype(float).to_numpy() for k in ("p_supportive", "p_hostile", "p_neutral")}
    metrics = score_pair_given(scored["sentiment"], p["p_supportive"], p["p_hostile"], p["p_neutral"])
    metrics["forced_micro_f1_low"], metrics["forced_micro_f1_high"] = forced_interval(
        scored["sentiment"], p["p_supportive"], p["p_hostile"], scored["article_id"],
        config.evaluate.bootstrap_samples, config.evaluate.confidence, config.train.seed)
    pooling = DecisionRule.from_json(provenance.get("decision_rule")).polarity_pooling
    if pooling:
        pooled = pooled_polarity(scored, p["p_supportive"], p["p_hostile"], pooling)
        gold = scored["sentiment"].to_numpy(dtype=object)
        metrics |= {"pooling_weight": float(pooling),
                    **{f"pooled_micro_{k}": v for k, v in prf(len(gold), len(gold), int((pooled == gold).sum())).items()}}
        metrics["pooled_micro_f1_low"], metrics["pooled_micro_f1_high"] = bootstrap_interval(
            gold, pooled, accuracy, config.evaluate.bootstrap_samples, config.evaluate.confidence,
            config.train.seed, groups=scored["article_id"].to_numpy())
    metrics |= {**counts, "n_articles": int(scored["article_id"].nunique()),
                "n_subject_prefixed": int((~scored["subject_found"]).sum()),
                "n_object_prefixed": int((~scored["object_found"]).sum()),
                "seconds": time.perf_counter() - began}
    table = pd.concat([scored.rename(columns={"sentiment": "gold"}), labels], axis=1).assign(
        predicted=forced_polarity(p["p_supportive"], p["p_hostile"]),
        open_predicted=open_polarity(p["p_supportive"], p["p_hostile"], p["p_neutral"]))
    out = config.outputs_dir / "e2e"
    write_table(table[SCHEMAS["pairs_given"].names], "pairs_given", out / "pairs_given_triplets.parquet")
    write_text_atomic(out / "pairs_given_metrics.json",
                      json.dumps({**provenance, **metrics, "published_test_micro_f1": PUBLISHED}, indent=1) + "\n")
    report = format_report(metrics, counts)
    print(report)
    use_experiment(config, config.e2e.experiment)
    split = config.e2e.split
    with mlflow.start_run(run_name=f"pairs-given-{config.name}"):
        mlflow.set_tags({"system": "champion", "evaluation": "pairs-given", "git_commit": git_commit(),
                         "config_name": config.name,
                         **{k: str(v) for k, v in provenance.items() if v is not None and k != "tracking_uri"}})
        mlflow.log_metrics({f"{split}_pairs_given_{k}": float(v) for k, v in metrics.items()})
        mlflow.log_text(report, "pairs_given_report.txt")
        for name in ("pairs_given_metrics.json", "pairs_given_triplets.parquet"):
            mlflow.log_artifact(str(out / name))
    print(f"pairs-given: {time.perf_counter() - began:.1f}s; MLflow experiment {config.e2e.experiment}; tables in {out}")
