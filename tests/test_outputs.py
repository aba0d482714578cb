"""All-or-nothing outputs: staged writes, the sweep of a killed run's leftovers, and SIGKILL midway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline.core.config import REPO_ROOT
from pipeline.core.tables import (
    SLOW_WRITES_ENV,
    read_table,
    staged_files,
    staged_outputs,
    sweep_stale,
    write_text_atomic,
)


def dead_pid() -> int:
    """The pid of a process that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_failing_block_leaves_the_previous_output_folder_as_it_was(tmp_path):
    out = tmp_path / "predict"
    with staged_outputs(out) as staging:
        (staging / "a.txt").write_text("old a")
        (staging / "b.txt").write_text("old b")
    with pytest.raises(RuntimeError, match="check failed"):
        with staged_outputs(out) as staging:
            (staging / "a.txt").write_text("new a")
            raise RuntimeError("check failed")
    assert {p.name: p.read_text() for p in out.iterdir()} == {"a.txt": "old a", "b.txt": "old b"}
    assert [p.name for p in tmp_path.iterdir()] == ["predict"]


def test_a_successful_block_replaces_the_whole_folder(tmp_path):
    out = tmp_path / "predict"
    out.mkdir()
    (out / "stale.txt").write_text("from an older run")
    with staged_outputs(out) as staging:
        (staging / "a.txt").write_text("new a")
    assert [p.name for p in out.iterdir()] == ["a.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["predict"]


def test_leftovers_of_a_dead_writer_are_swept_and_a_live_ones_kept(tmp_path):
    pid = dead_pid()
    (tmp_path / f".tmp-{pid}-0-articles.parquet").write_text("half")
    (tmp_path / f".tmp-{pid}-1-predict").mkdir()
    live = tmp_path / f".tmp-{os.getpid()}-9-pairs.parquet"
    live.write_text("being written")
    (tmp_path / ".hidden-but-not-ours").write_text("kept")
    assert sorted(sweep_stale(tmp_path)) == [f".tmp-{pid}-0-articles.parquet", f".tmp-{pid}-1-predict"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, ".hidden-but-not-ours"])


def test_the_next_write_sweeps_the_folder(tmp_path):
    leftover = tmp_path / f".tmp-{dead_pid()}-0-summary.json"
    leftover.write_text("{")
    write_text_atomic(tmp_path / "summary.json", "{}")
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_a_kill_between_the_two_renames_puts_the_previous_folder_back(tmp_path):
    pid = dead_pid()
    aside = tmp_path / f".tmp-{pid}-3-old-predict"
    aside.mkdir()
    (aside / "a.txt").write_text("old a")
    (tmp_path / f".tmp-{pid}-2-predict").mkdir()  # the new set, never renamed in
    sweep_stale(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["predict"]
    assert (tmp_path / "predict" / "a.txt").read_text() == "old a"


def test_a_committed_file_set_is_rolled_forward_and_an_uncommitted_one_dropped(tmp_path):
    (tmp_path / "a.parquet").write_text("old a")
    (tmp_path / "b.parquet").write_text("old b")
    pid = dead_pid()
    committed = tmp_path / f".tmp-{pid}-0-staged"
    committed.mkdir()
    (committed / ".committed").touch()
    (committed / "b.parquet").write_text("new b")  # a.parquet had moved before the kill
    (tmp_path / "a.parquet").write_text("new a")
    uncommitted = tmp_path / f".tmp-{pid}-1-staged"
    uncommitted.mkdir()
    (uncommitted / "a.parquet").write_text("newer a")
    sweep_stale(tmp_path)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"a.parquet": "new a", "b.parquet": "new b"}


def test_a_failing_file_set_leaves_the_folder_untouched(tmp_path):
    (tmp_path / "a.parquet").write_text("old a")
    with pytest.raises(ValueError):
        with staged_files(tmp_path) as staging:
            (staging / "a.parquet").write_text("new a")
            raise ValueError("counts do not reconcile")
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"a.parquet": "old a"}


# ---------------------------------------------------------------- kills ---

WRITER = """
import sys
from pathlib import Path
from pipeline.core.tables import staged_outputs, write_text_atomic
out, tag = Path(sys.argv[1]), sys.argv[2]
with staged_outputs(out) as staging:
    for name in ("stances", "stance_pairs", "stance_articles", "summary"):
        write_text_atomic(staging / name, tag)
"""


def _folder_tags(out: Path) -> set[str]:
    return {p.read_text() for p in out.iterdir()} if out.exists() else set()


@pytest.mark.slow  # kills a subprocess at five points
@pytest.mark.parametrize("delay", [0.05, 0.15, 0.25, 0.35, 0.45])
def test_a_staged_folder_killed_midway_is_the_old_set_or_the_new_one(tmp_path, delay):
    out = tmp_path / "predict"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), SLOW_WRITES_ENV: "0.1"}
    subprocess.run([sys.executable, "-c", WRITER, str(out), "old"], env={**env, SLOW_WRITES_ENV: ""}, check=True)
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(out), "new"], env=env)
    time.sleep(1.0 + delay)  # the interpreter starts, then one write every 0.1 s
    process.send_signal(signal.SIGKILL)
    process.wait()
    sweep_stale(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["predict"]
    assert sorted(p.name for p in out.iterdir()) == ["stance_articles", "stance_pairs", "stances", "summary"]
    assert len(_folder_tags(out)) == 1


def _articles_stage(tables: Path, source: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", "articles", f"paths.tables_dir={tables}",
                             f"articles.input={source}"], env=env, cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _articles_set(corpus: Path) -> tuple[set[str], set[str]]:
    sweep_stale(corpus)
    articles = read_table(corpus / "articles.parquet", "articles")
    rejects = read_table(corpus / "rejects_articles.parquet", "rejects")
    return set(articles["file"].map(lambda f: Path(f).parent.name)), set(rejects["file"].map(lambda f: Path(f).parent.name))


def _wait_committed(folder: Path, timeout: float = 60.0) -> bool:
    """Poll until a staging folder in `folder` is marked committed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if list(folder.glob(".tmp-*-staged/.committed")):
            return True
        time.sleep(0.01)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("after_s", [0.5, 2.0, 2.6, 3.2, 4.0, "committed"])
def test_the_articles_stage_killed_midway_leaves_the_old_tables_or_the_new_ones(tmp_path, after_s):
    """Articles and their rejects of one run, never the articles of one and the rejects of another."""
    tables = tmp_path / "tables"
    sources = {}
    for tag in ("old", "new"):
        folder = tmp_path / tag
        folder.mkdir()
        (folder / "a.txt").write_text("Title\nThe minister praised the union on Monday.\n", encoding="utf-8")
        (folder / "b.csv").write_text("id,text\n1,\n", encoding="utf-8")  # an empty text: a reject
        sources[tag] = folder
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), SLOW_WRITES_ENV: ""}
    assert _articles_stage(tables, sources["old"], env).wait() == 0
    assert _articles_set(tables / "corpus") == ({"old"}, {"old"})
    process = _articles_stage(tables, sources["new"], {**env, SLOW_WRITES_ENV: "0.3"})
    if after_s == "committed":  # killed while moving the files in: the next reader completes the move
        assert _wait_committed(tables / "corpus")
    else:
        time.sleep(after_s)
    process.send_signal(signal.SIGKILL)
    process.wait()
    found = _articles_set(tables / "corpus")
    assert found in ([({"new"}, {"new"})] if after_s == "committed" else [({"old"}, {"old"}), ({"new"}, {"new"})])
    assert not [p.name for p in (tables / "corpus").iterdir() if p.name.startswith(".tmp-")]




PREDICT = """
import sys
sys.path.insert(0, {tests!r})
from pipeline.core.config import load_config
from pipeline.stages import predict as stage
from test_predict import KeywordModel

stage.load_stance_model = lambda config: (KeywordModel(), {{"model_uri": "keyword:test"}})
stage.run(load_config("default", ["paths.tables_dir={tables}", "paths.outputs_dir={outputs}", "predict.progress=false"]))
"""


def _predict(tables: Path, outputs: Path, slow: str) -> subprocess.Popen:
    code = PREDICT.format(tests=str(Path(__file__).parent), tables=tables, outputs=outputs)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), SLOW_WRITES_ENV: slow}
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _predict_set(out: Path) -> int:
    """The number of articles of a complete, consistent predict output set (fails on a mixed one)."""
    import json

    sweep_stale(out.parent)
    summary = json.loads((out / "predict_summary.json").read_text())
    stances = read_table(out / "stances.parquet", "stances")
    articles = read_table(out / "stance_articles.parquet", "stance_articles")
    pairs = read_table(out / "stance_pairs.parquet", "stance_pairs")
    assert len(stances) == len(pd.read_csv(out / "stances.csv")) == summary["n_pairs"]
    assert len(articles) == len(pd.read_csv(out / "stance_articles.csv")) == summary["n_articles"]
    assert pairs.loc[pairs["level"] == "actor", "n_pairs"].sum() == summary["n_pairs"]
    assert {f"network_{level}.graphml" for level in ("actor", "affiliation")} <= {p.name for p in out.iterdir()}
    return summary["n_articles"]


def _wait_for(folder: Path, part: str, timeout: float = 60.0) -> bool:
    """Poll until an entry of `folder` has `part` in its name."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if folder.exists() and any(part in entry.name for entry in folder.iterdir()):
            return True
        time.sleep(0.01)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("phase, after_s", [("start", 0.5), ("staging", 0.0), ("staging", 1.0), ("staging", 2.0),
                                            ("swap", 0.0), ("swap", 0.1), ("done", 0.0)])
def test_predict_killed_midway_leaves_the_old_output_set_or_the_new_one(tmp_path, phase, after_s):
    """SIGKILL at points of a predict run whose writes are slowed by the test hook: when it starts,
    while it writes the staging folder, between the two renames of the swap, after it ends."""
    from test_predict import write_corpus

    outputs = tmp_path / "outputs"
    for tag, n in (("old", 3), ("new", 5)):
        (tmp_path / tag / "corpus").mkdir(parents=True)
        write_corpus(tmp_path / tag / "corpus", n_articles=n)
    assert _predict(tmp_path / "old", outputs, "").wait(timeout=120) == 0
    out = outputs / "default" / "predict"
    assert _predict_set(out) == 3
    process = _predict(tmp_path / "new", outputs, "0.3")
    if phase == "staging":
        assert _wait_for(out.parent, "-predict")
    elif phase == "swap":
        assert _wait_for(out.parent, "-old-predict")
    elif phase == "done":
        process.wait(timeout=120)
    time.sleep(after_s)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Between the renames the previous folder is put back; a kill 0.1 s into the 0.3 s pause usually is too.
    expected = {"start": {3}, "staging": {3}, "swap": {3} if after_s == 0 else {3, 5}, "done": {5}}[phase]
    assert _predict_set(out) in expected
    assert [p.name for p in out.parent.iterdir()] == ["predict"]


INGEST = """
import sys
sys.path.insert(0, {tests!r})
import test_corpora  # noqa: F401  (registers the tiny corpus)
from pipeline.core.config import load_config
from pipeline.stages import ingest
ingest.run(load_config({config!r}))
"""


def _tiny_version(tmp_path: Path, tag: str, monkeypatch) -> Path:
    """A tiny corpus version (mirror, manifest, config) sharing raw and tables folders; `tag` ends every line's text."""
    import hashlib

    from test_corpora import FILES

    mirror = tmp_path / f"mirror-{tag}" / "tiny-upstream"
    mirror.mkdir(parents=True)
    manifest = []
    for name, text in FILES.items():
        lines = [line.split("\t", 1) for line in text.splitlines()]
        versioned = "".join(f"{parts[0]} {tag}" + (f"\t{parts[1]}" if len(parts) > 1 else "") + "\n" for parts in lines)
        (mirror / name).write_text(versioned, encoding="utf-8")
        manifest.append(f"{hashlib.sha256(versioned.encode()).hexdigest()}  {name}")
    (tmp_path / f"tiny-{tag}.sha256").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    config = tmp_path / f"tiny-{tag}.yaml"
    config.write_text(
        f"paths:\n  raw_dir: {tmp_path / 'raw'}\n  tables_dir: {tmp_path / 'tables'}\n"
        f"corpora:\n  mirror_env: TINY_MIRROR_{tag.upper()}\n"
        f"  tiny:\n    base_url: https://example.invalid/tiny\n    manifest: {tmp_path / f'tiny-{tag}.sha256'}\n"
        f"    mirror_subdir: tiny-upstream\n", encoding="utf-8")
    monkeypatch.setenv(f"TINY_MIRROR_{tag.upper()}", str(mirror.parent))
    return config


def _ingest_versions(tables: Path) -> set[str]:
    """The version tag of every ingest table, rejects included: one tag for a consistent set."""
    sweep_stale(tables)
    tags = set()
    for split in ("train", "valid", "test"):
        texts = read_table(tables / f"tiny_{split}.parquet", "tiny_rows")["text"]
        tags |= {text.rsplit(" ", 1)[-1] for text in texts}
    raws = read_table(tables / "rejects_ingest.parquet", "rejects")["raw"]
    return tags | {raw.split("\t")[0].rsplit(" ", 1)[-1] for raw in raws}


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.5, "staging", "committed", "done"])
def test_ingest_killed_midway_leaves_the_old_tables_or_the_new_ones(tmp_path, monkeypatch, after):
    """Four corpus tables and the rejects: all of one ingest run, whenever it is killed."""
    from pipeline.core.config import load_config
    from pipeline.stages import fetch as fetch_stage

    configs = {tag: _tiny_version(tmp_path, tag, monkeypatch) for tag in ("old", "new")}
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}

    def ingest(tag: str, slow: str) -> subprocess.Popen:
        code = INGEST.format(tests=str(Path(__file__).parent), config=str(configs[tag]))
        return subprocess.Popen([sys.executable, "-c", code], env={**env, SLOW_WRITES_ENV: slow}, cwd=REPO_ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    tables = tmp_path / "tables"
    fetch_stage.run(load_config(str(configs["old"])))
    assert ingest("old", "").wait(timeout=120) == 0
    assert _ingest_versions(tables) == {"old"}
    fetch_stage.run(load_config(str(configs["new"])))
    process = ingest("new", "0.3")
    if after == "staging":
        assert _wait_for(tables, "-staged")
    elif after == "committed":
        assert _wait_committed(tables)
    elif after == "done":
        process.wait(timeout=120)
    else:
        time.sleep(after)
    process.send_signal(signal.SIGKILL)
    process.wait()
    expected = {"staging": {"old"}, "committed": {"new"}, "done": {"new"}}.get(after)
    found = _ingest_versions(tables)
    assert found in ([expected] if expected else [{"old"}, {"new"}])
    assert not [p.name for p in tables.iterdir() if p.name.startswith(".tmp-")]
