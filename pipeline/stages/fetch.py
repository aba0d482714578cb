"""fetch: bring the gold corpora into data/raw, whole and unaltered (see :mod:`pipeline.corpora.fetch`)."""

from __future__ import annotations

from pipeline.core.config import Config
from pipeline.corpora.fetch import fetch_corpus


def run(config: Config) -> None:
    """Stage runner: every configured corpus verified under data/raw/<corpus>/."""
    for name in config.corpora.sources():
        counts = fetch_corpus(name, config)
        print(f"fetch {name}: {counts['files']} files verified "
              f"({counts['fetched']} fetched, {counts['kept']} already present)")

