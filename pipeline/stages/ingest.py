"""ingest: the raw gold corpora become declared Parquet tables; rejects are counted and kept."""

from __future__ import annotations

import pandas as pd

from pipeline.core.config import Config
from pipeline.core.tables import write_table
from pipeline.corpora.ingest import ingest_dse, ingest_seesaw


def run(config: Config) -> None:
    """Stage runner: raw gold corpora -> Parquet tables under the tables folder."""
    out = config.tables_dir
    dse_tables, dse_rejects, dse_tallies = ingest_dse(config.raw_dir / "dse")
    for split, df in dse_tables.items():
        write_table(df, "dse_rows", out / f"dse_{split}.parquet")
    seesaw_tables, seesaw_rejects, seesaw_tallies = ingest_seesaw(config.raw_dir / "seesaw")
    for name, df in seesaw_tables.items():
        write_table(df, f"seesaw_{name}", out / f"seesaw_{name}.parquet")
    all_rejects = pd.DataFrame(dse_rejects + seesaw_rejects, columns=["stage", "file", "line", "reason", "raw"])
    all_rejects["line"] = all_rejects["line"].astype("Int64")
    write_table(all_rejects, "rejects", out / "rejects_ingest.parquet")
    for tally in dse_tallies + seesaw_tallies:
        print(f"ingest {tally.line()}")
    if len(all_rejects):
        print(f"ingest: {len(all_rejects)} rejects written to {out / 'rejects_ingest.parquet'}")

