"""ray_engine: make predict's whole job on Ray Data, from the input files to the same tables.

Only the wiring lives here; the work is the local engine's own functions:

1. **read**: the input files are read by Ray tasks, ``files_per_task`` each,
   with :func:`pipeline.frontend.articles.read_path`; the driver merges the
   results in the files' order (:func:`merge_results`: duplicate ids
   rejected, counts that reconcile), exactly as the ``articles`` stage does.
   The texts stay in the object store: each task leaves its articles as one
   table and sends the driver only the records with their texts cut to a
   reject's length; a second task per table keeps the merge's survivors, in
   blocks of ``articles_per_block`` articles (one Ray task each), which the
   dataset starts from;
2. **front half and model**, in one of two plans (``predict.ray.plan``):

   - *fused* (the default): ``map_batches`` through :class:`ArticleBatches`, one actor per CPU
     holding both spaCy with the actor dictionary and the champion, each loaded once. An actor runs
     :meth:`FrontHalf.run` on ``articles_per_batch`` articles, then labels their pairs with
     :func:`pipeline.stances.predict.label_pairs` under the version's decision rule. Every CPU
     does the whole job on its own articles, so the work balances itself whatever the share of
     spaCy and of the model, and no pair travels between actors;
   - *split*: ``map_batches`` through :class:`FrontHalfBatches` (front half), then through
     :class:`ChampionBatches` (model, ``model_actors`` of ``model_cpus`` CPUs), for a model that
     should sit on its own devices.

   Every actor loads the version the driver resolved, so that all serve the same one;
3. **write**: the actor that labels a batch writes its rows as one Parquet partition in the staging
   folder of the output set (:func:`write_partition`: a name given by the batch's first article and
   its contents, so that a batch Ray repeats after a lost worker rewrites the same file, written
   whole or not at all) and returns only a one-row summary, from which the driver counts the
   progress. No Ray task writes, so no worker process starts per partition. When the dataset is
   done the driver stops Ray, reads the partitions back in name order (the articles' order) and
   builds ``stances``, ``stance_articles``, ``stance_pairs`` and ``stance_article_pairs`` with the local engine's
   :class:`StanceTally` and :func:`finish_tables`. A rule that decides a claim in view of its article
   (a gate, polarity pooling) is applied there too, article by article
   (:func:`pipeline.stances.predict.decide_by_article`), since a batch may end inside an article.

One stream of rows flows through the ``map_batches`` steps (the schemas
:data:`FRONT_ROWS` and :data:`MODEL_ROWS`): a ``pair`` row per directed pair
(with its claim), an ``article`` row per article (its number of claims: the
proof that every article came through once) and a ``reject`` row per
front-half reject, so that a batch that Ray repeats after a lost worker
repeats all it produced, into the same partition.

Ray is imported inside the functions that use it: importing this module (the
stage runner does) does not import Ray, so the local engine never loads it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.config import REPO_ROOT, Config, RayConfig
from pipeline.core.decision import DecisionRule
from pipeline.core.markers import marker_strings
from pipeline.core.progress import EVERY_ENV, progress_enabled, throughput_line
from pipeline.core.tables import SCHEMAS
from pipeline.frontend.articles import IngestResult, merge_results, read_path, safe_text
from pipeline.frontend.runner import FrontHalf, FrontHalfResult, articles_from_table
from pipeline.stances.predict import (
    CLAIM_COLUMNS,
    StanceTally,
    TableStream,
    decide_by_article,
    finish_tables,
    label_pairs,
)
from pipeline.tracking.registry import load_model_at

log = logging.getLogger(__name__)

PAIR, ARTICLE, REJECT = "pair", "article", "reject"
#: Columns of the articles the front-half actors receive.
ARTICLE_INPUT = ["article_order", "article_id", "text", "outlet", "file", "line"]
PAIR_COLUMNS = ["pair_id", "claim_id", "article_id", "source", "target", "source_affiliation",
                "target_affiliation", "origin", "text"]
REJECT_COLUMNS = list(SCHEMAS["rejects"].names)
STANCE_COLUMNS = list(SCHEMAS["stances"].names)


def _nullable(schema: pa.Schema, names: list[str] | None = None) -> list[pa.Field]:
    return [pa.field(f.name, f.type, nullable=True) for f in schema if names is None or f.name in names]


_HEAD = [pa.field("row_kind", pa.string(), nullable=False), pa.field("article_order", pa.int64(), nullable=False)]
_TAIL = [pa.field("n_claims", pa.int64()), *_nullable(SCHEMAS["rejects"])]
#: Rows the front-half actors emit: pairs (with their claim's columns), articles and rejects.
FRONT_ROWS = pa.schema([
    *_HEAD, *_nullable(SCHEMAS["pairs"], PAIR_COLUMNS),
    pa.field("claim_index", pa.int64()), pa.field("claim", pa.string()), pa.field("kind", pa.string()),
    pa.field("speaker", pa.string()), *_TAIL])
#: Rows the model actors emit and the partitions hold: labelled pairs as `stances` rows, articles, rejects.
MODEL_ROWS = pa.schema([*_HEAD, *_nullable(SCHEMAS["stances"]), *_TAIL])


# ---------------------------------------------------------------- rows ---

def as_rows(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """A frame as a table of `schema` (missing columns null), so that every partition has one schema."""
    columns = {}
    for field in schema:
        values = frame[field.name] if field.name in frame.columns else pd.Series([None] * len(frame), dtype=object)
        if pa.types.is_integer(field.type):
            values = pd.array(values, dtype="Int64")
        columns[field.name] = pa.array(values, type=field.type, from_pandas=True)
    return pa.table(columns, schema=schema)


def front_rows(result: FrontHalfResult, batch: pd.DataFrame) -> pa.Table:
    """The :data:`FRONT_ROWS` of one batch of articles (:data:`ARTICLE_INPUT` columns) from its
    front-half result: a row per pair with its claim, a row per article with its number of claims,
    a row per reject."""
    order = dict(zip(batch["article_id"], batch["article_order"].astype(int)))
    claims = pd.DataFrame(result.claims, columns=SCHEMAS["claims"].names).set_index("claim_id", drop=False)
    pairs = pd.DataFrame(result.pairs, columns=SCHEMAS["pairs"].names)[PAIR_COLUMNS]
    claim = claims.reindex(pairs["claim_id"])
    pair_rows = pairs.assign(
        row_kind=PAIR, article_order=pairs["article_id"].map(order),
        claim_index=claim["claim_index"].to_numpy(), claim=claim["text"].to_numpy(), kind=claim["kind"].to_numpy(),
        speaker=claim["speaker_resolved"].to_numpy())
    n_claims = claims["article_id"].value_counts()
    article_rows = pd.DataFrame({
        "row_kind": ARTICLE, "article_order": batch["article_order"].astype(int).to_numpy(),
        "article_id": batch["article_id"].to_numpy(),
        "n_claims": [int(n_claims.get(a, 0)) for a in batch["article_id"]]})
    rejects = pd.DataFrame(result.rejects, columns=REJECT_COLUMNS)
    reject_rows = rejects.assign(row_kind=REJECT, article_order=-1)
    frames = [f for f in (pair_rows, article_rows, reject_rows) if not f.empty]
    return as_rows(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(), FRONT_ROWS)


def model_rows(model: Any, batch: pd.DataFrame, rule: DecisionRule) -> pa.Table:
    """The :data:`MODEL_ROWS` of a batch of :data:`FRONT_ROWS`: its pairs labelled by the model and
    `rule` (:func:`label_pairs`, the local engine's call), its article and reject rows passed on."""
    is_pair = batch["row_kind"] == PAIR
    pairs = batch[is_pair].reset_index(drop=True)
    frames = []
    if not pairs.empty:
        claims = (pairs[["claim_id", "claim_index", "claim", "kind", "speaker"]]
                  .rename(columns={"claim": "text", "speaker": "speaker_resolved"})
                  .drop_duplicates("claim_id").set_index("claim_id", drop=False)[CLAIM_COLUMNS])
        stances = label_pairs(model, pairs[PAIR_COLUMNS], claims, rule)
        frames.append(stances.assign(row_kind=PAIR, article_order=pairs["article_order"].to_numpy()))
    others = batch[~is_pair]
    if not others.empty:
        frames.append(others[["row_kind", "article_order", "article_id", "n_claims", *REJECT_COLUMNS]])
    return as_rows(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(), MODEL_ROWS)


# -------------------------------------------------------------- actors ---

@dataclass(frozen=True)
class FrontSections:
    """The config sections the front half needs (what a front-half actor receives)."""

    claims: Any
    actors: Any
    pairs: Any
    examples: Any
    lexicon: Any

    @classmethod
    def from_config(cls, config: Config) -> "FrontSections":
        """The sections of a config, spaCy in one process (the actor is the unit of parallelism)."""
        return cls(config.claims.model_copy(update={"n_process": 1}), config.actors, config.pairs, config.examples,
                   config.lexicon)


class FrontHalfBatches:
    """A Ray Data actor: the front half, spaCy and the actor dictionary loaded once, over batches of articles."""

    def __init__(self, sections: FrontSections) -> None:
        self.front = FrontHalf(sections.claims, sections.actors, sections.pairs, sections.examples, sections.lexicon)
        self.front.nlp  # noqa: B018  (load spaCy now, once, not inside the first batch)

    def __call__(self, batch: pd.DataFrame) -> pa.Table:
        return front_rows(self.front.run(articles_from_table(batch)), batch)


class ChampionBatches:
    """A Ray Data actor: the model loaded once (the pinned registry version), over batches of rows, each
    batch's labelled rows written as a partition in `folder` and summarised (:func:`write_partition`)."""

    def __init__(self, model_uri: str, tracking_uri: str, rule_json: str | None, threads: int,
                 folder: str) -> None:
        self.model = load_model_at(model_uri, tracking_uri)
        self.rule = DecisionRule.from_json(rule_json)
        self.folder = Path(folder)
        set_torch_threads(threads)  # after loading: a model's loader may set its own count

    def __call__(self, batch: pd.DataFrame) -> pa.Table:
        return write_partition(model_rows(self.model, batch, self.rule), self.folder)


class ArticleBatches:
    """A Ray Data actor of the fused plan: the front half and the model, each loaded once, over batches of
    articles; a batch's pairs are labelled and written where they were made, so none crosses to another
    actor."""

    def __init__(self, sections: FrontSections, model_uri: str, tracking_uri: str, rule_json: str | None,
                 threads: int, folder: str) -> None:
        self.front = FrontHalfBatches(sections)
        self.champion = ChampionBatches(model_uri, tracking_uri, rule_json, threads, folder)

    def __call__(self, batch: pd.DataFrame) -> pa.Table:
        return self.champion(self.front(batch).to_pandas())


def set_torch_threads(threads: int) -> None:
    """Give torch the actor's CPUs (Ray does not pin them; torch would take every core of the node)."""
    try:
        import torch
    except ImportError:  # a model without torch
        return
    torch.set_num_threads(max(1, threads))


# ------------------------------------------------------------ planning ---

@dataclass(frozen=True)
class ActorPlan:
    """How many actors of each kind, the CPUs each asks Ray for, and the model's torch threads per actor.
    In the fused plan the front-half actors also hold the model, and there are no model actors."""

    plan: str
    front_actors: int
    front_cpus: float
    model_actors: int
    model_cpus: float
    torch_threads: int


def plan_actors(cluster_cpus: float, settings: RayConfig) -> ActorPlan:
    """Actors for a cluster of `cluster_cpus`.

    Fused (the default): ``front_actors`` actors (default one per CPU), each running front half and
    model with one torch thread. Split: ``front_actors`` front-half actors (default one per CPU: spaCy
    is the costly part) and ``model_actors`` model actors of ``model_cpus`` CPUs (their torch threads).
    When the actors ask for more CPUs than the cluster has, each asks for its share, so that every actor
    runs at once (Ray's CPUs are for placing actors; the system shares the cores)."""
    front = settings.front_actors or max(1, int(cluster_cpus))
    if settings.plan == "fused":
        return ActorPlan("fused", front, min(1.0, cluster_cpus / front), 0, 0.0, 1)
    demand = front + settings.model_actors * settings.model_cpus
    share = min(1.0, cluster_cpus / demand)
    return ActorPlan("split", front, share, settings.model_actors, settings.model_cpus * share, settings.model_cpus)


def describe_plan(plan: ActorPlan) -> str:
    """The plan in words, for the terminal."""
    if plan.plan == "fused":
        return (f"{plan.front_actors} actor(s) of {plan.front_cpus:.2g} CPU, each running the front half and the "
                f"model ({plan.torch_threads} torch thread)")
    return (f"{plan.front_actors} front-half actor(s) of {plan.front_cpus:.2g} CPU, {plan.model_actors} model "
            f"actor(s) of {plan.model_cpus:.2g} CPU ({plan.torch_threads} torch thread(s))")


def ray_address(settings: RayConfig, environ: dict[str, str]) -> str | None:
    """The cluster to join: ``predict.ray.address``, else ``RAY_ADDRESS``; None starts Ray in-process."""
    return settings.address or environ.get("RAY_ADDRESS") or None


def runtime_env(tracking_uri: str, environ: dict[str, str]) -> dict:
    """What every worker needs: this checkout on its import path (the package and configs/ at the
    same path on every node: a shared checkout and venv), the tracking store, no nested progress bars."""
    path = os.pathsep.join(p for p in (str(REPO_ROOT), environ.get("PYTHONPATH", "")) if p)
    return {"env_vars": {"PYTHONPATH": path, "MLFLOW_TRACKING_URI": tracking_uri, "PIPELINE_PROGRESS": "0",
                         "TOKENIZERS_PARALLELISM": "false"}}


def auth_environment(address: str | None, environ: dict[str, str], home: Path) -> dict[str, str]:
    """Variables to set before joining a cluster: ``RAY_AUTH_MODE=token`` when a token is at hand
    (``RAY_AUTH_TOKEN``, ``RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``) and the mode is not set.

    A head started with ``ray start`` uses token authentication by default, while a driver joining
    it sends no token unless told to; Ray in-process needs none.
    """
    if not address or "RAY_AUTH_MODE" in environ:
        return {}
    has_token = "RAY_AUTH_TOKEN" in environ or "RAY_AUTH_TOKEN_PATH" in environ or (home / ".ray" / "auth_token").exists()
    return {"RAY_AUTH_MODE": "token"} if has_token else {}


def init_kwargs(settings: RayConfig, tracking_uri: str, environ: dict[str, str]) -> dict:
    """Arguments of ``ray.init``: join the configured cluster, or start one in this process
    (``address='local'``: never an unrelated cluster found on the machine) with ``num_cpus``."""
    kwargs: dict[str, Any] = {"runtime_env": runtime_env(tracking_uri, environ), "logging_level": logging.ERROR,
                              "log_to_driver": True}
    address = ray_address(settings, environ)
    if address:
        return {**kwargs, "address": address}
    return {**kwargs, "address": "local", "num_cpus": settings.num_cpus or len(os.sched_getaffinity(0)),
            "include_dashboard": False}


# ------------------------------------------------------------- reading ---

#: The schema of the article blocks the read tasks leave in the object store (the articles table's columns).
ARTICLE_BLOCK = pa.schema([SCHEMAS["articles"].field(name) for name in ARTICLE_INPUT if name != "article_order"])


def read_files(paths: list[str], settings: Any, markers: tuple[str, ...]) -> tuple[list[IngestResult], pa.Table]:
    """One Ray task's share of the reading: the per-file results, in order, with each article's text cut
    to what a rejects row keeps (all the driver needs to merge them), and the articles' input columns as
    one table (:data:`ARTICLE_BLOCK`, in the same order), which stays in the object store."""
    results = [read_path(Path(p), settings, root=REPO_ROOT, markers=markers) for p in paths]
    records = [article for result in results for article in result.articles]
    block = pa.table({f.name: pa.array([a[f.name] for a in records], type=f.type) for f in ARTICLE_BLOCK},
                     schema=ARTICLE_BLOCK)
    for result in results:
        result.articles = [article | {"text": safe_text(article["text"])} for article in result.articles]
    return results, block


def kept_rows(block: pa.Table, positions: list[int], first_order: int) -> pa.Table:
    """The rows at `positions` of one read task's `block` (articles that survived the merge), numbered in
    the corpus order from `first_order` (``article_order``)."""
    kept = block.take(pa.array(positions, type=pa.int64()))
    return kept.add_column(0, "article_order", pa.array(range(first_order, first_order + len(positions)),
                                                        type=pa.int64()))


@dataclass
class ReadArticles:
    """The merged reading of the input files (texts cut, as :func:`read_files` leaves them), and the refs
    of the article blocks in the object store, in the corpus order (the texts never pass the driver)."""

    ingest: IngestResult
    blocks: list[Any]


def read_inputs(files: list[Path], config: Config) -> ReadArticles:
    """Every input file read by Ray tasks in parallel, merged on the driver in the files' order, as the
    ``articles`` stage would read them (the same rejects, counts and messages); the accepted articles'
    blocks, of ``articles_per_block`` articles, made where the texts lie."""
    import ray

    per_task = config.predict.ray.files_per_task
    per_block = config.predict.ray.articles_per_block
    chunks = [[str(p) for p in files[i:i + per_task]] for i in range(0, len(files), per_task)]
    read = ray.remote(num_returns=2)(read_files)
    markers = marker_strings(config.examples)
    refs = [read.remote(chunk, config.articles, markers) for chunk in chunks]
    per_chunk = ray.get([results for results, _ in refs])
    for number, results in enumerate(per_chunk):  # where each record lies: (chunk, position in its block)
        for position, article in enumerate(a for result in results for a in result.articles):
            article["block_position"] = (number, position)
    ingest = merge_results([result for results in per_chunk for result in results])
    positions: list[list[int]] = [[] for _ in chunks]
    for article in ingest.articles:
        number, position = article.pop("block_position")
        positions[number].append(position)
    select = ray.remote(kept_rows)
    blocks, order = [], 0
    for (_, block), kept in zip(refs, positions):
        for start in range(0, len(kept), per_block):
            blocks.append(select.remote(block, kept[start:start + per_block], order + start))
        order += len(kept)
    return ReadArticles(ingest, blocks)


def article_index(result: IngestResult) -> pd.DataFrame:
    """The accepted articles' ids and titles, in the corpus order (what the tables need of them)."""
    return pd.DataFrame({"article_id": [a["article_id"] for a in result.articles],
                         "title": [a["title"] for a in result.articles]}, dtype=object)


# ---------------------------------------------------------- partitions ---

#: What an actor returns for each batch it wrote: the batch's first article (its place in the corpus),
#: its articles, pairs and rows, and the partition's file name.
SUMMARY = pa.schema([pa.field("first_order", pa.int64()), pa.field("n_articles", pa.int64()),
                     pa.field("n_pairs", pa.int64()), pa.field("n_rows", pa.int64()), pa.field("file", pa.string())])


def first_order(rows: pa.Table) -> int:
    """The place in the corpus of a batch's first article (``article_order``); -1 for a batch of none."""
    return min((order for order in rows.column("article_order").to_pylist() if order >= 0), default=-1)


def partition_name(rows: pa.Table) -> str:
    """The file name of a batch's partition: its first article's place in the corpus (so that the names
    sort in the articles' order), then a digest of its rows' kinds and ids (so that two batches never
    share a name, and the same batch, repeated after a lost worker, always gets the same one)."""
    first = first_order(rows)
    digest = hashlib.sha1()
    for name in ("row_kind", "article_id", "pair_id"):
        digest.update("\x1f".join(map(str, rows.column(name).to_pylist())).encode("utf-8") + b"\x1e")
    return f"part-{first if first >= 0 else 10**12 - 1:012d}-{digest.hexdigest()[:16]}.parquet"


def write_partition(rows: pa.Table, folder: Path) -> pa.Table:
    """Write one batch's :data:`MODEL_ROWS` as a partition in `folder`, whole or not at all (a temporary
    file renamed into place), and return its :data:`SUMMARY` row."""
    folder.mkdir(parents=True, exist_ok=True)
    name = partition_name(rows)
    temporary = folder / f".{name}.{os.getpid()}.tmp"
    pq.write_table(rows, temporary)
    os.replace(temporary, folder / name)
    kinds = rows.column("row_kind").to_pylist()
    return pa.table({"first_order": [first_order(rows)], "n_articles": [kinds.count(ARTICLE)],
                     "n_pairs": [kinds.count(PAIR)], "n_rows": [len(kinds)], "file": [name]}, schema=SUMMARY)


class BatchProgress:
    """The articles and pairs done, from the actors' summaries as the driver receives them, reported with
    the throughput and an ETA: a line every ``PIPELINE_PROGRESS_EVERY_S`` seconds (default 30; every 2 s
    on a terminal), and once at the end."""

    def __init__(self, total_articles: int, enabled: bool = True) -> None:
        self.total = total_articles
        self.enabled = progress_enabled(enabled)
        every = 2.0 if sys.stderr.isatty() else 30.0
        self.every_s = float(os.environ.get(EVERY_ENV, every))
        self.articles = self.pairs = self.partitions = 0
        self.began = self._last = time.monotonic()

    def add(self, summary: pd.DataFrame) -> None:
        """Count the batches of one block of summaries; report if a line is due."""
        self.articles += int(summary["n_articles"].sum())
        self.pairs += int(summary["n_pairs"].sum())
        self.partitions += len(summary)
        now = time.monotonic()
        if self.enabled and now - self._last >= self.every_s:
            print(self.line(), file=sys.stderr, flush=True)
            self._last = now

    def line(self) -> str:
        """The report now."""
        return throughput_line("predict (ray)", self.articles, self.total, self.pairs, time.monotonic() - self.began)

    def finish(self) -> None:
        """The last report."""
        if self.enabled:
            print(self.line(), file=sys.stderr, flush=True)


# ------------------------------------------------------------- running ---

def quiet_ray_data() -> None:
    """Keep Ray Data's chatter out of the terminal (each execution's plan and log folder, the sink's row
    count, its notes on progress bars and on actor pools smaller than asked for): predict prints its own
    progress, and Ray's session folder (``/tmp/ray/session_*/logs``) keeps the full logs. Errors still show."""
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="The minimum number of concurrent actors", category=UserWarning)


def run_dataset(blocks: list[Any], config: Config, model_uri: str, rule_json: str | None, plan: ActorPlan,
                folder: Path) -> Iterator[pd.DataFrame]:
    """Front half and model over the article `blocks` (refs of :func:`kept_rows` tables) on Ray Data, the
    actors writing each batch's rows as a partition in `folder`; yields the actors' :data:`SUMMARY` rows
    as they come."""
    import ray.data

    quiet_ray_data()
    context = ray.data.DataContext.get_current()
    # The partitions' names carry the articles' order, so the batches may finish in any order.
    context.execution_options.preserve_order = False
    context.enable_progress_bars = False  # BatchProgress reports articles and pairs instead
    per_batch = config.predict.ray.articles_per_batch
    dataset = ray.data.from_arrow_refs(blocks)
    sections = FrontSections.from_config(config)
    champion = {"model_uri": model_uri, "tracking_uri": config.tracking_uri, "rule_json": rule_json,
                "threads": plan.torch_threads, "folder": str(folder)}
    if plan.plan == "fused":
        dataset = dataset.map_batches(
            ArticleBatches, fn_constructor_kwargs={"sections": sections, **champion}, batch_size=per_batch,
            batch_format="pandas", compute=ray.data.ActorPoolStrategy(size=plan.front_actors),
            num_cpus=plan.front_cpus)
    else:
        dataset = dataset.map_batches(
            FrontHalfBatches, fn_constructor_kwargs={"sections": sections}, batch_size=per_batch,
            batch_format="pandas", compute=ray.data.ActorPoolStrategy(size=plan.front_actors),
            num_cpus=plan.front_cpus)
        dataset = dataset.map_batches(
            ChampionBatches, fn_constructor_kwargs=champion, batch_size=config.predict.batch_size,
            batch_format="pandas", compute=ray.data.ActorPoolStrategy(size=plan.model_actors),
            num_cpus=plan.model_cpus)
    yield from dataset.iter_batches(batch_size=None, batch_format="pandas")


def read_partitions(folder: Path, batch_size: int = 65536) -> Iterator[pd.DataFrame]:
    """The partition rows, file by file in name order (the articles' order, :func:`partition_name`);
    integer columns stay integers (nullable), as the local engine writes them."""
    integers = {pa.int64(): pd.Int64Dtype()}.get
    for path in sorted(folder.glob("*.parquet")):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
            yield batch.to_pandas(types_mapper=integers)


def tables_from_partitions(folder: Path, articles: pd.DataFrame, out: Path, rule: DecisionRule = DecisionRule()) -> dict:
    """``stances`` (Parquet and CSV), ``stance_articles``, ``stance_pairs`` and ``stance_article_pairs``
    (under the decision `rule`) under `out` from the partitions, with the local engine's tally; the
    front half's rejects in the result.

    Every article must have come through exactly once (one ``article`` row): a repeated or lost batch
    is an error, never a silently doubled or missing row.
    """
    seen: dict[str, int] = {}
    rejects: list[pd.DataFrame] = []
    with TableStream("stances", out / "stances.parquet", out / "stances.csv") as stream, \
            TableStream("stance_article_pairs", out / "stance_article_pairs.parquet",
                        out / "stance_article_pairs.csv") as by_article:
        tally = StanceTally(rule, by_article.write)
        def pair_rows() -> Iterator[pd.DataFrame]:
            for frame in read_partitions(folder):
                kind = frame["row_kind"]
                yield frame.loc[kind == PAIR, STANCE_COLUMNS].reset_index(drop=True)
                done = frame.loc[kind == ARTICLE]
                for article_id, n_claims in zip(done["article_id"], done["n_claims"]):
                    seen[article_id] = seen.get(article_id, 0) + 1
                    tally.n_claims[article_id] += int(n_claims)
                rejects.append(frame.loc[kind == REJECT, REJECT_COLUMNS])

        for stances in decide_by_article(pair_rows(), rule):
            stream.write(stances)
            tally.add(stances)
        tally.article_pairs.close()
    repeated = sorted(a for a, n in seen.items() if n > 1)
    missing = sorted(set(articles["article_id"]) - set(seen))
    if repeated or missing:
        raise AssertionError(f"the partitions hold articles {repeated[:5]} more than once and lack {missing[:5]} "
                             f"({len(repeated)} repeated, {len(missing)} missing)")
    result = finish_tables(articles[["article_id", "title"]], tally, tally.rows, out)
    front_rejects = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=REJECT_COLUMNS)
    return {**result, "front_rejects": front_rejects}


def cluster_cpus() -> float:
    """CPUs of the Ray cluster this process is connected to."""
    import ray

    return float(ray.cluster_resources().get("CPU", 1.0))


def predict_on_ray(config: Config, files: list[Path], model_uri: str, rule_json: str | None, staging: Path) -> dict:
    """The whole predict job on Ray: read `files`, front half, model, partitions under
    ``staging/partitions``, tables under `staging`. Returns the counts, the aggregates, the rejects
    (reading's, then the front half's), the ingest result, what ran where and the seconds of each
    step (reading, the dataset's map and write, the driver's tables)."""
    settings = config.predict.ray
    # Before Ray is imported: it reads its authentication mode once, on import.
    os.environ.update(auth_environment(ray_address(settings, dict(os.environ)), dict(os.environ), Path.home()))
    import ray

    ray.init(**init_kwargs(settings, config.tracking_uri, dict(os.environ)))
    folder = staging / "partitions"
    try:
        cpus = cluster_cpus()
        plan = plan_actors(cpus, settings)
        address = ray_address(settings, dict(os.environ))
        print(f"predict (ray): {'cluster ' + address if address else 'in-process Ray'} with {cpus:g} CPUs: "
              f"{describe_plan(plan)}", file=sys.stderr)
        began = time.perf_counter()
        read = read_inputs(files, config)
        ingest = read.ingest
        if not ingest.reconciles():
            raise RuntimeError(f"article counts do not reconcile: {ingest.summary()}, {len(ingest.rejects)} rejects rows")
        for message in ingest.messages:
            print(message, file=sys.stderr)
        read_seconds = time.perf_counter() - began
        articles = article_index(ingest)
        mapped = time.perf_counter()
        folder.mkdir()
        if len(articles):
            progress = BatchProgress(len(articles), config.predict.progress)
            for summary in run_dataset(read.blocks, config, model_uri, rule_json, plan, folder):
                progress.add(summary)
            progress.finish()
        dataset_seconds = time.perf_counter() - mapped
        del read  # the blocks' refs: nothing of the dataset outlives Ray
    finally:
        # Before the tables: the driver's share of Ray (its object store client, the dataset's
        # bookkeeping) is freed, so that it does not add to the tables' memory.
        ray.shutdown()
    tabled = time.perf_counter()
    result = tables_from_partitions(folder, articles, staging, DecisionRule.from_json(rule_json))
    timings = {"read_seconds": round(read_seconds, 2), "dataset_seconds": round(dataset_seconds, 2),
               "tables_seconds": round(time.perf_counter() - tabled, 2)}
    if not settings.keep_partitions:
        shutil.rmtree(folder)
    rejects = pd.concat([pd.DataFrame(ingest.rejects, columns=REJECT_COLUMNS).astype({"line": "Int64"}),
                         result["front_rejects"].astype({"line": "Int64"})], ignore_index=True)
    return {**result, "rejects": rejects, "ingest": ingest, **timings,
            "ray": {"address": address or "in-process", "cluster_cpus": cpus, **asdict(plan)}}


__all__ = ["ARTICLE_INPUT", "ActorPlan", "ArticleBatches", "describe_plan", "auth_environment", "ChampionBatches", "FRONT_ROWS", "FrontHalfBatches", "MODEL_ROWS",
           "BatchProgress", "partition_name", "write_partition", "front_rows", "init_kwargs", "model_rows", "plan_actors", "predict_on_ray",
           "ray_address", "read_inputs", "tables_from_partitions"]
