"""The Ray engine of make predict (pipeline/stances/ray_engine.py).

Unit tests of its pure parts run without Ray. The tests marked `ray` start a real local cluster
(`ray start --head` on free ports with 2 CPUs, tests/ray_cluster.py), run `make predict ENGINE=ray`
against it by address, and compare its tables with the local engine's on the same corpus: the seed
articles and a malformed record. They use the smoke run's champion (so they are `train` tests too)
and stop the cluster they started.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.core.config import REPO_ROOT, RayConfig, load_config
from pipeline.core.decision import DecisionRule
from pipeline.core.progress import throughput_line
from pipeline.core.tables import SCHEMAS
from pipeline.frontend.articles import ingest_paths, input_files, merge_results, read_path
from pipeline.frontend.runner import FrontHalfResult
from pipeline.stances.predict import output_differences
from pipeline.stances.ray_engine import (
    ARTICLE_INPUT,
    FRONT_ROWS,
    MODEL_ROWS,
    BatchProgress,
    article_index,
    as_rows,
    auth_environment,
    describe_plan,
    front_rows,
    init_kwargs,
    model_rows,
    partition_name,
    plan_actors,
    ray_address,
    read_inputs,
    tables_from_partitions,
    write_partition,
)
from pipeline.tracking.registry import pinned_model_uri

sys.path.insert(0, str(Path(__file__).parent))
import ray_cluster  # noqa: E402

BAD_INPUTS = REPO_ROOT / "tests" / "data" / "bad"


# ------------------------------------------------------------- planning ---

def test_split_actors_fill_the_cluster_and_share_it_when_it_is_small():
    four = plan_actors(4, RayConfig(plan="split", front_actors=3))
    assert (four.front_actors, four.front_cpus, four.model_actors, four.model_cpus, four.torch_threads) == (3, 1.0, 1, 1.0, 1)
    two = plan_actors(2, RayConfig(plan="split"))  # a front-half actor per CPU and the model actor: three share two CPUs
    assert (two.front_actors, two.model_actors, two.torch_threads) == (2, 1, 1)
    assert two.front_cpus == two.model_cpus == pytest.approx(2 / 3)
    assert two.front_actors * two.front_cpus + two.model_actors * two.model_cpus == pytest.approx(2)
    big = plan_actors(8, RayConfig(plan="split", front_actors=4, model_actors=2, model_cpus=2))
    assert (big.front_actors, big.front_cpus, big.model_cpus, big.torch_threads) == (4, 1.0, 2.0, 2)
    one = plan_actors(1, RayConfig(plan="split"))
    assert (one.front_actors, one.front_cpus, one.model_cpus, one.torch_threads) == (1, 0.5, 0.5, 1)
    assert "model actor(s)" in describe_plan(two)


def test_fused_actors_are_one_per_cpu_each_with_one_torch_thread():
    two = plan_actors(2, RayConfig())
    assert (two.plan, two.front_actors, two.front_cpus, two.model_actors, two.torch_threads) == ("fused", 2, 1.0, 0, 1)
    fewer = plan_actors(16, RayConfig(front_actors=4))  # fewer actors than CPUs: the memory of 4 models and spaCys
    assert (fewer.front_actors, fewer.front_cpus) == (4, 1.0)
    crowded = plan_actors(2, RayConfig(front_actors=4))
    assert crowded.front_actors * crowded.front_cpus == pytest.approx(2)
    assert "front half and the model" in describe_plan(two)


def test_no_address_starts_ray_in_process_and_an_address_joins_a_cluster():
    local = init_kwargs(RayConfig(num_cpus=2), "sqlite:////x/mlflow.db", {})
    assert local["address"] == "local" and local["num_cpus"] == 2  # 'local': never a cluster found lying around
    assert local["runtime_env"]["env_vars"]["MLFLOW_TRACKING_URI"] == "sqlite:////x/mlflow.db"
    assert str(REPO_ROOT) in local["runtime_env"]["env_vars"]["PYTHONPATH"]
    joined = init_kwargs(RayConfig(), "u", {"RAY_ADDRESS": "10.0.0.1:6379"})
    assert joined["address"] == "10.0.0.1:6379" and "num_cpus" not in joined
    assert ray_address(RayConfig(address="ray://head:10001"), {"RAY_ADDRESS": "other:6379"}) == "ray://head:10001"


def test_joining_a_cluster_sends_the_token_when_there_is_one(tmp_path):
    assert auth_environment(None, {}, tmp_path) == {}  # in-process: no token
    assert auth_environment("head:6379", {}, tmp_path) == {}  # no token at hand: left to Ray
    assert auth_environment("head:6379", {"RAY_AUTH_TOKEN": "t"}, tmp_path) == {"RAY_AUTH_MODE": "token"}
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text("t")
    assert auth_environment("head:6379", {}, tmp_path) == {"RAY_AUTH_MODE": "token"}
    assert auth_environment("head:6379", {"RAY_AUTH_MODE": "disabled"}, tmp_path) == {}  # the user's choice stands


def test_workers_load_the_version_the_alias_named_when_predict_began():
    provenance = {"model_uri": "models:/actor-pair-stance@champion", "model_version": "7"}
    assert pinned_model_uri(provenance) == "models:/actor-pair-stance/7"
    assert pinned_model_uri({"model_uri": "runs:/abc/model"}) == "runs:/abc/model"


def test_the_throughput_line_says_articles_pairs_rates_and_eta():
    line = throughput_line("predict (ray)", 100, 400, 2500, 50.0)
    assert line == ("predict (ray): 100/400 articles (25%), 2,500 pairs; 2.00 articles/s, 50.0 pairs/s; "
                    "50s elapsed, ETA 150s")
    assert "ETA unknown" in throughput_line("predict", 0, 400, 0, 3.0)


# --------------------------------------------------------------- reading ---

def test_reading_file_by_file_then_merging_is_reading_them_all(config):
    files = input_files(BAD_INPUTS)
    whole = ingest_paths(files, config.articles, root=REPO_ROOT)
    merged = merge_results([read_path(p, config.articles, root=REPO_ROOT) for p in files])
    assert merged.articles == whole.articles and merged.rejects == whole.rejects
    assert merged.summary() == whole.summary() and merged.messages == whole.messages
    assert whole.rejects, "the bad inputs give rejects"


@pytest.mark.ray
def test_ray_tasks_read_the_files_as_the_articles_stage_and_the_texts_stay_in_blocks(config, tmp_path):
    import ray

    corpus = tmp_path / "corpus"
    shutil.copytree(BAD_INPUTS, corpus)
    records = [{"id": f"n{i}", "title": f"T{i}", "text": f"Article {i} " + "word " * 200} for i in range(5)]
    records.append({"id": "n1", "title": "again", "text": "A second article under the id n1."})
    (corpus / "zz.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    files = input_files(corpus)
    whole = ingest_paths(files, config.articles, root=REPO_ROOT)
    settings = config.model_copy(update={"predict": config.predict.model_copy(update={
        "ray": config.predict.ray.model_copy(update={"files_per_task": 3, "articles_per_block": 2})})})
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        read = read_inputs(files, settings)
        blocks = [ray.get(ref) for ref in read.blocks]
    finally:
        ray.shutdown()
    assert read.ingest.rejects == whole.rejects and read.ingest.summary() == whole.summary()
    assert any("duplicate article id n1" in r["reason"] for r in whole.rejects)
    assert all(block.num_rows <= 2 for block in blocks)
    rows = pd.concat([block.to_pandas() for block in blocks], ignore_index=True)
    assert list(rows.columns) == ARTICLE_INPUT
    assert rows["article_order"].tolist() == list(range(len(whole.articles)))
    expected = pd.DataFrame(whole.articles)
    for column in ("article_id", "text", "file"):
        assert rows[column].tolist() == expected[column].tolist(), column
    assert article_index(read.ingest)["title"].tolist() == [a["title"] for a in whole.articles]
    assert max(len(a["text"]) for a in read.ingest.articles) <= 500, "the driver keeps no whole text"


# ------------------------------------------------------------------ rows ---

def _articles(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"article_order": range(len(ids)), "article_id": ids, "text": ["t"] * len(ids),
                         "outlet": [None] * len(ids), "file": ["in.jsonl"] * len(ids), "line": [1, None][:len(ids)]})


def _claim(claim_id: str, article_id: str, index: int) -> dict:
    record = dict.fromkeys(SCHEMAS["claims"].names)
    return {**record, "claim_id": claim_id, "article_id": article_id, "claim_index": index, "text": f"claim {index}",
            "kind": "statement", "speaker_resolved": None}


def _pair(pair_id: str, claim_id: str, article_id: str, origin: str = "named") -> dict:
    record = dict.fromkeys(SCHEMAS["pairs"].names)
    return {**record, "pair_id": pair_id, "claim_id": claim_id, "article_id": article_id, "source": "A",
            "target": "B", "source_affiliation": None, "target_affiliation": "Bland", "origin": origin,
            "text": "<src>A</src> and <tgt>B</tgt>"}


class FixedModel:
    """A pyfunc stand-in: every text supportive with 0.6."""

    def predict(self, data: pd.DataFrame) -> pd.DataFrame:
        n = len(data)
        return pd.DataFrame({"label": ["supportive"] * n, "confidence": [0.6] * n, "p_supportive": [0.6] * n,
                             "p_hostile": [0.1] * n, "p_neutral": [0.3] * n})


def front_result() -> FrontHalfResult:
    """Article a1 with two claims and two pairs; a2 without claims (a reject)."""
    return FrontHalfResult(
        claims=[_claim("a1-c0", "a1", 0), _claim("a1-c1", "a1", 1)], mentions=[],
        pairs=[_pair("a1-c0-p0", "a1-c0", "a1"), _pair("a1-c1-p0", "a1-c1", "a1", origin="author")],
        rejects=[{"stage": "claims", "file": "in.jsonl", "line": 2, "reason": "article a2: no claims", "raw": "t"}])


def test_front_rows_carry_pairs_with_their_claims_every_article_and_the_rejects():
    table = front_rows(front_result(), _articles(["a1", "a2"]))
    assert table.schema == FRONT_ROWS
    rows = table.to_pandas()
    assert rows["row_kind"].tolist() == ["pair", "pair", "article", "article", "reject"]
    pairs = rows[rows["row_kind"] == "pair"]
    assert pairs["claim"].tolist() == ["claim 0", "claim 1"] and pairs["claim_index"].tolist() == [0, 1]
    articles = rows[rows["row_kind"] == "article"]
    assert dict(zip(articles["article_id"], articles["n_claims"])) == {"a1": 2, "a2": 0}
    assert rows.loc[rows["row_kind"] == "reject", "line"].tolist() == [2]


def test_model_rows_label_the_pairs_by_the_rule_and_pass_the_rest_on():
    front = front_rows(front_result(), _articles(["a1", "a2"])).to_pandas()
    rule = DecisionRule(entity_threshold=0.7, author_threshold=0.5)  # 0.6 is below the rule for named pairs only
    table = model_rows(FixedModel(), front, rule)
    assert table.schema == MODEL_ROWS
    rows = table.to_pandas()
    stances = rows[rows["row_kind"] == "pair"]
    assert stances["label"].tolist() == ["neutral", "supportive"]
    assert stances["target_affiliation"].tolist() == ["Bland", "Bland"]
    assert stances["source_affiliation"].tolist() == ["A", "A"]  # an actor without affiliation stands for itself
    assert (rows["row_kind"] != "pair").sum() == 3


def test_a_batch_without_pairs_still_gives_its_article_rows():
    result = FrontHalfResult(rejects=[])
    rows = model_rows(FixedModel(), front_rows(result, _articles(["x"])).to_pandas(), DecisionRule()).to_pandas()
    assert rows[["row_kind", "article_id", "n_claims"]].values.tolist() == [["article", "x", 0]]


def test_as_rows_gives_nulls_for_missing_columns_and_keeps_integers():
    table = as_rows(pd.DataFrame({"row_kind": ["article"], "article_order": [0.0], "line": [float("nan")]}), MODEL_ROWS)
    assert table.column("line").null_count == 1 and table.column("article_order").to_pylist() == [0]


# ------------------------------------------------------------ partitions ---

def _write_partition(folder: Path, name: str, frame: pd.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(as_rows(frame, MODEL_ROWS), folder / name)


def _partition_frame() -> pd.DataFrame:
    front = front_rows(front_result(), _articles(["a1", "a2"])).to_pandas()
    return model_rows(FixedModel(), front, DecisionRule()).to_pandas()


def test_tables_from_partitions_are_the_local_tables(tmp_path):
    parts, out = tmp_path / "parts", tmp_path / "out"
    out.mkdir()
    _write_partition(parts, "0.parquet", _partition_frame())
    articles = pd.DataFrame({"article_id": ["a1", "a2"], "title": ["One", None]})
    result = tables_from_partitions(parts, articles, out)
    assert result["counts"]["n_pairs"] == 2 and result["counts"]["n_claims"] == 2
    assert len(result["front_rejects"]) == 1
    stances = pq.read_table(out / "stances.parquet")
    assert stances.schema.remove_metadata().equals(SCHEMAS["stances"]) and stances.num_rows == 2
    per_article = pd.read_parquet(out / "stance_articles.parquet")
    assert per_article[["article_id", "n_claims", "n_pairs"]].values.tolist() == [["a1", 2, 2], ["a2", 0, 0]]


def test_a_rule_by_article_decides_an_article_that_straddles_partitions_as_a_whole(tmp_path):
    parts, out = tmp_path / "parts", tmp_path / "out"
    out.mkdir()
    result = FrontHalfResult(claims=[_claim("a1-c0", "a1", 0), _claim("a1-c1", "a1", 1)], mentions=[],
                             pairs=[_pair("a1-c0-p0", "a1-c0", "a1"), _pair("a1-c1-p0", "a1-c1", "a1")], rejects=[])
    frame = model_rows(FixedModel(), front_rows(result, _articles(["a1"])).to_pandas(), DecisionRule()).to_pandas()
    _write_partition(parts, "0.parquet", frame.head(1))  # a1's first claim alone, as a batch that ends inside it
    _write_partition(parts, "1.parquet", frame.iloc[1:])
    # A -> B is supported at 0.6 by each claim, 0.84 by both: a gate of 0.8 passes only the two together.
    tables_from_partitions(parts, pd.DataFrame({"article_id": ["a1"], "title": ["One"]}), out,
                           DecisionRule(0.5, 0.5, gate_entity_threshold=0.8))
    assert pd.read_parquet(out / "stances.parquet")["label"].tolist() == ["supportive", "supportive"]


def test_an_article_written_twice_or_lost_is_an_error_not_a_doubled_row(tmp_path):
    parts, out = tmp_path / "parts", tmp_path / "out"
    out.mkdir()
    _write_partition(parts, "0.parquet", _partition_frame())
    _write_partition(parts, "1.parquet", _partition_frame())  # a batch repeated
    articles = pd.DataFrame({"article_id": ["a1", "a2"], "title": ["One", None]})
    with pytest.raises(AssertionError, match="more than once"):
        tables_from_partitions(parts, articles, out)
    shutil.rmtree(parts)
    _write_partition(parts, "0.parquet", _partition_frame())
    with pytest.raises(AssertionError, match="lack"):
        tables_from_partitions(parts, pd.concat([articles, pd.DataFrame({"article_id": ["a3"], "title": [None]})]), out)


def test_a_partition_is_written_whole_under_a_name_its_rows_decide(tmp_path):
    rows = as_rows(_partition_frame(), MODEL_ROWS)
    summary = write_partition(rows, tmp_path / "parts").to_pylist()
    assert summary == [{"first_order": 0, "n_articles": 2, "n_pairs": 2, "n_rows": 5, "file": partition_name(rows)}]
    assert [p.name for p in (tmp_path / "parts").iterdir()] == [partition_name(rows)]  # no temporary left
    assert pq.read_table(tmp_path / "parts" / partition_name(rows)).equals(rows)
    write_partition(rows, tmp_path / "parts")  # the same batch again, after a lost worker: the same file
    assert len(list((tmp_path / "parts").iterdir())) == 1


def test_partition_names_sort_in_the_articles_order_and_never_collide():
    frame = _partition_frame()
    later = as_rows(frame.assign(article_order=frame["article_order"].where(frame["article_order"] < 0, 10)),
                    MODEL_ROWS)
    first_pairs = as_rows(frame[frame["row_kind"] == "pair"].head(1), MODEL_ROWS)
    other_pairs = as_rows(frame[frame["row_kind"] == "pair"].tail(1), MODEL_ROWS)  # same first article
    names = [partition_name(t) for t in (as_rows(frame, MODEL_ROWS), later)]
    assert names == sorted(names) and names[0].startswith("part-000000000000-")
    assert partition_name(first_pairs) != partition_name(other_pairs)


def test_progress_counts_the_summaries_and_reports_the_rate(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PIPELINE_PROGRESS_EVERY_S", "0")
    progress = BatchProgress(total_articles=4, enabled=True)
    progress.add(write_partition(as_rows(_partition_frame(), MODEL_ROWS), tmp_path).to_pandas())
    assert (progress.articles, progress.pairs, progress.partitions) == (2, 2, 1)
    assert capsys.readouterr().err.startswith("predict (ray): 2/4 articles (50%), 2 pairs")
    quiet = BatchProgress(total_articles=4, enabled=False)
    quiet.add(write_partition(as_rows(_partition_frame(), MODEL_ROWS), tmp_path).to_pandas())
    quiet.finish()
    assert capsys.readouterr().err == "" and quiet.articles == 2


# ----------------------------------------------------------- on a cluster ---

def _corpus(root: Path, seeds: bool = True) -> Path:
    """The seed articles and a JSONL file with a good record and a malformed one."""
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    if seeds:
        for path in input_files(REPO_ROOT / "seeds"):
            shutil.copy(path, corpus / path.name)
    text = ("Senator Maria Lopez condemned Governor Tom Baker over the budget cuts on Monday. "
            "\"Baker has failed this state,\" Lopez told reporters in the capital.")
    (corpus / "more.jsonl").write_text(json.dumps({"id": "extra-1", "title": "Budget", "text": text}) + "\n"
                                       + '{"id": "broken", "text": \n', encoding="utf-8")
    return corpus


def _make_predict(smoke_run: dict, corpus: Path, subdir: str, env: dict, extra: list[str] = (),
                  engine: str = "") -> subprocess.CompletedProcess:
    overrides = [*smoke_run["overrides"], f"predict.output_subdir={subdir}", f"articles.tables_subdir={subdir}",
                 *extra]
    command = ["make", "--no-print-directory", "predict", "CONFIG=smoke", f"STATE={smoke_run['root'] / 'state'}",
               f"INPUT={corpus}", f"ENGINE={engine}", f"ARGS={' '.join(overrides)}"]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return done


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def assert_same_tables(local: Path, ray: Path) -> None:
    """stances, stance_pairs, stance_article_pairs and stance_articles equal up to row order and 1e-9 on
    probabilities."""
    for table, found in output_differences(local, ray).items():
        assert found["rows_differing"] == 0, (table, found)
        assert found["max_probability_difference"] <= 1e-9 and found["max_float_difference"] <= 1e-9, (table, found)


def local_rejects(tables: Path) -> pd.DataFrame:
    """The local engine's rejects: every front-half stage's table."""
    frames = [pd.read_parquet(p) for p in sorted(tables.glob("rejects_*.parquet"))]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def cluster():
    """A real 2-CPU Ray cluster for this module's tests, stopped after them."""
    started = ray_cluster.start(cpus=2)
    yield started
    ray_cluster.stop(started)


@pytest.mark.ray
def test_ray_on_a_cluster_gives_the_local_tables_and_replaces_its_output_whole(smoke_run, cluster, tmp_path):
    corpus = _corpus(tmp_path)
    env = {**smoke_run["env"]}
    env.pop("RAY_ADDRESS", None)
    _make_predict(smoke_run, corpus, "local", env, ["predict.progress=false"])
    ray_env = {**env, "RAY_ADDRESS": cluster.address}
    done = _make_predict(smoke_run, corpus, "ray", ray_env, ["predict.ray.articles_per_batch=2", "predict.ray.articles_per_block=4"], engine="ray")
    assert f"cluster {cluster.address}" in done.stderr and "pipeline pairs" not in done.stdout
    assert "predict (ray):" in done.stderr and "articles/s" in done.stderr  # the progress line
    outputs = smoke_run["config"].outputs_dir
    local, ray = outputs / "local", outputs / "ray"
    assert_same_tables(local, ray)
    assert "each running the front half and the model" in done.stderr  # the fused plan, the default
    split = _make_predict(smoke_run, corpus, "ray-split", ray_env, ["predict.ray.plan=split"], engine="ray")
    assert "model actor(s)" in split.stderr
    assert_same_tables(local, outputs / "ray-split")
    summary = json.loads((ray / "predict_summary.json").read_text())
    assert summary["engine"] == "ray" and summary["ray"]["address"] == cluster.address

    # The malformed record: one rejects row with its file and line, as the local engine has it.
    tables = smoke_run["config"].tables_dir / "local"
    ours = _sorted(pd.read_parquet(ray / "rejects.parquet"), ["stage", "file", "reason"])
    theirs = _sorted(local_rejects(tables), ["stage", "file", "reason"])
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)
    broken = ours[ours["file"].str.endswith("more.jsonl")]
    assert broken[["stage", "line"]].values.tolist() == [["articles", 2]]

    # A rerun into the same folder on another corpus replaces the output set whole.
    small = _corpus(tmp_path / "small", seeds=False)
    _make_predict(smoke_run, small, "ray", ray_env, [], engine="ray")
    rerun = pd.read_parquet(ray / "stance_articles.parquet")
    assert rerun["article_id"].tolist() == ["extra-1"]
    assert set(pd.read_parquet(ray / "stances.parquet")["article_id"]) <= {"extra-1"}
    assert not (ray / "partitions").exists()
    assert not [p for p in ray.parent.iterdir() if p.name.startswith(".tmp-")]


def _seesaw_corpus(smoke_run: dict, root: Path, n: int) -> Path:
    """The first `n` SEESAW valid articles of the smoke run's tables as a JSONL corpus."""
    articles = pd.read_parquet(smoke_run["config"].tables_dir / "seesaw_articles.parquet")
    valid = articles[articles["split"] == "valid"].head(n)
    corpus = root / "seesaw"
    corpus.mkdir(parents=True)
    (corpus / "valid.jsonl").write_text("".join(
        json.dumps({"id": a.article_id, "title": a.title, "outlet": a.outlet, "text": a.text}) + "\n"
        for a in valid.itertuples(index=False)), encoding="utf-8")
    return corpus


@pytest.mark.ray
def test_a_worker_killed_mid_run_is_retried_and_nothing_is_doubled(smoke_run, cluster, tmp_path):
    corpus = _seesaw_corpus(smoke_run, tmp_path, 16)
    env = {k: v for k, v in smoke_run["env"].items() if k != "RAY_ADDRESS"}
    _make_predict(smoke_run, corpus, "kill-local", env, ["predict.progress=false"])
    killed: list[float] = []

    def kill_a_worker() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not killed:
            found = cluster.workers("ArticleBatches")
            if found:
                time.sleep(2.0)  # let it take a batch
                os.kill(found[0], signal.SIGKILL)
                killed.append(time.monotonic())
            time.sleep(0.2)

    killer = threading.Thread(target=kill_a_worker, daemon=True)
    killer.start()
    _make_predict(smoke_run, corpus, "kill-ray", {**env, "RAY_ADDRESS": cluster.address},
                  ["predict.ray.articles_per_batch=1", "predict.ray.articles_per_block=1"], engine="ray")
    finished = time.monotonic()
    killer.join(timeout=10)
    assert killed and killed[0] < finished - 1, "no worker was killed while the job ran"
    outputs = smoke_run["config"].outputs_dir
    assert_same_tables(outputs / "kill-local", outputs / "kill-ray")
    assert len(pd.read_parquet(outputs / "kill-ray" / "stance_articles.parquet")) == 16
