"""The gold corpus adapter: one class per corpus, registered by name.

A gold corpus is one module that subclasses :class:`CorpusAdapter` and
decorates it with :func:`register_corpus`::

    @register_corpus
    class TinyCorpus(CorpusAdapter):
        name = "tiny"
        tables = {"train": "tiny_rows", "valid": "tiny_rows", "test": "tiny_rows"}
        schemas = {"tiny_rows": pa.schema([...])}
        provides_examples = True

        def read(self, raw_dir): ...
        def gold_examples(self, tables, settings, seed): ...

Registering declares the corpus's config entry (``corpora.tiny``: base URL,
sha256 manifest, mirror folder, validated when the config loads) and its
tables' schemas. The fetch, ingest and examples stages then take every
configured corpus with no edit: fetch verifies ``data/raw/<name>/`` against
the manifest, ingest writes ``<name>_<table>.parquet`` and the shared rejects
table, examples adds the corpus's gold examples to ``examples_<split>.parquet``,
and each MLflow run is tagged ``<name>_sha256``. The shipped adapters
(:mod:`pipeline.corpora.dse`, :mod:`pipeline.corpora.seesaw`) are imported by
:mod:`pipeline.corpora`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar

import pandas as pd
import pyarrow as pa

from pipeline.core.config import CorpusSource, ExamplesConfig, register_corpus_source
from pipeline.core.tables import SCHEMAS, register_schema


@dataclass
class Tally:
    """Records read, accepted and rejected by one part of a stage."""

    name: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0

    def line(self) -> str:
        """``name: read N = accepted A + rejected R``; an error when the counts do not reconcile."""
        if self.read != self.accepted + self.rejected:
            raise RuntimeError(f"{self.name}: counts do not reconcile: {self}")
        return f"{self.name}: read {self.read} = accepted {self.accepted} + rejected {self.rejected}"


def reject(stage: str, file: str, line: int | None, reason: str, raw: str) -> dict:
    """One rejects-table record."""
    return {"stage": stage, "file": file, "line": line, "reason": reason, "raw": raw[:500]}


@dataclass
class CorpusRead:
    """What reading a raw corpus gives: its tables, the records it rejected, and the counts."""

    tables: dict[str, pd.DataFrame]
    rejects: list[dict] = field(default_factory=list)
    tallies: list[Tally] = field(default_factory=list)


class CorpusAdapter:
    """A gold corpus: how its raw files become declared tables, and (optionally) gold examples.

    Class attributes:
        name: the corpus name; its config entry is ``corpora.<name>``, its raw
            files land in ``data/raw/<name>/``, its tables are ``<name>_<table>.parquet``.
        tables: table -> declared schema name (in :data:`pipeline.core.tables.SCHEMAS`),
            exactly the tables :meth:`read` returns.
        schemas: schemas this corpus declares itself (name -> Arrow schema).
        source_settings: the class of its config entry (a :class:`CorpusSource`).
        provides_examples: whether :meth:`gold_examples` gives pair-level gold examples.
    """

    name: ClassVar[str]
    tables: ClassVar[dict[str, str]]
    schemas: ClassVar[dict[str, pa.Schema]] = {}
    source_settings: ClassVar[type[CorpusSource]] = CorpusSource
    provides_examples: ClassVar[bool] = False

    def read(self, raw_dir: Path) -> CorpusRead:
        """Read the verified raw files under `raw_dir` into the declared tables."""
        raise NotImplementedError

    def gold_examples(self, tables: dict[str, pd.DataFrame], settings: ExamplesConfig,
                      seed: int) -> dict[str, pd.DataFrame]:
        """Directed gold examples per split (the ``examples`` schema) from this corpus's tables."""
        raise NotImplementedError(f"gold corpus {self.name!r} provides no gold examples")


_ADAPTERS: dict[str, CorpusAdapter] = {}

A = TypeVar("A", bound=type[CorpusAdapter])


def register_corpus(cls: A) -> A:
    """Class decorator: make `cls` the adapter of the gold corpus ``cls.name``."""
    for table, schema in cls.schemas.items():
        register_schema(table, schema)
    undeclared = sorted(set(cls.tables.values()) - set(SCHEMAS))
    if undeclared:
        raise ValueError(f"gold corpus {cls.name!r}: tables use undeclared schemas {undeclared}")
    _ADAPTERS[cls.name] = cls()
    register_corpus_source(cls.name, cls.source_settings)
    return cls


def corpus_adapter(name: str) -> CorpusAdapter:
    """The adapter of a registered corpus; a clear error names the known ones."""
    if name not in _ADAPTERS:
        raise ValueError(f"unknown gold corpus {name!r}; registered: {sorted(_ADAPTERS)}")
    return _ADAPTERS[name]


def table_file(tables_dir: Path, corpus: str, table: str) -> Path:
    """Where a corpus table is written: ``<tables_dir>/<corpus>_<table>.parquet``."""
    return tables_dir / f"{corpus}_{table}.parquet"


def check_read(adapter: CorpusAdapter, result: CorpusRead) -> CorpusRead:
    """Check a read gives exactly the declared tables and counts that reconcile."""
    if set(result.tables) != set(adapter.tables):
        raise ValueError(f"gold corpus {adapter.name!r} read tables {sorted(result.tables)}, "
                         f"declared {sorted(adapter.tables)}")
    for tally in result.tallies:
        tally.line()
    return result


__all__ = ["CorpusAdapter", "CorpusRead", "Tally", "check_read", "corpus_adapter", "register_corpus", "reject",
           "table_file"]
