"""Gold corpora: fetch and verify, read into declared tables, build gold examples.

Each corpus is an adapter (:mod:`pipeline.corpora.base`) in a module of
this package; importing the package imports every module in it, so each
adapter registers itself (DSE and SEESAW ship) and a new one needs no
import line.
"""

from __future__ import annotations

from pipeline.core.plugins import import_all
from pipeline.corpora.base import (
    CorpusAdapter,
    CorpusRead,
    corpus_adapter,
    register_corpus,
)

import_all(__name__, __path__)

__all__ = ["CorpusAdapter", "CorpusRead", "corpus_adapter", "register_corpus"]
