"""The front half's stages over a user corpus: articles -> claims -> mentions -> pairs.

Each stage reads the previous stage's table under ``config.corpus_dir`` and
writes its own, with a rejects table beside it; ``show`` prints a readable
table of the claims.
"""

from __future__ import annotations

import time

import pandas as pd

from pipeline.core.config import REPO_ROOT, Config
from pipeline.core.markers import marker_strings
from pipeline.core.tables import SCHEMAS, read_table, staged_files, write_table
from pipeline.frontend.articles import ingest_paths, input_files
from pipeline.frontend.pairs import IMPLICIT, ISSUE, claims_table
from pipeline.frontend.runner import FrontHalf, articles_from_table


def articles(config: Config) -> None:
    """Read config.articles.input and write the articles and rejects tables."""
    source = config.input_path
    result = ingest_paths(input_files(source), config.articles, root=REPO_ROOT, markers=marker_strings(config.examples))
    out = config.corpus_dir
    if not result.reconciles():  # checked before anything is written: a failed run leaves the old tables
        raise RuntimeError(f"article counts do not reconcile: {result.summary()}, {len(result.rejects)} rejects rows")
    with staged_files(out) as staging:  # the articles and their rejects land together
        write_table(pd.DataFrame(result.articles, columns=list(SCHEMAS["articles"].names)), "articles",
                    staging / "articles.parquet")
        write_table(pd.DataFrame(result.rejects, columns=list(SCHEMAS["rejects"].names)), "rejects",
                    staging / "rejects_articles.parquet")
    for message in result.messages:
        print(message)
    repaired = ", ".join(f"{key} {value}" for key, value in sorted(result.counts.items()) if value) or "none"
    print(f"articles from {source}: {result.summary()}; repaired: {repaired} -> {out / 'articles.parquet'}")


def claims(config: Config) -> None:
    """Read the articles table, write the claims table (articles without claims as rejects)."""
    out = config.corpus_dir
    articles = read_table(out / "articles.parquet", "articles")
    front = FrontHalf.from_config(config)
    began = time.perf_counter()
    records, rejects = front.claims(articles_from_table(articles))
    seconds = time.perf_counter() - began
    with_claims = {r["article_id"] for r in records}
    for article in articles.itertuples(index=False):
        if article.article_id not in with_claims:
            line = 1 if pd.isna(article.line) else int(article.line)
            print(f"{article.file}:{line}: article {article.article_id} has no claims")
    for reject in rejects:
        if "claims.max_claims_per_article" in reject["reason"]:
            print(f"claims: {reject['reason']}")
    n_without = len(articles) - len(with_claims)
    with staged_files(out) as staging:  # the table and its rejects land together
        write_table(pd.DataFrame(records, columns=SCHEMAS["claims"].names), "claims", staging / "claims.parquet")
        write_table(pd.DataFrame(rejects, columns=SCHEMAS["rejects"].names), "rejects", staging / "rejects_claims.parquet")
    kinds = pd.Series([r["kind"] for r in records], dtype=object).value_counts().to_dict()
    print(f"claims: read {len(articles)} articles: with claims {len(with_claims)}, without {n_without}; "
          f"{len(records)} claims {kinds}; {seconds:.1f}s -> {out / 'claims.parquet'}")


def _claim_records(claims: pd.DataFrame) -> list[dict]:
    """Rows of the claims table as records: articles in table order, each article's claims in order."""
    article_order = {a: i for i, a in enumerate(dict.fromkeys(claims["article_id"]))}
    ordered = claims.assign(_article=claims["article_id"].map(article_order))
    return ordered.sort_values(["_article", "claim_index"], kind="stable").drop(columns="_article").to_dict("records")


def actors(config: Config) -> None:
    """Read the claims table, write the mentions table (and no-actor articles as rejects)."""
    out = config.corpus_dir
    claims = read_table(out / "claims.parquet", "claims")
    mentions, rejects = FrontHalf.from_config(config).mentions(_claim_records(claims))
    for reject in rejects:
        print(f"actors: article {reject['file']}: no actors found; it yields no pairs")
    with staged_files(out) as staging:  # the table and its rejects land together
        write_table(pd.DataFrame(mentions, columns=SCHEMAS["mentions"].names), "mentions", staging / "mentions.parquet")
        write_table(pd.DataFrame(rejects, columns=SCHEMAS["rejects"].names), "rejects", staging / "rejects_actors.parquet")
    n_articles = claims["article_id"].nunique()
    n_actors = len({(m["article_id"], m["canonical"]) for m in mentions})
    print(f"actors: read {len(claims)} claims of {n_articles} articles: {len(mentions)} mentions of "
          f"{n_actors} actors; articles with actors {n_articles - len(rejects)}, without {len(rejects)} "
          f"-> {out / 'mentions.parquet'}")


def pairs(config: Config) -> None:
    """Read articles, claims and mentions; write the pairs table."""
    out = config.corpus_dir
    articles = read_table(out / "articles.parquet", "articles")
    claims = read_table(out / "claims.parquet", "claims")
    mentions = read_table(out / "mentions.parquet", "mentions")
    outlets = dict(zip(articles["article_id"], articles["outlet"]))
    records, rejects = FrontHalf.from_config(config).pairs_and_rejects(
        _claim_records(claims), mentions.to_dict("records"), outlets)
    with staged_files(out) as staging:  # the table and its rejects land together
        write_table(pd.DataFrame(records, columns=SCHEMAS["pairs"].names), "pairs", staging / "pairs.parquet")
        write_table(pd.DataFrame(rejects, columns=SCHEMAS["rejects"].names), "rejects", staging / "rejects_pairs.parquet")
    for reject in rejects:
        print(f"pairs: {reject['reason']}")
    without = len(claims) - len({r["claim_id"] for r in records})
    origins = pd.Series([r["origin"] for r in records], dtype=object).value_counts().to_dict()
    issues = sum(r["target_type"] == ISSUE for r in records)
    implicit = sum(IMPLICIT in (r["source_evidence"], r["target_evidence"]) for r in records)
    print(f"pairs: read {len(claims)} claims: with pairs {len(claims) - without}, without {without} "
          f"(fewer than two actors, no speaker or author); {len(records)} pairs {origins}, "
          f"{issues} with an issue target, {implicit} with an implicit participant -> {out / 'pairs.parquet'}")


def show(config: Config) -> None:
    """Print the claims table of the user corpus (after the pairs stage)."""
    out = config.corpus_dir
    print(claims_table(read_table(out / "claims.parquet", "claims"), read_table(out / "mentions.parquet", "mentions"),
                       read_table(out / "pairs.parquet", "pairs")))

