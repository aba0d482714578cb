"""ingest: every configured gold corpus becomes its declared tables, plus one rejects table.

Each corpus adapter (:mod:`pipeline.corpora.base`) reads its raw files; every
input record ends up either in one of its tables or in the rejects table with
its file, line and reason, and the printed counts reconcile
(read = accepted + rejected).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.core.tables import SCHEMAS
from pipeline.corpora.base import CorpusAdapter, CorpusRead, check_read
from pipeline.corpora.seesaw import ingest_seesaw  # noqa: F401  (pipeline.bench.frontend reads SEESAW through it)


def ingest_corpus(adapter: CorpusAdapter, raw_dir: Path) -> CorpusRead:
    """Read one corpus; check it gives its declared tables and reconciling counts."""
    return check_read(adapter, adapter.read(raw_dir))


def rejects_frame(rejects: list[dict]) -> pd.DataFrame:
    """The rejects of every corpus as one table (schema ``rejects``)."""
    frame = pd.DataFrame(rejects, columns=SCHEMAS["rejects"].names)
    frame["line"] = frame["line"].astype("Int64")
    return frame
