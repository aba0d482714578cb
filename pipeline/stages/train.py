"""train: fit every configured model family, score it on valid, track it in MLflow.

Each family gets one MLflow run (params, per-step valid metrics, the train and
valid tables as dataset inputs, the logged model). A family with an
``in_domain_weight`` also trains on SEESAW train's candidate pairs
(:func:`pipeline.corpora.examples.in_domain_examples`). A family listed in
``decision.families`` then labels every candidate pair of SEESAW valid and
gets the decision rule that maximises its triplet F1 there
(:mod:`pipeline.core.decision`): in the groups of ``decision.claim_gate``
together with a gate on the article's strength of each claim's pair; in those
of ``decision.claim_scorer`` a claim scorer over the claim's probabilities,
its pair's evidence and its actors' prominence in the article; with
``decision.article_rule`` also the article thresholds that maximise the F1 of
the article-level triplets; the
rule and its figures go with the run, and the rule with the registered
version. The test split is not read here;
`evaluate` scores it once per trained model.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.config import Config, config_to_yaml
from pipeline.core.decision import (
    DecisionRule,
    LabelledCandidates,
    article_evidence,
    claim_features,
    claim_labels,
    fit_claim_scorer,
    tune_article_rule,
    tune_claim_gate,
    tune_rule,
)
from pipeline.core.labels import HOSTILE, NEUTRAL, SUPPORTIVE
from pipeline.core.metrics import score_split
from pipeline.core.tables import read_table, write_table, write_text_atomic
from pipeline.corpora.examples import in_domain_examples
from pipeline.frontend.gold_examples import article_gold_counts, gold_pair_examples
from pipeline.frontend.pairs import AUTHOR
from pipeline.models import build_model, load_model
from pipeline.models.base import MODEL_CARD, TEACHER_COLUMNS, StanceModel, missing_teacher_message, teacher_folder
from pipeline.tracking.registry import E2E_DIGEST_TAG
from pipeline.tracking import runs as tracking

IN_DOMAIN_TRAIN = "seesaw_examples_train.parquet"
IN_DOMAIN_VALID = "seesaw_examples_valid.parquet"


def training_examples(config: Config, family: str, dse_train: pd.DataFrame) -> pd.DataFrame:
    """DSE train, and for a family with a positive ``in_domain_weight`` SEESAW train's candidate
    pairs as directed examples; column ``weight`` holds each row's loss weight, ``in_domain`` whether
    it comes from SEESAW; with a ``teacher`` the teacher's probabilities are in :data:`TEACHER_COLUMNS`."""
    settings = config.train.family(family)
    weight = getattr(settings, "in_domain_weight", 0.0)
    train = dse_train.assign(weight=1.0, in_domain=False)
    if weight:
        train = with_in_domain(config, family, train, float(weight))
    teacher = getattr(settings, "teacher", None)
    if teacher is None:
        return train
    taught = train.index if getattr(settings, "distill_in_domain", False) else train.index[~train["in_domain"]]
    return with_teacher(train, teacher, family, taught)


def with_in_domain(config: Config, family: str, train: pd.DataFrame, weight: float) -> pd.DataFrame:
    """`train` followed by SEESAW train's candidate pairs (and with ``in_domain_gold_pairs`` its gold
    pairs) as directed examples of loss weight `weight`."""
    settings = config.train.family(family)
    candidates = read_table(config.tables_dir / IN_DOMAIN_TRAIN, "seesaw_examples")
    in_domain = in_domain_examples(candidates, config.examples, settings.in_domain_neutral_per_positive,
                                   config.train.seed, all_neutrals=settings.in_domain_neutrals == "all")
    if getattr(settings, "in_domain_gold_pairs", False):
        seesaw = {name: read_table(config.tables_dir / f"seesaw_{name}.parquet", f"seesaw_{name}")
                  for name in ("triplets", "sentences")}
        gold_pairs, counts = gold_pair_examples(seesaw["triplets"], seesaw["sentences"], "train", config.examples,
                                                config.lexicon)
        print(f"train {family}: SEESAW train gold triplets with the pair given: {counts['used']} used of "
              f"{counts['read']} read ({counts['author']} author, {counts['not_listed']} not listed, "
              f"{counts['duplicate']} duplicate, {counts['conflicting']} conflicting left out)")
        in_domain = pd.concat([in_domain, in_domain_examples(gold_pairs, config.examples, None, config.train.seed)],
                              ignore_index=True)
    return pd.concat([train, in_domain.assign(weight=in_domain["weight"] * weight, in_domain=True)],
                     ignore_index=True)


def with_teacher(train: pd.DataFrame, teacher: str, family: str, rows: pd.Index | None = None) -> pd.DataFrame:
    """`train` with the pair-class probabilities of the saved model at `teacher` (a folder, relative
    to the repository root or absolute) in :data:`TEACHER_COLUMNS`: the soft targets of distillation,
    for the rows labelled `rows` (default all; the others get NaN, gold labels alone)."""
    path = teacher_folder(teacher)
    if not (path / MODEL_CARD).exists():
        raise RuntimeError(missing_teacher_message(str(path), family))
    rows = train.index if rows is None else rows
    model = load_model(path)
    started = time.perf_counter()
    proba = np.full((len(train), len(TEACHER_COLUMNS)), np.nan)
    proba[train.index.get_indexer(rows)] = model.predict_pair_proba(train.loc[rows, "text"].tolist())
    print(f"train {family}: teacher {path} ({model.family}) labelled {len(rows)} of {len(train)} training rows "
          f"in {time.perf_counter() - started:.0f}s")
    return train.assign(**{column: proba[:, k] for k, column in enumerate(TEACHER_COLUMNS)})


def gold_counts(config: Config) -> dict[str, int]:
    """The number of SEESAW valid gold triplets to find, entity and author apart (seesaw-examples' report)."""
    report_path = config.tables_dir / "seesaw_examples.json"
    try:
        recall = json.loads(report_path.read_text(encoding="utf-8"))["splits"]["valid"]["candidate_recall"]
    except (OSError, KeyError, ValueError) as exc:
        raise RuntimeError(f"{report_path}: cannot read the SEESAW valid gold counts ({exc}); "
                           "run make seesaw-examples") from None
    return {group: int(recall[group]["scored"]) for group in ("entity", "author")}


def labelled_candidates(candidates: pd.DataFrame, config: Config) -> LabelledCandidates:
    """SEESAW valid's candidate pairs (``seesaw_examples_valid``) with their gold labels and counts."""
    return LabelledCandidates(tuple(candidates["text"]), candidates["label"].to_numpy(dtype=object),
                              (candidates["origin"] == AUTHOR).to_numpy(), gold_counts(config))


def article_gold(config: Config) -> dict[str, int]:
    """SEESAW valid's article-level gold triplets to find, entity and author apart."""
    triplets = read_table(config.tables_dir / "seesaw_triplets.parquet", "seesaw_triplets")
    return article_gold_counts(triplets[triplets["split"] == "valid"])


def candidate_rows(candidates: pd.DataFrame, proba: np.ndarray) -> pd.DataFrame:
    """The labelled candidates as :func:`pipeline.core.decision.claim_labels` reads them: each pair in its
    article, the gold label (``gold``) and the probabilities `proba` (LABELS order)."""
    return candidates[["article_id", "source", "target"]].assign(
        is_author=(candidates["origin"] == AUTHOR).to_numpy(), gold=candidates["label"].to_numpy(),
        p_supportive=proba[:, 0], p_hostile=proba[:, 1], p_neutral=proba[:, 2])


def with_claim_gate(rule: DecisionRule, candidates: pd.DataFrame, proba: np.ndarray, n_gold: dict[str, int],
                    pooling: float, gated: list[str], tolerance: float = 0.0) -> tuple[DecisionRule, dict[str, float]]:
    """`rule` with its claim thresholds tuned again together with a gate (in the groups `gated`) and with
    polarity `pooling`, on the labelled candidates (SEESAW valid) and their probabilities `proba` (each
    threshold the highest within `tolerance` of its best F1); the figures (``{group}_rule_*``) are those
    of the whole rule."""
    rows = candidate_rows(candidates, proba)
    chosen, figures = tune_claim_gate(rows, rows["gold"].to_numpy(dtype=object), n_gold, pooling, tuple(gated),
                                      tolerance=tolerance)
    return replace(rule, entity_threshold=chosen["entity"][0], author_threshold=chosen["author"][0],
                   gate_entity_threshold=chosen["entity"][1], gate_author_threshold=chosen["author"][1],
                   polarity_pooling=pooling or None), figures


def with_claim_scorer(rule: DecisionRule, candidates: pd.DataFrame, proba: np.ndarray, n_gold: dict[str, int],
                      config: Config, figures: dict[str, float]) -> tuple[DecisionRule, dict[str, float]]:
    """`rule` with a claim scorer in each group of ``decision.claim_scorer`` whose out-of-fold triplet F1 on
    the labelled candidates (SEESAW valid) beats the group's figure under `rule` (``{group}_rule_f1`` of
    `figures`); the scorer's figures (``{group}_scorer_*``), and for a group that keeps one its out-of-fold
    figures as the rule's (``{group}_rule_*``: what the champion race compares)."""
    rows = candidate_rows(candidates, proba)
    features = claim_features(rows)
    stance = np.where(rows["p_supportive"] >= rows["p_hostile"], SUPPORTIVE, HOSTILE)
    correct = stance == rows["gold"].to_numpy(dtype=object)
    settings, found = config.decision, {}
    for group in settings.claim_scorer:
        members = rows["is_author"].to_numpy() == (group == "author")
        scorer, threshold, scored = fit_claim_scorer(
            features[members], correct[members], rows.loc[members, "article_id"].to_numpy(), n_gold.get(group, 0),
            folds=settings.scorer_folds, seed=config.train.seed, c=settings.scorer_c, tolerance=settings.tolerance)
        found |= {f"{group}_{key}": value for key, value in scored.items()}
        if scorer is None or scored["scorer_f1"] <= figures.get(f"{group}_rule_f1", 0.0):
            continue
        rule = replace(rule, **{f"{group}_threshold": threshold, f"{group}_scorer": scorer})
        found |= {f"{group}_rule_{key}": scored[f"scorer_{key}"]
                  for key in ("threshold", "precision", "recall", "f1", "predicted")}
    return rule, found


def with_article_rule(rule: DecisionRule, candidates: pd.DataFrame, proba: np.ndarray,
                      n_gold: dict[str, int]) -> tuple[DecisionRule, dict[str, float]]:
    """`rule` with article thresholds tuned on the labelled candidates (SEESAW valid) and their
    probabilities `proba`, and the article-level figures (``article_{group}_*``)."""
    keys = ["article_id", "source", "target", "is_author"]
    rows = candidate_rows(candidates, proba)
    rows["label"] = claim_labels(rows, rule)
    evidence = article_evidence(rows, keys)
    gold_sets = rows[rows["gold"] != NEUTRAL].groupby(keys, sort=False)["gold"].agg(frozenset)
    gold = evidence.join(gold_sets, on=keys)["gold"].apply(lambda found: found if isinstance(found, frozenset)
                                                         else frozenset())
    thresholds, figures = tune_article_rule(evidence, gold, evidence["is_author"].to_numpy(), n_gold)
    return replace(rule, article_entity_threshold=thresholds["entity"],
                   article_author_threshold=thresholds["author"]), figures


def tune_on_articles(config: Config, model: StanceModel, family: str, candidates: pd.DataFrame,
                     labelled: LabelledCandidates) -> tuple[DecisionRule, dict[str, float]]:
    """Label every SEESAW valid candidate pair and choose the family's decision rule there.

    Writes the candidates' probabilities beside the model (``seesaw_valid_proba.parquet``)
    and returns the rule and ``valid_e2e_*`` figures: each group's triplet
    precision, recall and F1 under the rule, scored on the candidates' own
    gold labels (``eval-e2e`` scores the whole articles with the same rule).
    """
    started = time.perf_counter()
    proba = model.predict_proba(list(labelled.texts))
    seconds = time.perf_counter() - started
    rule, figures = tune_rule(proba, labelled.gold, labelled.is_author, labelled.n_gold,
                              tolerance=config.decision.tolerance)
    if config.decision.claim_gate or config.decision.polarity_pooling:
        rule, gate_figures = with_claim_gate(rule, candidates, proba, labelled.n_gold, config.decision.polarity_pooling,
                                             config.decision.claim_gate, config.decision.tolerance)
        figures |= gate_figures
    if config.decision.claim_scorer:
        rule, scorer_figures = with_claim_scorer(rule, candidates, proba, labelled.n_gold, config, figures)
        figures |= scorer_figures
    if config.decision.article_rule:
        rule, article_figures = with_article_rule(rule, candidates, proba, article_gold(config))
        figures |= article_figures
    write_table(candidates[["example_id", "article_id", "sentence_id", "source", "target", "origin",
                            "source_evidence", "target_evidence", "label"]].assign(
                    p_supportive=proba[:, 0], p_hostile=proba[:, 1], p_neutral=proba[:, 2]),
                "seesaw_valid_proba", config.outputs_dir / "models" / family / "seesaw_valid_proba.parquet")
    metrics = {f"valid_e2e_{key.replace('_rule', '')}": float(value) for key, value in figures.items()}
    metrics |= {"valid_e2e_candidates": float(len(candidates)), "valid_e2e_label_seconds": seconds,
                "valid_e2e_candidates_per_second": len(candidates) / max(seconds, 1e-9)}
    return rule, metrics


def run(config: Config, families: list[str] | None = None) -> None:
    """Stage runner: examples_{train,valid} -> outputs/<config>/models/<family>/ + MLflow runs,
    for every configured family, or for `families` alone (make trains each under its own target)."""
    train_path = config.tables_dir / "examples_train.parquet"
    valid_path = config.tables_dir / "examples_valid.parquet"
    dse_train = read_table(train_path, "examples")
    valid = read_table(valid_path, "examples")
    write_text_atomic(config.outputs_dir / "config.yaml", config_to_yaml(config))
    families = families or config.train.models
    valid_candidates, labelled = None, None
    if set(families) & set(config.decision.families):  # read once for every family that decides by a rule
        valid_candidates = read_table(config.tables_dir / IN_DOMAIN_VALID, "seesaw_examples")
        labelled = labelled_candidates(valid_candidates, config)
    for family in families:
        model = build_model(family, config)
        if family in config.decision.families:
            model.article_candidates = labelled
        train = training_examples(config, family, dse_train)
        started = time.perf_counter()
        report = model.fit(train, valid, seed=config.train.seed)
        train_seconds = time.perf_counter() - started
        model_dir = config.outputs_dir / "models" / family
        model.save(model_dir / "model")
        valid_result = score_split(valid, model.predict_pair_proba(valid["text"].tolist()), "valid")
        metrics = {**valid_result.metrics, "train_seconds": train_seconds,
                   "train_in_domain_examples": float(train["in_domain"].sum())}
        tags = {}
        if family in config.decision.families:
            rule, e2e_metrics = tune_on_articles(config, model, family, valid_candidates, labelled)
            metrics |= e2e_metrics
            tags["decision_rule"] = rule.to_json()
            tags[E2E_DIGEST_TAG] = labelled.digest()
        logged_train = train.drop(columns=["weight", "in_domain", *TEACHER_COLUMNS], errors="ignore")
        run_info = tracking.log_training(config, family, model_dir / "model", report, metrics,
                                         {"train": (logged_train, train_path), "valid": (valid, valid_path)}, tags)
        write_text_atomic(model_dir / "run.json", json.dumps(run_info, indent=2))
        rule_line = ""
        if "decision_rule" in tags:
            rule_line = (f"; SEESAW valid triplets under rule {rule.summary()}: entity F1 "
                         f"{metrics.get('valid_e2e_entity_f1', np.nan):.4f}, author F1 "
                         f"{metrics.get('valid_e2e_author_f1', np.nan):.4f}")
            if "valid_e2e_article_entity_f1" in metrics:
                rule_line += (f"; article-level entity F1 {metrics['valid_e2e_article_entity_f1']:.4f}, author F1 "
                              f"{metrics.get('valid_e2e_article_author_f1', np.nan):.4f}")
        print(f"train {family}: valid macro-F1 {metrics['valid_macro_f1']:.4f}, micro-F1 "
              f"{metrics['valid_micro_f1']:.4f} ({train_seconds:.0f}s; chosen {report.params}){rule_line}; "
              f"MLflow run {run_info['run_id']}")
