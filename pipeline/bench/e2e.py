"""eval-e2e: whole SEESAW valid articles to stance triplets, scored against the gold triplets.

The number that matters to a researcher: from the raw sentences of an
article to correct (speaker, target, stance) triplets. For each valid article
the gold sentences are joined and run through the front half as claims
(spaCy entities, attribution, actors, candidate pairs: the one front half of
:mod:`pipeline.frontend.runner` that the stages and ``bench-frontend`` use,
with the same spaCy settings and author resolution), every candidate
pair is labelled by a system, and the non-neutral ones become predicted
triplets (sentence, source, target, POS for supportive | NEG for hostile).

Gold: SEESAW's triplets of the valid stories, duplicates dropped. A triplet
whose subject or object is "Not in the list" (no entity of the article's
entity list) cannot be named and is left out (counted). Author triplets
(subject ``None``: the outlet's own stance) are scored apart, against the
pairs whose source is the article's author.

Matching rules. A predicted actor denotes a gold entity when any name it goes
by in the article (canonical name, surface forms, dictionary aliases) matches
the entity's canonical name by :func:`pipeline.frontend.gold.name_matches`
(token equality, titles dropped, distinctive-token containment, acronyms).
Predicted and gold triplets are paired one to one (maximum bipartite
matching per article), so no prediction is counted twice. Three schemes:

- ``strict``: same sentence, subject and object matched, same polarity;
- ``lenient``: same article, subject and object matched, same polarity, the
  sentence ignored: what a corpus-level stance table sees. The predictions are
  the article's stances of its pairs under the rule's article thresholds
  (:func:`pipeline.core.decision.article_labels`, as ``make predict``'s
  ``stance_article_pairs``); a rule without them (from before they existed)
  gives the claim-level triplets deduplicated per article;
- ``pair``: as strict but the polarity ignored: did the system find who
  takes a stance on whom at all.

Precision = matched predictions / predictions, recall = matched gold / gold,
F1 their harmonic mean, each 0 where undefined
(:func:`pipeline.core.metrics.prf`). Systems: the champion; the baselines
``constant`` (every candidate pair labelled with SEESAW train's majority
polarity: the floor that candidate generation alone earns) and ``tfidf``
(the latest registered TF-IDF version on every candidate pair). One MLflow
run per system in experiment ``seesaw-e2e``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import mlflow
import networkx as nx
import numpy as np
import pandas as pd

from pipeline.bench.frontend import load_seesaw
from pipeline.core.config import Config, LexiconConfig, flatten, lexicon_digest
from pipeline.core.decision import DecisionRule, article_evidence, article_labels
from pipeline.core.labels import HOSTILE, LABELS, NEUTRAL, SUPPORTIVE
from pipeline.core.metrics import prf
from pipeline.core.progress import progress
from pipeline.core.tables import SCHEMAS, write_table, write_text_atomic
from pipeline.frontend.gold import gold_articles, name_matches
from pipeline.frontend.runner import FrontHalf
from pipeline.stances.predict import decide_in_articles, label_texts
from pipeline.tracking.registry import family_version, load_stance_model
from pipeline.tracking.runs import git_commit, use_experiment

NOT_LISTED = "Not in the list"
POLARITY = {SUPPORTIVE: "POS", HOSTILE: "NEG"}
SCHEMES = ("strict", "lenient", "pair")
GROUPS = {"entity": False, "author": True}  # group name -> is_author


# ----------------------------------------------------------- candidates ---

#: Columns of a candidate pair; the affiliations (None where unknown) are for stance tables built from them.
CANDIDATE_COLUMNS = ["article_id", "sentence_id", "source", "target", "origin", "text", "source_affiliation",
                     "target_affiliation"]


def limit_articles(seesaw: dict[str, pd.DataFrame], limit: int | None) -> dict[str, pd.DataFrame]:
    """The SEESAW tables of the first `limit` articles only (all of them when `limit` is None)."""
    if limit is None:
        return seesaw
    keep = set(seesaw["articles"]["article_id"].head(limit))
    return {name: table[table["article_id"].isin(keep)].reset_index(drop=True) for name, table in seesaw.items()}


@dataclass
class Candidates:
    """Candidate pairs of the evaluated articles, and the names each actor goes by per article."""
    pairs: pd.DataFrame  # CANDIDATE_COLUMNS
    names: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    n_articles: int = 0


def article_candidates(front: FrontHalf, seesaw: dict[str, pd.DataFrame]) -> Candidates:
    """Run the front half over each article's gold sentences (one claim per sentence) and collect the
    candidate pairs of every sentence, with the names of every actor for matching."""
    rows, names = [], {}
    articles = gold_articles(front, seesaw)
    for article in progress(articles, "e2e candidates", unit="article"):
        names[article.article_id] = dict(article.names)
        sentence_of_claim = dict(zip((c["claim_id"] for c in article.claims), article.sentence_ids))
        for pair in front.pairs(article.claims, article.mentions, {article.article_id: article.outlet}):
            rows.append({"article_id": article.article_id, "sentence_id": int(sentence_of_claim[pair["claim_id"]]),
                         "source": pair["source"], "target": pair["target"], "origin": pair["origin"],
                         "text": pair["text"], "source_affiliation": pair["source_affiliation"],
                         "target_affiliation": pair["target_affiliation"]})
    frame = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)
    return Candidates(frame.astype({"sentence_id": "int64"}), names, len(articles))


# ---------------------------------------------------------------- gold ---

def gold_triplets(triplets: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Gold triplets to score against: duplicates and unnamed ("Not in the list") entities left out.

    Returns the triplets (article_id, sentence_id, subject, object, polarity,
    is_author; subject "" for the author) and how many were left out and why.
    """
    read = len(triplets)
    unlisted = (triplets["object"] == NOT_LISTED) | (~triplets["subject_is_author"] & (triplets["subject"] == NOT_LISTED))
    unknown = sorted(set(triplets["sentiment"]) - {"POS", "NEG"})
    if unknown:
        raise ValueError(f"gold triplets with unknown sentiments {unknown}")
    kept = triplets[~unlisted]
    gold = pd.DataFrame({
        "article_id": kept["article_id"].astype(str), "sentence_id": kept["sentence_id"].astype("int64"),
        "subject": kept["subject"].where(~kept["subject_is_author"], "").fillna("").astype(str),
        "object": kept["object"].astype(str), "polarity": kept["sentiment"].astype(str),
        "is_author": kept["subject_is_author"].astype(bool),
    })
    deduplicated = gold.drop_duplicates(ignore_index=True)
    counts = {"n_gold_read": read, "n_gold_unlisted": int(unlisted.sum()),
              "n_gold_duplicates": len(gold) - len(deduplicated), "n_gold": len(deduplicated)}
    assert counts["n_gold_read"] == counts["n_gold_unlisted"] + counts["n_gold_duplicates"] + counts["n_gold"]
    return deduplicated, counts


# ---------------------------------------------------------- predictions ---

def predicted_triplets(candidates: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Non-neutral candidate pairs as triplets (article_id, sentence_id, source, target, polarity,
    is_author, confidence, text); the author's pairs are author triplets."""
    if len(candidates) != len(labels):
        raise ValueError(f"{len(labels)} labels for {len(candidates)} candidate pairs")
    stanced = (labels["label"] != NEUTRAL).to_numpy()
    chosen, chosen_labels = candidates[stanced], labels[stanced]
    return pd.DataFrame({
        "article_id": chosen["article_id"].to_numpy(), "sentence_id": chosen["sentence_id"].to_numpy(),
        "source": chosen["source"].to_numpy(), "target": chosen["target"].to_numpy(),
        "polarity": chosen_labels["label"].map(POLARITY).to_numpy(),
        "is_author": (chosen["origin"] == "author").to_numpy(),
        "confidence": chosen_labels["confidence"].astype(float).to_numpy(), "text": chosen["text"].to_numpy(),
    }).astype({"sentence_id": "int64"})


def article_triplets(candidates: pd.DataFrame, labels: pd.DataFrame, rule: DecisionRule) -> pd.DataFrame:
    """The article-level triplets of the rule's article thresholds: per article and directed pair, the
    stance of the noisy-or of its candidates' probabilities (`labels`: the decided claim labels and
    the probabilities, one row per candidate), in :func:`predicted_triplets`' columns; sentence_id -1."""
    if len(candidates) != len(labels):
        raise ValueError(f"{len(labels)} labels for {len(candidates)} candidate pairs")
    keys = ["article_id", "source", "target", "is_author"]
    rows = pd.DataFrame({"article_id": candidates["article_id"].to_numpy(), "source": candidates["source"].to_numpy(),
                         "target": candidates["target"].to_numpy(),
                         "is_author": (candidates["origin"] == "author").to_numpy(),
                         "label": labels["label"].to_numpy(), "p_supportive": labels["p_supportive"].to_numpy(),
                         "p_hostile": labels["p_hostile"].to_numpy()})
    evidence = article_evidence(rows, keys)
    decided = article_labels(evidence, evidence["is_author"].to_numpy(), rule)
    stanced = decided != NEUTRAL
    chosen = evidence[stanced]
    return pd.DataFrame({
        "article_id": chosen["article_id"].to_numpy(), "sentence_id": np.full(len(chosen), -1, dtype="int64"),
        "source": chosen["source"].to_numpy(), "target": chosen["target"].to_numpy(),
        "polarity": pd.Series(decided[stanced], dtype=object).map(POLARITY).to_numpy(),
        "is_author": chosen["is_author"].to_numpy(dtype=bool),
        "confidence": np.maximum(chosen["support"], chosen["hostility"]).to_numpy(dtype=float), "text": "",
    })


class ConstantModel:
    """A floor: every pair gets the same label, with confidence 1 (pyfunc-like `predict`)."""
    def __init__(self, label: str) -> None:
        if label not in LABELS:
            raise ValueError(f"unknown label {label!r}; expected {list(LABELS)}")
        self.label = label

    def predict(self, data: pd.DataFrame) -> pd.DataFrame:
        """The constant label for every row."""
        n = len(data)
        return pd.DataFrame({"label": [self.label] * n, "confidence": [1.0] * n,
                             **{f"p_{label}": [float(label == self.label)] * n for label in LABELS}})


def majority_polarity(triplets: pd.DataFrame) -> str:
    """The label of the more frequent gold sentiment (SEESAW train: NEG -> hostile)."""
    counts = triplets["sentiment"].value_counts()
    if counts.empty:
        raise ValueError("no gold triplets to take a majority polarity from")
    return {"POS": SUPPORTIVE, "NEG": HOSTILE}[str(counts.idxmax())]


# ------------------------------------------------------------- matching ---

class NameMatcher:
    """Whether a predicted actor of an article denotes a gold entity, cached per (article, actor, gold name)."""
    def __init__(self, names: dict[str, dict[str, set[str]]], lexicon: LexiconConfig) -> None:
        self.names, self.lexicon = names, lexicon
        self._cache: dict[tuple[str, str, str], bool] = {}

    def __call__(self, article_id: str, actor: str, gold: str) -> bool:
        key = (article_id, actor, gold)
        if key not in self._cache:
            aliases = self.names.get(article_id, {}).get(actor, set()) | {actor}
            self._cache[key] = any(name_matches(gold, alias, self.lexicon) for alias in aliases)
        return self._cache[key]


def scheme_keys(scheme: str) -> tuple[list[str], list[str]]:
    """The columns that identify a predicted and a gold triplet under a scheme."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {SCHEMES}")
    sentence = ["sentence_id"] if scheme != "lenient" else []
    polarity = ["polarity"] if scheme != "pair" else []
    return (["article_id", *sentence, "source", "target", "is_author", *polarity],
            ["article_id", *sentence, "subject", "object", "is_author", *polarity])


def match_triplets(pred: pd.DataFrame, gold: pd.DataFrame, matcher: NameMatcher,
                   scheme: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One-to-one matching of predicted and gold triplets under a scheme.

    Both frames are first deduplicated on the scheme's keys; returns them so,
    each with a boolean column ``hit``. A maximum bipartite matching per
    article pairs each prediction with at most one gold triplet and back.
    """
    pred_keys, gold_keys = scheme_keys(scheme)
    use_sentence, use_polarity = "sentence_id" in pred_keys, "polarity" in pred_keys
    pred = pred.drop_duplicates(pred_keys, ignore_index=True).assign(hit=False)
    gold = gold.drop_duplicates(gold_keys, ignore_index=True).assign(hit=False)
    gold_by_article = {a: g for a, g in gold.groupby("article_id", sort=False)}
    for article_id, p_group in pred.groupby("article_id", sort=False):
        g_group = gold_by_article.get(article_id)
        if g_group is None:
            continue
        graph = nx.Graph()
        for p in p_group.itertuples():
            for g in g_group.itertuples():
                if (use_sentence and p.sentence_id != g.sentence_id) or (use_polarity and p.polarity != g.polarity) \
                        or p.is_author != g.is_author:
                    continue
                if (p.is_author or matcher(article_id, p.source, g.subject)) and matcher(article_id, p.target, g.object):
                    graph.add_edge(("p", p.Index), ("g", g.Index))
        if graph.number_of_edges() == 0:
            continue
        top = [node for node in graph if node[0] == "p"]
        for side, index in nx.bipartite.hopcroft_karp_matching(graph, top_nodes=top):
            (pred if side == "p" else gold).loc[index, "hit"] = True
    return pred, gold


def _flags(full: pd.DataFrame, matched: pd.DataFrame, keys: list[str]) -> pd.Series:
    """The `hit` flags of deduplicated rows carried back to every row of `full` with the same keys."""
    hits = matched.loc[matched["hit"], keys].drop_duplicates()
    if hits.empty:
        return pd.Series(False, index=full.index)
    merged = full[keys].merge(hits.assign(_hit=True), on=keys, how="left")
    return pd.Series(merged["_hit"].fillna(False).astype(bool).to_numpy(), index=full.index)


def scheme_predictions(pred: pd.DataFrame, article_pred: pd.DataFrame | None, scheme: str) -> pd.DataFrame:
    """The predictions a scheme scores: the article-level triplets for ``lenient`` when there are any."""
    return article_pred if scheme == "lenient" and article_pred is not None else pred


def score(pred: pd.DataFrame, gold: pd.DataFrame, matcher: NameMatcher,
          article_pred: pd.DataFrame | None = None) -> tuple[dict[str, float], pd.DataFrame, pd.DataFrame]:
    """Every group and scheme: metrics ``{group}_{scheme}_{precision,recall,f1,n_predicted,n_gold,n_matched}``,
    and the predicted and gold triplets flagged with their strict and lenient matches. `article_pred`
    (:func:`article_triplets`), when given, is what the lenient scheme scores; a claim-level triplet
    is then flagged lenient when its article-level triplet was matched."""
    metrics: dict[str, float] = {}
    pred, gold = pred.reset_index(drop=True), gold.reset_index(drop=True)
    pred_flags = {s: pd.Series(False, index=pred.index) for s in ("strict", "lenient")}
    gold_flags = {s: pd.Series(False, index=gold.index) for s in ("strict", "lenient")}
    for group, is_author in GROUPS.items():
        g_group = gold[gold["is_author"] == is_author]
        for scheme in SCHEMES:
            scored = scheme_predictions(pred, article_pred, scheme)
            p_group = scored[scored["is_author"] == is_author]
            p_hit, g_hit = match_triplets(p_group, g_group, matcher, scheme)
            n_matched = int(p_hit["hit"].sum())
            assert n_matched == int(g_hit["hit"].sum()), "a one-to-one matching pairs as many of each side"
            for key, value in prf(len(p_hit), len(g_hit), n_matched).items():
                metrics[f"{group}_{scheme}_{key}"] = value
            metrics |= {f"{group}_{scheme}_n_predicted": len(p_hit), f"{group}_{scheme}_n_gold": len(g_hit),
                        f"{group}_{scheme}_n_matched": n_matched}
            if scheme in pred_flags:
                pred_keys, gold_keys = scheme_keys(scheme)
                pred_flags[scheme] |= _flags(pred, p_hit, pred_keys)
                gold_flags[scheme] |= _flags(gold, g_hit, gold_keys)
    flagged_pred = pred.assign(matched_strict=pred_flags["strict"], matched_lenient=pred_flags["lenient"])
    flagged_gold = gold.assign(found_strict=gold_flags["strict"], found_lenient=gold_flags["lenient"])
    return metrics, flagged_pred, flagged_gold


def article_counts(pred: pd.DataFrame, gold: pd.DataFrame, matcher: NameMatcher,
                   article_pred: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per article, group and scheme: predicted, gold and matched triplets (the sums give :func:`score`'s)."""
    frames = []
    for group, is_author in GROUPS.items():
        g_group = gold[gold["is_author"] == is_author]
        for scheme in SCHEMES:
            scored = scheme_predictions(pred, article_pred, scheme)
            p_group = scored[scored["is_author"] == is_author]
            p_hit, g_hit = match_triplets(p_group, g_group, matcher, scheme)
            counts = pd.concat([p_hit.groupby("article_id").agg(n_predicted=("hit", "size"), n_matched=("hit", "sum")),
                                g_hit.groupby("article_id").agg(n_gold=("hit", "size"))], axis=1).fillna(0)
            frames.append(counts.reset_index().assign(group=group, scheme=scheme))
    columns = ["article_id", "group", "scheme", "n_predicted", "n_gold", "n_matched"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def bootstrap_f1(counts: pd.DataFrame, articles: list[str], samples: int, confidence: float,
                 seed: int) -> dict[str, float]:
    """The bootstrap interval of every group's and scheme's F1, resampling whole articles.

    Returns ``{group}_{scheme}_f1_low`` and ``_high``. Every article of the
    run counts, also one without predictions or gold (it adds zeros).
    """
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(articles), size=(samples, len(articles))) if len(articles) else None
    found: dict[str, float] = {}
    tail = (1.0 - confidence) / 2.0
    for (group, scheme), part in counts.groupby(["group", "scheme"], sort=False):
        table = part.set_index("article_id")[["n_predicted", "n_gold", "n_matched"]].reindex(articles).fillna(0)
        values = table.to_numpy(dtype=float)
        if draws is None:
            found |= {f"{group}_{scheme}_f1_low": 0.0, f"{group}_{scheme}_f1_high": 0.0}
            continue
        sums = values[draws].sum(axis=1)  # (samples, 3)
        predicted, gold, matched = sums[:, 0], sums[:, 1], sums[:, 2]
        f1 = np.where(predicted + gold > 0, 2 * matched / np.maximum(predicted + gold, 1e-12), 0.0)
        found |= {f"{group}_{scheme}_f1_low": float(np.quantile(f1, tail)),
                  f"{group}_{scheme}_f1_high": float(np.quantile(f1, 1 - tail))}
    return found


def format_report(system: str, metrics: dict[str, float]) -> str:
    """A few readable lines of one system's scores."""
    lines = [f"e2e {system}: {int(metrics['n_candidates'])} candidate pairs, "
             f"{int(metrics['n_predicted'])} non-neutral, against {int(metrics['n_gold'])} gold triplets "
             f"({int(metrics['n_gold_unlisted'])} unlisted left out)"]
    for group in GROUPS:
        for scheme in SCHEMES:
            m = {k: metrics[f"{group}_{scheme}_{k}"] for k in ("precision", "recall", "f1", "n_predicted", "n_gold", "n_matched")}
            interval = ""
            if f"{group}_{scheme}_f1_low" in metrics:
                interval = f" [{metrics[f'{group}_{scheme}_f1_low']:.3f}, {metrics[f'{group}_{scheme}_f1_high']:.3f}]"
            lines.append(f"  {group:<6} {scheme:<7}  P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}"
                         f"{interval}  ({m['n_matched']} matched of {m['n_predicted']} predicted, {m['n_gold']} gold)")
    return "\n".join(lines)


# ---------------------------------------------------------------- stage ---

def label_candidates(model, texts: list[str], batch_size: int) -> pd.DataFrame:
    """The model's labels for every candidate text, in batches."""
    starts = range(0, len(texts), batch_size)
    parts = [label_texts(model, texts[i:i + batch_size]) for i in progress(starts, "e2e labels", unit="batch")]
    return pd.concat(parts, ignore_index=True) if parts else label_texts(model, [])


def systems(config: Config, train_triplets: pd.DataFrame) -> list[tuple[str, object, dict]]:
    """(name, model, provenance) of the champion and the configured baselines: ``constant``, and any
    model family (the latest registered version of it from the champion's config, with its rule)."""
    champion, provenance = load_stance_model(config)
    found = [("champion", champion, provenance)]
    for baseline in config.e2e.baselines:
        if baseline == "constant":
            label = majority_polarity(train_triplets)
            found.append(("constant", ConstantModel(label), {"model_uri": f"constant:{label}",
                                                              "model_family": "constant"}))
            continue
        version = family_version(config, baseline, provenance.get("config_name"))  # the champion's own config
        info = {"model_uri": f"models:/{config.mlflow.registered_model}/{version.version}",
                "model_version": version.version, "run_id": version.run_id, "model_family": baseline,
                "decision_rule": version.tags.get("decision_rule")}
        same = provenance.get("model_version") == version.version
        found.append((baseline, champion if same else mlflow.pyfunc.load_model(info["model_uri"]), info))
    return found


def run(config: Config) -> None:
    """Score the champion and the baselines end to end on SEESAW valid; one MLflow run each."""
    import mlflow


    began = time.perf_counter()
    seesaw = limit_articles(load_seesaw(config), config.e2e.limit_articles)  # the valid split
    train = pd.read_parquet(config.tables_dir / "seesaw_triplets.parquet", columns=["split", "sentiment"])
    front = FrontHalf.from_config(config)
    candidates = article_candidates(front, seesaw)
    gold, gold_counts = gold_triplets(seesaw["triplets"])
    matcher = NameMatcher(candidates.names, front.lexicon)
    front_seconds = time.perf_counter() - began
    out = config.outputs_dir / "e2e"
    texts = candidates.pairs["text"].tolist()
    cached: dict[int, pd.DataFrame] = {}
    for system, model, provenance in systems(config, train[train["split"] == "train"]):
        started = time.perf_counter()
        raw = cached.get(id(model))
        if raw is None:
            raw = cached[id(model)] = label_candidates(model, texts, config.e2e.batch_size)
        rule = DecisionRule.from_json(provenance.get("decision_rule"))
        labels = decide_in_articles(raw, candidates.pairs, rule)
        pred = predicted_triplets(candidates.pairs, labels)
        article_pred = article_triplets(candidates.pairs, labels, rule) if rule.has_article_rule() else None
        metrics, flagged_pred, flagged_gold = score(pred, gold, matcher, article_pred)
        metrics |= bootstrap_f1(article_counts(pred, gold, matcher, article_pred), sorted(candidates.names),
                                config.evaluate.bootstrap_samples, config.evaluate.confidence, config.train.seed)
        metrics |= {"n_articles": candidates.n_articles, "n_candidates": len(candidates.pairs),
                    "n_predicted": len(pred), **gold_counts,
                    "predict_seconds": time.perf_counter() - started, "frontend_seconds": front_seconds}
        write_table(flagged_pred.assign(system=system)[SCHEMAS["e2e_triplets"].names], "e2e_triplets",
                    out / f"{system}_triplets.parquet")
        write_table(flagged_gold.assign(system=system)[SCHEMAS["e2e_gold"].names], "e2e_gold",
                    out / f"{system}_gold.parquet")
        report = format_report(system, metrics)
        write_text_atomic(out / f"{system}_metrics.json", json.dumps({**provenance, **metrics}, indent=1) + "\n")
        print(report)
        use_experiment(config, config.e2e.experiment)
        split = config.e2e.split
        with mlflow.start_run(run_name=f"e2e-{system}-{config.name}"):
            mlflow.set_tags({"system": system, "git_commit": git_commit(), "config_name": config.name,
                             **{k: str(v) for k, v in provenance.items() if v is not None and k != "tracking_uri"}})
            params = flatten({s: config.model_dump(mode="json")[s] for s in ("e2e", "claims", "actors", "pairs")})
            mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
            mlflow.log_param("lexicon_sha256", lexicon_digest(config.lexicon))
            mlflow.log_metrics({f"{split}_{k}": float(v) for k, v in metrics.items()})
            mlflow.log_text(report, "e2e_report.txt")
            for suffix in ("triplets.parquet", "gold.parquet", "metrics.json"):
                mlflow.log_artifact(str(out / f"{system}_{suffix}"))
    print(f"e2e: {time.perf_counter() - began:.1f}s; MLflow experiment {config.e2e.experiment}; tables in {out}")
