"""bench-frontend: the front half measured on SEESAW valid, logged to MLflow (experiment `frontend`).

Four figures, all on the 105 articles of the valid stories:

- sentence boundary F1: each article's gold sentences are joined with one
  space and re-split by the claims stage's splitter (spaCy senter plus line
  breaks); a boundary is the end offset of a sentence that is not the last.
- entity recall: the share of annotated entities (``entity lists``) that
  some actor found in the article matches, by
  :func:`pipeline.frontend.gold.name_matches`; also per
  annotated type, and over the actor types alone (People, Organization, GPE),
  since Topic and Event entries ("executive action on immigration") are not
  named entities at all.
- candidate-pair recall: the gold sentences are the claims (speaker
  attribution still runs across the article); of the gold triplets whose
  subject and object are both listed entities, the share whose (subject,
  object) matches some candidate pair of that sentence; its price is the
  number of candidate pairs per such gold pair. Author triplets (subject
  ``None``) are scored apart against the author pairs.
- throughput: articles/s and words/s of the whole front half (spaCy, claims,
  actors, pairs) on the same articles, with the configured batch size and
  process count.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict

import pandas as pd

from pipeline.core.config import (
    REPO_ROOT,
    Config,
    PairsConfig,
    flatten,
    lexicon_digest,
)
from pipeline.core.metrics import prf, ratio
from pipeline.core.tables import read_table, write_text_atomic
from pipeline.corpora.fetch import mirror_folder
from pipeline.corpora.ingest import ingest_seesaw
from pipeline.frontend.actors import ISSUE
from pipeline.frontend.gold import (  # noqa: F401 (name_matches: the rule this benchmark scores by)
    GoldArticle,
    any_match,
    gold_articles,
    joined_article,
    name_matches,
)
from pipeline.frontend.nlp import process_count
from pipeline.frontend.pairs import AUTHOR
from pipeline.frontend.runner import Article, FrontHalf
from pipeline.tracking.runs import git_commit, use_experiment

SPLIT = "valid"
ACTOR_TYPES = ("People", "Organization", "GPE")


# ---------------------------------------------------------------- metrics ---

def boundary_scores(gold_ends: list[set[int]], predicted_ends: list[set[int]]) -> dict[str, float]:
    """Micro precision, recall and F1 of sentence boundaries over articles (see :func:`prf`)."""
    correct = sum(len(g & p) for g, p in zip(gold_ends, predicted_ends))
    return prf(sum(len(p) for p in predicted_ends), sum(len(g) for g in gold_ends), correct)


def load_seesaw(config: Config) -> dict[str, pd.DataFrame]:
    """SEESAW valid tables: the ingest stage's tables when present, else read from the corpus folder."""
    names = ("articles", "sentences", "entities", "triplets")
    paths = {n: config.tables_dir / f"seesaw_{n}.parquet" for n in names}
    if all(p.exists() for p in paths.values()):
        tables = {n: read_table(paths[n], f"seesaw_{n}") for n in names}
    else:

        mirror = mirror_folder(config)
        candidates = [config.raw_dir / "seesaw", *([mirror / "seesaw"] if mirror else []),
                      REPO_ROOT.parent / "shared" / "datasets" / "seesaw"]
        root = next((c for c in candidates if (c / "meta").is_dir()), None)
        if root is None:
            raise FileNotFoundError(f"SEESAW not found in {[str(c) for c in candidates]}; run `make fetch` first")
        tables = ingest_seesaw(root)[0]
    return {n: df[df["split"] == SPLIT].reset_index(drop=True) for n, df in tables.items()}


def _gold_pairs(article_id: str, seesaw: dict[str, pd.DataFrame]) -> list[tuple[int, str, str, bool, bool]]:
    """The scored gold triplets of one article: object listed, and subject listed or the author.

    Each as (sentence, subject, object, author?, both actor types?).
    """
    listed = seesaw["entities"][seesaw["entities"]["article_id"] == article_id]
    types = {r.name: (r.entity_type or "Other").split(",")[0] for r in listed.itertuples(index=False)}
    gold = seesaw["triplets"][seesaw["triplets"]["article_id"] == article_id]
    result, seen = [], set()
    for row in gold.itertuples(index=False):
        key = (int(row.sentence_id), row.subject, row.object, bool(row.subject_is_author))
        if key in seen or row.object not in types or (not row.subject_is_author and row.subject not in types):
            continue
        seen.add(key)
        both_actors = not row.subject_is_author and {types[row.subject], types[row.object]} <= set(ACTOR_TYPES)
        result.append((*key, both_actors))
    return result


def pair_figures(articles: list[GoldArticle], gold: dict[str, list], front: FrontHalf, settings: PairsConfig) -> dict:
    """Candidate-pair recall and price of one pairs setting over prepared gold articles.

    `gold` holds each article's scored gold pairs (see :func:`_gold_pairs`).
    """
    pair_hits, actor_pair_hits, author_hits, n_candidates, misses = [], [], [], 0, []
    for article in articles:
        pairs = front.pairs(article.claims, article.mentions, {article.article_id: article.outlet}, settings)
        sentence_of_claim = dict(zip((c["claim_id"] for c in article.claims), article.sentence_ids))
        by_sentence = defaultdict(list)
        for pair in pairs:
            by_sentence[sentence_of_claim[pair["claim_id"]]].append(pair)
        n_candidates += len(pairs)
        names, lexicon = article.names, front.lexicon
        for sid, subject, obj, is_author, both_actors in gold.get(article.article_id, []):
            candidates = by_sentence.get(sid, [])
            if is_author:
                author_hits.append(any(p["origin"] == AUTHOR and any_match(obj, names.get(p["target"], {p["target"]}), lexicon)
                                       for p in candidates))
                continue
            hit = any(any_match(subject, names.get(p["source"], {p["source"]}), lexicon)
                      and any_match(obj, names.get(p["target"], {p["target"]}), lexicon) for p in candidates)
            pair_hits.append(hit)
            if both_actors:
                actor_pair_hits.append(hit)
            if not hit:
                misses.append([article.article_id, sid, subject, obj,
                               sorted({(p["source"], p["target"]) for p in candidates})[:12]])
    share = lambda hits: ratio(sum(hits), len(hits))  # noqa: E731
    return {
        "n_gold_pairs": len(pair_hits),
        "candidate_pair_recall": share(pair_hits),
        "actor_pair_recall": share(actor_pair_hits),
        "n_gold_actor_pairs": len(actor_pair_hits),
        "n_candidate_pairs": n_candidates,
        "candidates_per_gold_pair": ratio(n_candidates, len(pair_hits)),
        "n_gold_author_pairs": len(author_hits),
        "author_pair_recall": share(author_hits),
        "misses": misses,
    }


#: Pairs settings the benchmark also reports, to show the recall bought by each knob and its price.
TRADEOFF = {
    "names only (no issues, no implicit)": {"issue_targets": False},
    "+ issues (explicit evidence only)": {},
    "+ top-2 actors as targets": {"implicit_targets": 2},
    "+ top-2 actors, 1 issue, 2 sources": {"implicit_targets": 2, "implicit_issues": 1, "implicit_sources": 2},
    "+ context 1 both ways, top-2, 1 issue, 2 src": {"context_window": 1, "context_sources": True,
                                                     "implicit_targets": 2, "implicit_issues": 1, "implicit_sources": 2},
    "+ context 1 both ways, top-3, 2 issues, 2 src": {"context_window": 1, "context_sources": True,
                                                      "implicit_targets": 3, "implicit_issues": 2, "implicit_sources": 2},
    "+ context 2 both ways, top-3, 2 issues, 3 src": {"context_window": 2, "context_sources": True,
                                                      "implicit_targets": 3, "implicit_issues": 2, "implicit_sources": 3},
}


def tradeoff_settings(settings: PairsConfig) -> dict[str, PairsConfig]:
    """The settings of :data:`TRADEOFF`, each applied to `settings` (implicit knobs reset first)."""
    base = settings.model_dump() | {"implicit_targets": 0, "implicit_issues": 0, "implicit_sources": 0,
                                    "issue_targets": True, "context_window": 0, "context_sources": False}
    return {name: PairsConfig(**(base | change)) for name, change in TRADEOFF.items()}


def evaluate_articles(front: FrontHalf, seesaw: dict[str, pd.DataFrame],
                      variants: dict[str, PairsConfig] | None = None) -> dict:
    """Sentence, entity and pair figures over SEESAW articles (gold sentences as claims).

    Pair figures are for the front half's pairs settings; each of `variants`
    (name -> pairs settings) adds its recall and price under ``tradeoff``.
    """
    articles = gold_articles(front, seesaw)
    gold_ends, pred_ends = [], []
    entity_hits: dict[str, list[bool]] = defaultdict(list)
    entity_hits_no_issues: list[bool] = []
    entity_misses: list = []
    entities = seesaw["entities"]
    for article in articles:
        gold_ends.append({end for _, end in sorted(article.spans.values())[:-1]})
        pred_ends.append({end for _, end in article.predicted_sentences[:-1]})
        names = article.names
        all_names = set().union(*names.values()) if names else set()
        issue_names = {m["canonical"] for m in article.mentions if m["actor_type"] == ISSUE}
        actor_only = set().union(*(v for k, v in names.items() if k not in issue_names)) if names else set()
        listed = entities[entities["article_id"] == article.article_id]
        for row in listed.itertuples(index=False):
            kind = (row.entity_type or "Other").split(",")[0]
            hit = any_match(row.name, all_names, front.lexicon)
            entity_hits[kind].append(hit)
            entity_hits_no_issues.append(hit and any_match(row.name, actor_only, front.lexicon))
            if not hit:
                entity_misses.append([article.article_id, row.name, kind])

    gold = {article.article_id: _gold_pairs(article.article_id, seesaw) for article in articles}
    boundaries = boundary_scores(gold_ends, pred_ends)
    all_hits = [h for hits in entity_hits.values() for h in hits]
    actor_hits = [h for kind in ACTOR_TYPES for h in entity_hits.get(kind, [])]
    figures = pair_figures(articles, gold, front, front.pairs_settings)
    tradeoff = {}
    for name, variant in (variants or {}).items():
        found = pair_figures(articles, gold, front, variant)
        tradeoff[name] = {k: found[k] for k in ("candidate_pair_recall", "candidates_per_gold_pair",
                                                 "actor_pair_recall", "author_pair_recall")}
    return {
        "n_articles": len(articles),
        "sentence_boundary_precision": boundaries["precision"],
        "sentence_boundary_recall": boundaries["recall"],
        "sentence_boundary_f1": boundaries["f1"],
        "entity_recall": ratio(sum(all_hits), len(all_hits)),
        "entity_recall_without_issues": ratio(sum(entity_hits_no_issues), len(all_hits)),
        "actor_entity_recall": ratio(sum(actor_hits), len(actor_hits)),
        "entity_recall_by_type": {k: [sum(v) / len(v), len(v)] for k, v in sorted(entity_hits.items())},
        **{k: v for k, v in figures.items() if k != "misses"},
        "tradeoff": tradeoff,
        "misses": {"entities": entity_misses, "pairs": figures["misses"]},
    }


def measure_throughput(front: FrontHalf, texts: list[str]) -> dict:
    """Articles/s and words/s of the whole front half on `texts` (spaCy's own sentences), with its
    configured batch size and process count."""
    front.parse(texts[:2])  # warm-up: first calls allocate
    articles = [Article(f"t{index}", text) for index, text in enumerate(texts)]
    began = time.perf_counter()
    front.run(articles)
    seconds = time.perf_counter() - began
    words = sum(len(t.split()) for t in texts)
    return {"seconds": seconds, "articles_per_s": len(texts) / seconds, "words_per_s": words / seconds,
            "words_per_article": words / len(texts),
            "n_process": process_count(len(texts), front.claims_settings.batch_size, front.claims_settings.n_process)}


def format_report(metrics: dict, speed: dict) -> str:
    """The figures as a few readable lines."""
    by_type = ", ".join(f"{k} {v[0]:.2f} (n={v[1]})" for k, v in metrics["entity_recall_by_type"].items())
    return "\n".join([
        f"frontend on SEESAW {SPLIT}: {metrics['n_articles']} articles",
        f"  sentence boundary F1      {metrics['sentence_boundary_f1']:.3f}  (P {metrics['sentence_boundary_precision']:.3f}, "
        f"R {metrics['sentence_boundary_recall']:.3f}; target >= 0.95)",
        f"  entity recall             {metrics['entity_recall']:.3f}  (without issue mentions "
        f"{metrics['entity_recall_without_issues']:.3f}; actor types People/Organization/GPE: "
        f"{metrics['actor_entity_recall']:.3f})",
        f"    by type: {by_type}",
        f"  candidate-pair recall     {metrics['candidate_pair_recall']:.3f}  of {metrics['n_gold_pairs']} gold pairs "
        f"(target >= 0.80); {metrics['candidates_per_gold_pair']:.1f} candidates per gold pair",
        f"    of which both actor types: {metrics['actor_pair_recall']:.3f} of {metrics['n_gold_actor_pairs']}",
        f"  author-pair recall        {metrics['author_pair_recall']:.3f}  of {metrics['n_gold_author_pairs']} author triplets",
        f"  throughput                {speed['articles_per_s']:.1f} articles/s, {speed['words_per_s']:.0f} words/s "
        f"({speed['words_per_article']:.0f} words/article, n_process={speed['n_process']}; target >= 10 articles/s)",
        *format_tradeoff(metrics.get("tradeoff") or {}),
    ])


def format_tradeoff(tradeoff: dict) -> list[str]:
    """The recall/price table of the pairs settings the benchmark also tried."""
    if not tradeoff:
        return []
    width = max(len(name) for name in tradeoff)
    lines = ["  recall and price of other pairs settings (pairs.issue_targets, pairs.implicit_*):",
             f"    {'setting':<{width}}  recall  cand/gold  actor-pairs  author"]
    for name, row in tradeoff.items():
        lines.append(f"    {name:<{width}}  {row['candidate_pair_recall']:.3f}  {row['candidates_per_gold_pair']:>9.1f}  "
                     f"{row['actor_pair_recall']:>11.3f}  {row['author_pair_recall']:.3f}")
    return lines


def run(config: Config) -> None:
    """Measure the front half on SEESAW valid, print the figures and log them to MLflow."""
    import mlflow

    seesaw = load_seesaw(config)
    front = FrontHalf.from_config(config)
    metrics = evaluate_articles(front, seesaw, tradeoff_settings(config.pairs))
    sentences = seesaw["sentences"].sort_values(["article_id", "sentence_id"])
    texts = [joined_article(list(zip(g["sentence_id"], g["text"])))[0]
             for _, g in sentences.groupby("article_id", sort=True)]
    speed = measure_throughput(front, texts)
    report = format_report(metrics, speed)
    print(report)

    out_dir = config.outputs_dir / "frontend"
    details = {"metrics": {k: v for k, v in metrics.items() if k != "misses"}, "throughput": speed,
               "spacy_pipeline": front.nlp.pipe_names, "misses": metrics["misses"]}
    write_text_atomic(out_dir / "bench_frontend.json", json.dumps(details, indent=1, default=str))

    use_experiment(config, "frontend")
    with mlflow.start_run(run_name=f"frontend-{config.name}"):
        mlflow.set_tags({"git_commit": git_commit(), "config_name": config.name})
        params = flatten({s: config.model_dump(mode="json")[s] for s in ("claims", "actors", "pairs")})
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_param("lexicon_sha256", lexicon_digest(config.lexicon))
        mlflow.log_param("spacy_pipeline", ",".join(front.nlp.pipe_names))
        scalar = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))}
        for index, row in enumerate(metrics["tradeoff"].values()):  # names are in the report and the JSON
            scalar |= {f"tradeoff{index}_recall": row["candidate_pair_recall"],
                       f"tradeoff{index}_candidates_per_gold_pair": row["candidates_per_gold_pair"]}
        scalar |= {"articles_per_s": speed["articles_per_s"], "words_per_s": speed["words_per_s"]}
        mlflow.log_metrics({f"{SPLIT}_{k}": v for k, v in scalar.items()})
        mlflow.log_artifact(str(out_dir / "bench_frontend.json"))
        mlflow.log_text(report, "bench_frontend.txt")
