"""examples: the gold rows of every configured corpus that provides them become directed examples."""

from __future__ import annotations

from pipeline.core.config import Config
from pipeline.core.tables import read_table, write_table
from pipeline.corpora.base import corpus_adapter, table_file
from pipeline.corpora.examples import merge_examples


def run(config: Config) -> None:
    """Stage runner: <corpus>_<table>.parquet -> examples_<split>.parquet."""
    parts = []
    for name in config.corpora.sources():
        adapter = corpus_adapter(name)
        if not adapter.provides_examples:
            continue
        tables = {table: read_table(table_file(config.tables_dir, name, table), schema)
                  for table, schema in adapter.tables.items()}
        examples = adapter.gold_examples(tables, config.examples, config.train.seed)
        for split, frame in examples.items():
            print(f"examples {split} ({name}): {frame['row_id'].nunique()} rows -> {len(frame)} directed examples "
                  f"({frame['label'].value_counts().to_dict()})")
        parts.append(examples)
    if not parts:
        raise RuntimeError(f"no configured corpus provides gold examples (corpora: {sorted(config.corpora.sources())})")
    for split, frame in merge_examples(parts).items():
        write_table(frame, "examples", config.tables_dir / f"examples_{split}.parquet")
