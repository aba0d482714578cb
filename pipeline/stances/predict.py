"""predict: the champion's stance on every pair of a user corpus, the pair aggregates and the actor network.

Reads the front half's tables (``articles``, ``claims``, ``pairs`` under
``tables_dir/<articles.tables_subdir>``), applies the model at
``models:/<registered_model>@<champion_alias>`` (loaded once; another URI
with ``predict.model_uri``) to the marked text of each pair, and writes under
``outputs/<config>/<predict.output_subdir>/``:

- ``stances.parquet`` / ``.csv``: one row per claim and directed pair: article,
  claim id, index and text, kind, speaker, origin, source and target as actors
  and as affiliations (an actor without a known affiliation stands for
  itself), label, confidence and the three probabilities;
- ``stance_pairs.parquet`` / ``.csv``: per directed pair, at the ``actor`` and
  the ``affiliation`` level: counts per label, mean stance, mean confidence,
  number of articles (:mod:`pipeline.stances.network`);
- ``stance_articles.parquet`` / ``.csv``: one row per article, with zero
  counts for an article without claims or pairs (it is no error);
- ``stance_article_pairs.parquet`` / ``.csv``: one row per article and directed
  actor pair: its claims, how many were labelled supportive and hostile, the
  noisy-or strengths of support and hostility over those claims, and the
  article's stance under the rule's article thresholds
  (:func:`pipeline.core.decision.article_labels`; what ``eval-e2e``'s lenient
  scheme scores);
- ``network_{actor,affiliation}.graphml`` and ``.png``: the actor network;
- ``predict_summary.json``: the model version used, the counts, the time.

Pairs are streamed from Parquet in batches of ``predict.batch_size``; each
batch is joined to its claims (read forward alongside, since the front half
writes pairs in claim order), labelled, appended to the outputs and counted,
so memory grows with the number of distinct actor pairs, not with the corpus.
Where the rule decides a claim in view of its article (a gate or polarity
pooling, :func:`pipeline.core.decision.claim_labels`), the labelled rows of
the last article are held back until the article's rows end
(:func:`decide_by_article`), so memory also holds one article's pairs.
Every file is written atomically.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter, OrderedDict
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

import numpy as np
import pandas as pd
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipeline.core.decision import (
    SUM_COLUMNS,
    DecisionRule,
    apply_rule,
    article_labels,
    claim_labels,
    combined_evidence,
    evidence_sums,
)
from pipeline.core.labels import LABELS
from pipeline.core.tables import (
    SCHEMAS,
    SchemaError,
    atomic_path,
    check_frame,
    write_table,
)
from pipeline.frontend.pairs import AUTHOR
from pipeline.stances.network import (
    LEVELS,
    PairAggregator,
    build_graph,
    draw_network,
    drawn_edges,
    write_graphml,
)

log = logging.getLogger(__name__)

CLAIM_COLUMNS = ["claim_id", "claim_index", "text", "kind", "speaker_resolved"]
PROBABILITIES = [f"p_{label}" for label in LABELS]


class StanceModel(Protocol):
    """What predict needs of a model: the pyfunc contract (a DataFrame with `text` in)."""
    def predict(self, data: pd.DataFrame) -> pd.DataFrame: ...


# ----------------------------------------------------------------- core ---

def label_texts(model: StanceModel, texts: list[str]) -> pd.DataFrame:
    """The model's label, confidence and probabilities for marked texts; checks what comes back."""
    if not texts:
        return pd.DataFrame({"label": pd.Series(dtype=object), "confidence": pd.Series(dtype=float),
                             **{p: pd.Series(dtype=float) for p in PROBABILITIES}})
    out = pd.DataFrame(model.predict(pd.DataFrame({"text": texts})))
    missing = [c for c in ("label", "confidence", *PROBABILITIES) if c not in out.columns]
    if missing:
        raise ValueError(f"the model's output lacks columns {missing}; it returned {list(out.columns)}")
    if len(out) != len(texts):
        raise ValueError(f"the model returned {len(out)} rows for {len(texts)} texts")
    unknown = sorted(set(out["label"]) - set(LABELS))
    if unknown:
        raise ValueError(f"the model returned unknown labels {unknown}; expected {list(LABELS)}")
    return out[["label", "confidence", *PROBABILITIES]].reset_index(drop=True)


def decide(labels: pd.DataFrame, origins: pd.Series, rule: DecisionRule) -> pd.DataFrame:
    """`labels` relabelled by the model's decision rule (the author's pairs by its author threshold);
    confidence becomes the probability of the label chosen."""
    if rule == DecisionRule() or labels.empty:
        return labels
    proba = labels[PROBABILITIES].to_numpy(dtype=float)
    return with_labels(labels, apply_rule(proba, (origins == AUTHOR).to_numpy(), rule))


def with_labels(labels: pd.DataFrame, chosen: np.ndarray) -> pd.DataFrame:
    """`labels` with the `chosen` labels, each with the probability of its label as confidence."""
    proba = labels[PROBABILITIES].to_numpy(dtype=float)
    index = [LABELS.index(label) for label in chosen]
    return labels.assign(label=chosen, confidence=proba[np.arange(len(proba)), index])


def decide_in_articles(labels: pd.DataFrame, pairs: pd.DataFrame, rule: DecisionRule) -> pd.DataFrame:
    """`labels` (the model's, one row per pair of `pairs`, which must hold whole articles: ``article_id``,
    ``source``, ``target``, ``origin``) relabelled by the whole rule, its gate and polarity pooling
    included (:func:`pipeline.core.decision.claim_labels`)."""
    if not rule.decides_by_article() or labels.empty:
        return decide(labels, pairs["origin"], rule)
    if len(labels) != len(pairs):
        raise ValueError(f"{len(labels)} labels for {len(pairs)} pairs")
    rows = pd.DataFrame({"article_id": pairs["article_id"].to_numpy(), "source": pairs["source"].to_numpy(),
                         "target": pairs["target"].to_numpy(), "is_author": (pairs["origin"] == AUTHOR).to_numpy(),
                         **{p: labels[p].to_numpy(dtype=float) for p in PROBABILITIES}})
    return with_labels(labels, claim_labels(rows, rule))


def decide_by_article(batches: Iterator[pd.DataFrame], rule: DecisionRule) -> Iterator[pd.DataFrame]:
    """Stance batches (in article order) again, each article's rows decided together by the whole rule
    (:func:`decide_in_articles`), as soon as the article's rows end: the rows of the last article seen are
    held back. A rule that decides every claim alone passes the batches through as they are. An article
    whose rows come again after another article's is an error: its claims would be decided apart."""
    if not rule.decides_by_article():
        yield from batches
        return
    held: pd.DataFrame | None = None
    closed: set[str] = set()
    for batch in batches:
        if batch.empty:
            continue
        again = closed.intersection(batch["article_id"].unique())
        if again:
            raise ValueError(f"stance rows of article(s) {sorted(again)[:3]} came after the article had ended; "
                             "the pairs must come in article order (rerun the front half: make pairs)")
        frame = batch if held is None else pd.concat([held, batch], ignore_index=True)
        ended = (frame["article_id"] != frame["article_id"].iloc[-1]).to_numpy()
        if ended.any():
            finished = frame[ended].reset_index(drop=True)
            closed.update(finished["article_id"].unique())
            yield decide_in_articles(finished, finished, rule)
        held = frame[~ended].reset_index(drop=True)
    if held is not None and not held.empty:
        yield decide_in_articles(held, held, rule)


def stance_frame(pairs: pd.DataFrame, claims: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """`stances` rows from a batch of pairs, their claims (indexed by claim_id) and the model's labels."""
    claim = claims.loc[pairs["claim_id"].to_numpy()]
    return pd.DataFrame({
        "pair_id": pairs["pair_id"].to_numpy(), "article_id": pairs["article_id"].to_numpy(),
        "claim_id": pairs["claim_id"].to_numpy(), "claim_index": claim["claim_index"].to_numpy(),
        "claim": claim["text"].to_numpy(), "kind": claim["kind"].to_numpy(),
        "speaker": claim["speaker_resolved"].to_numpy(), "origin": pairs["origin"].to_numpy(),
        "source": pairs["source"].to_numpy(), "target": pairs["target"].to_numpy(),
        "source_affiliation": pairs["source_affiliation"].fillna(pairs["source"]).to_numpy(),
        "target_affiliation": pairs["target_affiliation"].fillna(pairs["target"]).to_numpy(),
        "label": labels["label"].to_numpy(), "confidence": labels["confidence"].astype(float).to_numpy(),
        **{p: labels[p].astype(float).to_numpy() for p in PROBABILITIES},
    })


def label_pairs(model: StanceModel, pairs: pd.DataFrame, claims: pd.DataFrame,
                rule: DecisionRule = DecisionRule()) -> pd.DataFrame:
    """`stances` rows of a batch of pairs (columns of the `pairs` table), labelled by the model and its
    decision `rule`; `claims` holds their claims, indexed by claim_id (columns of CLAIM_COLUMNS).

    The one model call of both engines: the local engine's :func:`iter_stances` and the Ray engine's
    model actors.
    """
    labels = decide(label_texts(model, pairs["text"].astype(str).tolist()), pairs["origin"], rule)
    return stance_frame(pairs, claims, labels)


class ClaimLookup:
    """Claims by id, read forward in batches alongside the pairs that cite them.

    The front half writes pairs in claim order, so a claim is needed only
    until the pairs move past it: claims before the last one asked for are
    dropped. Should a pair cite a claim already dropped (another order), the
    claims file is read again from its start (counted in `rescans`), so the
    answer is right either way and memory stays bounded.
    """

    def __init__(self, path: Path, batch_size: int = 4096) -> None:
        self.path, self.batch_size = path, batch_size
        self.rescans = 0
        self._start()

    def _start(self) -> None:
        self._batches = pq.ParquetFile(self.path).iter_batches(batch_size=self.batch_size, columns=CLAIM_COLUMNS)
        self._buffer: OrderedDict[str, tuple] = OrderedDict()
        self._exhausted = False

    def _read_more(self) -> bool:
        try:
            batch = next(self._batches).to_pandas()
        except StopIteration:
            self._exhausted = True
            return False
        for row in batch.itertuples(index=False):
            self._buffer[row.claim_id] = tuple(row)
        return True

    @property
    def buffered(self) -> int:
        """How many claims are held now."""
        return len(self._buffer)

    def get(self, claim_ids: list[str]) -> pd.DataFrame:
        """The claims of `claim_ids` (index claim_id, columns of CLAIM_COLUMNS); an unknown id is an error."""
        wanted = list(dict.fromkeys(claim_ids))
        if not wanted:
            return pd.DataFrame(columns=CLAIM_COLUMNS).set_index("claim_id", drop=False)
        rescanned = False
        while True:
            missing = [c for c in wanted if c not in self._buffer]
            if not missing:
                break
            if not self._exhausted and self._read_more():
                continue
            if rescanned:
                raise KeyError(f"{self.path}: pairs cite claim(s) {missing[:5]} that the claims table lacks; "
                               "rerun the front half (make pairs) so its tables agree")
            self.rescans += 1
            rescanned = True
            self._start()
        rows = [self._buffer[c] for c in wanted]
        wanted_set = set(wanted)
        last = max(i for i, key in enumerate(self._buffer) if key in wanted_set)
        for key in list(self._buffer)[:last]:
            del self._buffer[key]
        return pd.DataFrame(rows, columns=CLAIM_COLUMNS).set_index("claim_id", drop=False)


def iter_stances(model: StanceModel, pairs_path: Path, claims_path: Path, batch_size: int,
                 progress: bool = False, rule: DecisionRule = DecisionRule()) -> Iterator[pd.DataFrame]:
    """Stance rows of every pair, one DataFrame per batch of at most `batch_size` pairs, labelled by `rule`."""
    from tqdm import tqdm

    pairs_file = pq.ParquetFile(pairs_path)
    claims = ClaimLookup(claims_path, batch_size=max(batch_size, 256))
    columns = ["pair_id", "claim_id", "article_id", "source", "target", "source_affiliation",
               "target_affiliation", "origin", "text"]
    articles_done: set[str] = set()
    with tqdm(total=pairs_file.metadata.num_rows, unit="pair", desc="predict", disable=not progress,
              file=sys.stderr, mininterval=1.0) as bar:
        for batch in pairs_file.iter_batches(batch_size=batch_size, columns=columns):
            pairs = batch.to_pandas()
            yield label_pairs(model, pairs, claims.get(pairs["claim_id"].tolist()), rule)
            articles_done.update(pairs["article_id"])
            bar.set_postfix(articles=len(articles_done), refresh=False)
            bar.update(len(pairs))
    if claims.rescans:
        log.warning("pairs were not in claim order: the claims table was read %d extra time(s)", claims.rescans)


class TableStream:
    """Append checked batches of one declared table to a Parquet and a CSV file, both moved into place
    only when the stream closes without error."""

    def __init__(self, table: str, parquet_path: Path, csv_path: Path) -> None:
        self.table, self.parquet_path, self.csv_path = table, parquet_path, csv_path
        self.rows = 0

    def __enter__(self) -> "TableStream":
        self._stack = ExitStack()
        self._parquet_tmp = self._stack.enter_context(atomic_path(self.parquet_path))
        csv_tmp = self._stack.enter_context(atomic_path(self.csv_path))
        self._writer = pq.ParquetWriter(self._parquet_tmp, SCHEMAS[self.table])
        # Arrow's CSV writer: about 14 times pandas' speed on stance rows, which matters to the
        # driver of a large corpus (every row passes through it). Strings are quoted.
        self._csv = pa_csv.CSVWriter(csv_tmp, SCHEMAS[self.table])
        return self

    def write(self, frame: pd.DataFrame) -> None:
        """Check one batch against the schema and append it to both files."""
        if frame.empty:
            return
        table = check_frame(frame, self.table, where=str(self.parquet_path))
        self._writer.write_table(table)
        self._csv.write_table(table)
        self.rows += len(frame)

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._writer.close()
        self._csv.close()
        if exc_type is not None:
            self._stack.__exit__(exc_type, exc, tb)
            return False
        self._stack.close()
        return False


def write_both(frame: pd.DataFrame, table: str, parquet_path: Path) -> None:
    """A whole table as Parquet (checked) and CSV beside it, both atomic."""
    write_table(frame, table, parquet_path)
    with atomic_path(parquet_path.with_suffix(".csv")) as tmp:
        frame[SCHEMAS[table].names].to_csv(tmp, index=False)


def article_rows(articles: pd.DataFrame, n_claims: Counter, label_counts: dict[str, Counter]) -> pd.DataFrame:
    """`stance_articles` rows: every article, with zero counts where it has no claims or pairs."""
    ids = articles["article_id"].tolist()
    counts = {label: [label_counts[label][a] for a in ids] for label in LABELS}
    return pd.DataFrame({
        "article_id": ids, "title": articles["title"].to_numpy(),
        "n_claims": [n_claims[a] for a in ids],
        "n_pairs": [sum(label_counts[label][a] for label in LABELS) for a in ids],
        **{f"n_{label}": counts[label] for label in LABELS},
    })


class ArticlePairTally:
    """The `stance_article_pairs` rows of a stream of stance batches, decided by `rule` and handed to
    `sink` article by article (when no sink is given they are kept, for :meth:`frame`).

    The rows of one article come together, in one batch or running on into the next (both engines write
    them in article order; :class:`PairAggregator` refuses anything else), so only the last article
    of the stream is held open: memory follows the pairs of one article, not the corpus. An article's
    rows come out with most claims first."""

    KEYS = ["article_id", "source", "target", "is_author"]
    AFFILIATIONS = ["source_affiliation", "target_affiliation"]

    def __init__(self, rule: DecisionRule = DecisionRule(),
                 sink: Callable[[pd.DataFrame], None] | None = None) -> None:
        self.rule = rule
        self._sink = sink
        self._kept: list[pd.DataFrame] = []
        self._open: pd.DataFrame | None = None  # summed rows of the articles not yet closed
        self.n_rows = self.n_claims = 0
        self.label_counts: Counter = Counter()

    def add(self, stances: pd.DataFrame) -> None:
        """Sum one batch of `stances` rows; hand on the articles it closes."""
        if stances.empty:
            return
        self.n_rows += len(stances)
        rows = stances.assign(is_author=(stances["origin"] == AUTHOR).to_numpy())
        first = rows.groupby(self.KEYS, sort=False)[self.AFFILIATIONS].first()
        summed = evidence_sums(rows, self.KEYS).join(first, on=self.KEYS)
        pending = summed if self._open is None else self._summed(pd.concat([self._open, summed], ignore_index=True))
        last = stances["article_id"].iloc[-1]
        closing = pending["article_id"] != last
        self._emit(pending[closing])
        self._open = pending[~closing].reset_index(drop=True)

    def close(self) -> None:
        """Hand on the last article."""
        if self._open is not None:
            self._emit(self._open)
            self._open = None

    def frame(self) -> pd.DataFrame:
        """The rows kept (when there is no sink), after :meth:`close`."""
        schema = SCHEMAS["stance_article_pairs"]
        if not self._kept:
            return pd.DataFrame({field.name: pd.Series(dtype=field.type.to_pandas_dtype()) for field in schema})
        return pd.concat(self._kept, ignore_index=True)

    def _summed(self, parts: pd.DataFrame) -> pd.DataFrame:
        grouped = parts.groupby(self.KEYS, sort=False)
        return grouped[SUM_COLUMNS].sum().join(grouped[self.AFFILIATIONS].first()).reset_index()

    def _emit(self, sums: pd.DataFrame) -> None:
        if sums.empty:
            return
        evidence = combined_evidence(sums, [*self.KEYS, *self.AFFILIATIONS])
        evidence["label"] = article_labels(evidence, evidence["is_author"].to_numpy(), self.rule)
        order = evidence.assign(_article=pd.factorize(evidence["article_id"])[0])
        decided = order.sort_values(["_article", "n_claims", "source", "target"], ascending=[True, False, True, True],
                                    kind="stable", ignore_index=True)[SCHEMAS["stance_article_pairs"].names]
        self.n_claims += int(decided["n_claims"].sum())
        self.label_counts.update(decided["label"])
        if self._sink is None:
            self._kept.append(decided)
        else:
            self._sink(decided)


class StanceTally:
    """What the per-article rows and the pair aggregates need of the stance rows, counted batch by batch
    (memory grows with the distinct actor pairs and the articles, not with the stance rows). `rule` is
    the model's decision rule, whose article thresholds decide the `stance_article_pairs` rows handed
    to `article_sink` (see :class:`ArticlePairTally`)."""

    def __init__(self, rule: DecisionRule = DecisionRule(),
                 article_sink: Callable[[pd.DataFrame], None] | None = None) -> None:
        self.aggregator = PairAggregator()
        self.article_pairs = ArticlePairTally(rule, article_sink)
        self.label_counts: dict[str, Counter] = {label: Counter() for label in LABELS}
        self.n_claims: Counter = Counter()
        self.rows = 0

    def add(self, stances: pd.DataFrame) -> None:
        """Count one batch of `stances` rows."""
        self.aggregator.add(stances)
        self.article_pairs.add(stances)
        self.rows += len(stances)
        for label in LABELS:
            self.label_counts[label].update(stances.loc[stances["label"] == label, "article_id"])


def finish_tables(articles: pd.DataFrame, tally: StanceTally, n_pairs_read: int, out: Path) -> dict:
    """Write `stance_articles` (every article of `articles`: article_id, title) and `stance_pairs` under
    `out` from the tally; check that the counts, also those of the article pairs the caller streamed and
    closed, reconcile with the `n_pairs_read` pairs. Returns the counts and the aggregate frame."""
    per_article = article_rows(articles, tally.n_claims, tally.label_counts)
    write_both(per_article, "stance_articles", out / "stance_articles.parquet")
    pairs = tally.aggregator.frame()
    write_both(pairs, "stance_pairs", out / "stance_pairs.parquet")
    by_article = tally.article_pairs
    counts = {
        "n_articles": len(articles), "n_articles_with_pairs": int((per_article["n_pairs"] > 0).sum()),
        "n_claims": sum(tally.n_claims.values()), "n_pairs": tally.rows,
        **{f"n_{label}": sum(tally.label_counts[label].values()) for label in LABELS},
        **{f"n_{level}_pairs": int((pairs["level"] == level).sum()) for level in LEVELS},
        "n_article_pairs": sum(by_article.label_counts.values()),
        **{f"n_article_{label}": by_article.label_counts[label] for label in LABELS},
    }
    if by_article.n_claims != tally.rows:
        raise AssertionError(f"article pairs do not add up to the {tally.rows} stance rows")
    for level in LEVELS:
        if int(pairs.loc[pairs["level"] == level, "n_pairs"].sum()) != tally.rows:
            raise AssertionError(f"{level} aggregates do not add up to the {tally.rows} stance rows")
    if not n_pairs_read == tally.rows == int(per_article["n_pairs"].sum()) == tally.aggregator.n_rows:
        raise AssertionError(f"counts do not reconcile: {n_pairs_read} pairs read, {tally.rows} stance rows, "
                             f"{int(per_article['n_pairs'].sum())} over articles")
    return {"counts": counts, "pairs": pairs}


def check_corpus_tables(tables: Path) -> None:
    """The front half's tables are there and of their declared schemas, or a clear error."""
    for name in ("articles", "claims", "pairs"):
        path = tables / f"{name}.parquet"
        if not path.exists():
            raise FileNotFoundError(f"{path}: table '{name}' not found; run the front half first (make pairs)")
        found = pq.read_schema(path).remove_metadata()
        if not found.equals(SCHEMAS[name]):
            raise SchemaError(f"{path}: does not match the declared '{name}' schema")


def predict_corpus(model: StanceModel, tables: Path, out: Path, batch_size: int, progress: bool = False,
                   rule: DecisionRule = DecisionRule()) -> dict:
    """Label every pair of the corpus tables in `tables` by the model and its decision `rule`; write
    stances, per-article rows and the pair aggregates under `out`. Returns the counts (they reconcile)
    and the aggregate frame."""
    check_corpus_tables(tables)
    with TableStream("stances", out / "stances.parquet", out / "stances.csv") as stream, \
            TableStream("stance_article_pairs", out / "stance_article_pairs.parquet",
                        out / "stance_article_pairs.csv") as by_article:
        tally = StanceTally(rule, by_article.write)
        for stances in decide_by_article(iter_stances(model, tables / "pairs.parquet", tables / "claims.parquet",
                                                      batch_size, progress, rule), rule):
            stream.write(stances)
            tally.add(stances)
        tally.article_pairs.close()
    for batch in pq.ParquetFile(tables / "claims.parquet").iter_batches(batch_size=65536, columns=["article_id"]):
        tally.n_claims.update(batch.column(0).to_pylist())
    articles = pq.read_table(tables / "articles.parquet", columns=["article_id", "title"]).to_pandas()
    n_read = pq.ParquetFile(tables / "pairs.parquet").metadata.num_rows
    if stream.rows != tally.rows:
        raise AssertionError(f"{stream.rows} stance rows written, {tally.rows} counted")
    return finish_tables(articles, tally, n_read, out)


def write_networks(pairs: pd.DataFrame, out: Path, labels: list[str], min_count: int, max_edges: int) -> dict[str, int]:
    """GraphML (every pair) and PNG (the chosen labels) of both levels; returns the edges drawn per level."""
    drawn = {}
    for level in LEVELS:
        graph = build_graph(pairs, level)
        write_graphml(graph, out / f"network_{level}.graphml")
        draw_network(graph, out / f"network_{level}.png", labels, min_count, max_edges,
                     title=f"stance network, {level} level ({', '.join(labels)})")
        drawn[level] = len(drawn_edges(graph, labels, min_count, max_edges))
    return drawn


#: The tables both engines write, each with the columns that identify its rows, and the columns that
#: hold floating-point figures (equal up to a tolerance, as batches of other shapes round otherwise).
OUTPUT_KEYS = {"stances": ["pair_id"], "stance_pairs": ["level", "source", "target"],
               "stance_article_pairs": ["article_id", "source", "target", "is_author"], "stance_articles": ["article_id"]}
FLOAT_COLUMNS = (*PROBABILITIES, "confidence", "mean_confidence", "mean_stance", "support", "hostility")


def output_differences(first: Path, second: Path) -> dict[str, dict[str, Any]]:
    """How two predict output folders differ, table by table, up to row order: each table's rows (a pair
    when the counts or columns differ), the rows differing in any column but the float ones, the largest
    difference in a probability column and in any other float column (a confidence or a mean, which
    also moves when a label flips)."""
    found: dict[str, dict[str, Any]] = {}
    for table, keys in OUTPUT_KEYS.items():
        a, b = (pd.read_parquet(folder / f"{table}.parquet").sort_values(keys, kind="stable").reset_index(drop=True)
                for folder in (first, second))
        if len(a) != len(b) or list(a.columns) != list(b.columns):
            found[table] = {"rows": [len(a), len(b)], "rows_differing": None, "max_probability_difference": None,
                            "max_float_difference": None}
            continue
        floats = [c for c in a.columns if c in FLOAT_COLUMNS]
        exact = [c for c in a.columns if c not in floats]
        unequal = (a[exact] != b[exact]) & ~(a[exact].isna() & b[exact].isna())

        def largest(columns: list[str]) -> float:
            return max((float((a[c] - b[c]).abs().max()) for c in columns if len(a)), default=0.0)

        found[table] = {"rows": len(a), "rows_differing": int(unequal.any(axis=1).sum()),
                        "max_probability_difference": largest([c for c in floats if c in PROBABILITIES]),
                        "max_float_difference": largest([c for c in floats if c not in PROBABILITIES])}
    return found


__all__ = ["ArticlePairTally", "ClaimLookup", "StanceTally", "TableStream", "check_corpus_tables", "finish_tables", "iter_stances",
           "label_pairs", "output_differences", "label_texts", "predict_corpus", "stance_frame", "write_networks"]
