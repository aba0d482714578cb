"""examples: gold DSE rows become directed examples the classifiers read."""

from __future__ import annotations

from pipeline.core.config import Config
from pipeline.core.tables import read_table, write_table
from pipeline.corpora.examples import directed_examples, limit_rows
from pipeline.corpora.ingest import DSE_SPLITS


def run(config: Config) -> None:
    """Stage runner: dse_<split>.parquet -> examples_<split>.parquet."""
    for split in DSE_SPLITS:
        rows = read_table(config.tables_dir / f"dse_{split}.parquet", "dse_rows")
        rows = limit_rows(rows, config.examples.limit_per_split, config.train.seed)
        examples = directed_examples(rows, config.examples)
        write_table(examples, "examples", config.tables_dir / f"examples_{split}.parquet")
        print(f"examples {split}: {len(rows)} rows -> {len(examples)} directed examples "
              f"({examples['label'].value_counts().to_dict()})")

