"""ingest: every configured gold corpus becomes its declared Parquet tables; rejects are counted
and kept (see :mod:`pipeline.corpora.ingest`)."""

from __future__ import annotations

from pipeline.core.config import Config
from pipeline.core.tables import staged_files, write_table
from pipeline.corpora.base import corpus_adapter, table_file
from pipeline.corpora.fetch import verify_corpus
from pipeline.corpora.ingest import ingest_corpus, rejects_frame


def run(config: Config) -> None:
    """Stage runner: raw gold corpora -> Parquet tables under the tables folder.

    Every raw file is checked against its manifest's sha256 first (a file
    changed after fetch is refused, naming it); the tables of every corpus and
    the rejects land together, or not at all.
    """
    out = config.tables_dir
    rejects, tallies = [], []
    for name in config.corpora.sources():
        verify_corpus(name, config)
    with staged_files(out) as staging:
        for name in config.corpora.sources():
            adapter = corpus_adapter(name)
            result = ingest_corpus(adapter, config.raw_dir / name)
            for table, df in result.tables.items():
                write_table(df, adapter.tables[table], table_file(staging, name, table))
            rejects += result.rejects
            tallies += result.tallies
        all_rejects = rejects_frame(rejects)
        write_table(all_rejects, "rejects", staging / "rejects_ingest.parquet")
    for tally in tallies:
        print(f"ingest {tally.line()}")
    if len(all_rejects):
        print(f"ingest: {len(all_rejects)} rejects written to {out / 'rejects_ingest.parquet'}")
