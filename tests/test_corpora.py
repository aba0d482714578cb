"""A gold corpus is one adapter: a tiny corpus registered here runs fetch -> ingest -> examples
through the normal stages, from a manifest and an offline mirror in a temporary folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from pipeline.core.config import ConfigError, ExamplesConfig, load_config
from pipeline.core.tables import read_table
from pipeline.corpora.base import (
    CorpusAdapter,
    CorpusRead,
    Tally,
    corpus_adapter,
    register_corpus,
    reject,
)
from pipeline.corpora.examples import directed_examples, limit_rows
from pipeline.corpora.fetch import ChecksumError, corpus_digests
from pipeline.corpora.ingest import ingest_corpus
from pipeline.stages import examples as examples_stage
from pipeline.stages import fetch as fetch_stage
from pipeline.stages import ingest as ingest_stage

SPLITS = ("train", "valid", "test")
TINY_ROWS = pa.schema([pa.field(name, type_, nullable=False) for name, type_ in [
    ("row_id", pa.string()), ("split", pa.string()), ("text", pa.string()), ("p", pa.string()), ("q", pa.string()),
    ("p_start", pa.int64()), ("p_end", pa.int64()), ("q_start", pa.int64()), ("q_end", pa.int64()),
    ("dse_label", pa.int64()),
]])


def parse_tiny_line(line: str, split: str, line_no: int) -> dict:
    """``sentence TAB p TAB q TAB class``, p and q located by their first occurrences."""
    fields = line.rstrip("\n").split("\t")
    if len(fields) != 4:
        raise ValueError(f"expected 4 fields, found {len(fields)}")
    text, p, q, label = fields
    if p not in text or q not in text[text.index(p) + len(p):]:
        raise ValueError("an entity is not in the sentence")
    p_start = text.index(p)
    q_start = text.index(q, p_start + len(p))
    return {"row_id": f"tiny-{split}-{line_no}", "split": split, "text": text, "p": p, "q": q,
            "p_start": p_start, "p_end": p_start + len(p), "q_start": q_start, "q_end": q_start + len(q),
            "dse_label": int(label)}


@register_corpus
class TinyCorpus(CorpusAdapter):
    """A DSE-like corpus of three split files, with a schema of its own."""

    name = "tiny"
    tables = {split: "tiny_rows" for split in SPLITS}
    schemas = {"tiny_rows": TINY_ROWS}
    provides_examples = True

    def read(self, raw_dir: Path) -> CorpusRead:
        tables, rejects, tallies = {}, [], []
        for split in SPLITS:
            path = raw_dir / f"{split}.tsv"
            rows, tally = [], Tally(f"tiny {split} lines")
            for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                tally.read += 1
                try:
                    rows.append(parse_tiny_line(line, split, line_no))
                    tally.accepted += 1
                except ValueError as exc:
                    tally.rejected += 1
                    rejects.append(reject("ingest", str(path), line_no, str(exc), line))
            tables[split] = pd.DataFrame(rows, columns=TINY_ROWS.names)
            tallies.append(tally)
        return CorpusRead(tables, rejects, tallies)

    def gold_examples(self, tables, settings: ExamplesConfig, seed: int) -> dict[str, pd.DataFrame]:
        return {split: directed_examples(limit_rows(tables[split], settings.limit_per_split, seed), settings)
                for split in SPLITS}


FILES = {
    "train.tsv": "Alice praised Bob.\tAlice\tBob\t1\nAlice met Bob.\tAlice\tBob\t0\nno tabs here\n",
    "valid.tsv": "Carol condemned Dave.\tCarol\tDave\t3\n",
    "test.tsv": "Erin was praised by Frank.\tErin\tFrank\t2\nGina met Hal.\tGina\tZed\t0\n",
}


@pytest.fixture
def tiny_config(tmp_path, monkeypatch):
    """A config whose only corpus is `tiny`: manifest and mirror in tmp_path, every other value typed."""
    mirror = tmp_path / "mirror"
    (mirror / "tiny-upstream").mkdir(parents=True)
    manifest = []
    for name, text in FILES.items():
        (mirror / "tiny-upstream" / name).write_text(text, encoding="utf-8")
        manifest.append(f"{hashlib.sha256(text.encode()).hexdigest()}  {name}")
    (tmp_path / "tiny.sha256").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    (tmp_path / "tiny.yaml").write_text(
        f"paths:\n  raw_dir: {tmp_path / 'raw'}\n  tables_dir: {tmp_path / 'tables'}\n"
        f"corpora:\n  mirror_env: TINY_MIRROR\n"
        f"  tiny:\n    base_url: https://example.invalid/tiny\n    manifest: {tmp_path / 'tiny.sha256'}\n"
        f"    mirror_subdir: tiny-upstream\n", encoding="utf-8")
    monkeypatch.setenv("TINY_MIRROR", str(mirror))
    return load_config(str(tmp_path / "tiny.yaml"))


def test_a_registered_corpus_runs_fetch_ingest_and_examples_through_the_stages(tiny_config, capsys):
    fetch_stage.run(tiny_config)
    raw = tiny_config.raw_dir / "tiny"
    assert {path.name: path.read_text() for path in raw.iterdir()} == FILES

    ingest_stage.run(tiny_config)
    tables = tiny_config.tables_dir
    train = read_table(tables / "tiny_train.parquet", "tiny_rows")
    assert list(train["row_id"]) == ["tiny-train-1", "tiny-train-2"]
    rejects = read_table(tables / "rejects_ingest.parquet", "rejects")
    assert [(Path(f).name, line) for f, line in zip(rejects["file"], rejects["line"])] == [
        ("train.tsv", 3), ("test.tsv", 2)]
    printed = capsys.readouterr().out
    assert "ingest tiny train lines: read 3 = accepted 2 + rejected 1" in printed
    assert "ingest tiny test lines: read 2 = accepted 1 + rejected 1" in printed
    assert not (tables / "dse_train.parquet").exists()  # only configured corpora are read

    examples_stage.run(tiny_config)
    examples = {split: read_table(tables / f"examples_{split}.parquet", "examples") for split in SPLITS}
    assert [len(examples[split]) for split in SPLITS] == [4, 2, 2]
    praised = examples["train"].set_index("example_id")
    assert praised.loc["tiny-train-1-pq", "label"] == "supportive"
    assert praised.loc["tiny-train-1-qp", "text"] == "<tgt>Alice</tgt> praised <src>Bob</src>."
    assert examples["test"].set_index("direction").loc["qp", "label"] == "supportive"
    assert "examples train (tiny): 2 rows -> 4 directed examples" in capsys.readouterr().out


def test_every_configured_corpus_is_tagged_by_its_digest(tiny_config, config):
    assert set(corpus_digests(config)) == {"dse_sha256", "seesaw_sha256"}
    digest = corpus_digests(tiny_config)["tiny_sha256"]
    assert digest == hashlib.sha256(Path(tiny_config.corpora.tiny.manifest).read_bytes()).hexdigest()


def test_a_corpus_without_an_adapter_fails_when_the_config_loads():
    with pytest.raises(ConfigError, match=r"unknown key 'corpora\.acl': no gold corpus of that name is registered"):
        load_config("default", ["corpora.acl.base_url=https://example.invalid"])


def test_a_corpus_entry_is_validated_with_its_full_key():
    with pytest.raises(ConfigError, match=r"unknown key 'corpora\.dse\.mirror_subdirx'"):
        load_config("default", ["corpora.dse.mirror_subdirx=a"])


def test_seesaw_is_scoring_data_and_declares_no_gold_examples(config):
    seesaw = corpus_adapter("seesaw")
    assert not seesaw.provides_examples
    with pytest.raises(NotImplementedError, match="provides no gold examples"):
        seesaw.gold_examples({}, config.examples, 13)
    assert corpus_adapter("dse").provides_examples


def test_the_examples_stage_needs_a_corpus_that_provides_examples(tmp_path):
    seesaw = "{base_url: https://example.invalid, manifest: corpora/seesaw.sha256, mirror_subdir: seesaw}"
    only_seesaw = load_config("default", [f"corpora={{seesaw: {seesaw}}}", f"paths.tables_dir={tmp_path}"])
    assert list(only_seesaw.corpora.sources()) == ["seesaw"]
    with pytest.raises(RuntimeError, match="no configured corpus provides gold examples"):
        examples_stage.run(only_seesaw)


def test_the_shipped_adapters_write_the_table_names_other_stages_read():
    assert {f"dse_{t}" for t in corpus_adapter("dse").tables} == {"dse_train", "dse_valid", "dse_test"}
    assert {f"seesaw_{t}" for t in corpus_adapter("seesaw").tables} == {
        "seesaw_articles", "seesaw_sentences", "seesaw_entities", "seesaw_triplets"}


def test_a_read_must_give_exactly_the_declared_tables(tmp_path):
    class Partial(TinyCorpus):
        def read(self, raw_dir):
            return CorpusRead({"train": pd.DataFrame()})

    with pytest.raises(ValueError, match=r"read tables \['train'\], declared"):
        ingest_corpus(Partial(), tmp_path)


def test_a_raw_file_changed_after_fetch_is_refused_and_the_tables_stay(tiny_config):
    fetch_stage.run(tiny_config)
    ingest_stage.run(tiny_config)
    tables = tiny_config.tables_dir
    before = read_table(tables / "tiny_train.parquet", "tiny_rows")
    changed = tiny_config.raw_dir / "tiny" / "train.tsv"
    changed.write_text(FILES["train.tsv"].replace("\t1\n", "\t3\n"), encoding="utf-8")  # a label flipped
    with pytest.raises(ChecksumError, match=r"train\.tsv: changed since fetch") as error:
        ingest_stage.run(tiny_config)
    assert "\n" not in str(error.value) and "make fetch" in str(error.value)
    assert read_table(tables / "tiny_train.parquet", "tiny_rows").equals(before)
    assert not [p.name for p in tables.iterdir() if p.name.startswith(".tmp-")]
