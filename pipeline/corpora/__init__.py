"""Gold corpora: fetch and verify, read into declared tables, build gold examples.

Each corpus is an adapter (:mod:`pipeline.corpora.base`); importing this
package registers the shipped ones, DSE and SEESAW.
"""

from __future__ import annotations

from pipeline.corpora import dse, seesaw  # noqa: F401  (registration)
from pipeline.corpora.base import (
    CorpusAdapter,
    CorpusRead,
    corpus_adapter,
    register_corpus,
)

__all__ = ["CorpusAdapter", "CorpusRead", "corpus_adapter", "register_corpus"]
