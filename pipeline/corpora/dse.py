"""DSE, the gold corpus of directed sentence-level stance: its adapter and line parser.

A DSE line has four TAB-separated fields: sentence (both entity mentions in
square brackets), entity p, entity q, label. About 5 % of lines carry
CSV-style escaped fields (``"…""…"``), entity fields included; once
unescaped, the first bracketed mention is p and the second is q.

The adapter reads ``{train,valid,test}.txt`` into the tables ``dse_{split}``
(schema ``dse_rows``) and gives two directed gold examples per row.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from pipeline.core.config import ExamplesConfig
from pipeline.corpora.base import (
    CorpusAdapter,
    CorpusRead,
    Tally,
    register_corpus,
    reject,
)
from pipeline.corpora.examples import directed_examples, limit_rows

log = logging.getLogger(__name__)

DSE_SPLITS = ("train", "valid", "test")

_CSV_QUOTED = re.compile(r'^"(?:[^"]|"")*"$')
_BRACKETED = re.compile(r"\[([^\[\]]*)\]")


class DseLineError(ValueError):
    """A DSE line that cannot be parsed; the message is the reason."""


@dataclass(frozen=True)
class DseRow:
    """One DSE example with entity brackets removed and character offsets into `text`."""

    text: str
    p: str
    q: str
    p_start: int
    p_end: int
    q_start: int
    q_end: int
    dse_label: int

    def as_dict(self) -> dict:
        return asdict(self)


def unescape_field(field: str) -> str:
    """Undo CSV quoting (a doubled quote inside a quoted field is one quote).

    A raw field is returned unchanged.

    Only a field that is wholly quoted, with every inner quote doubled, counts
    as escaped: raw sentences also contain double quotes.
    """
    if len(field) >= 2 and _CSV_QUOTED.match(field):
        return field[1:-1].replace('""', '"')
    return field


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) so that it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def parse_dse_line(line: str) -> DseRow:
    """Parse one DSE line; raise DseLineError with the reason when it is malformed."""
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) != 4:
        raise DseLineError(f"expected 4 TAB-separated fields, found {len(fields)}")
    sentence, p_field, q_field, label_field = (unescape_field(f) for f in fields)
    try:
        dse_label = int(label_field.strip())
    except ValueError:
        raise DseLineError(f"label {label_field!r} is not an integer") from None
    if dse_label not in range(5):
        raise DseLineError(f"label {dse_label} is outside 0-4")
    mentions = list(_BRACKETED.finditer(sentence))
    if len(mentions) != 2 or sentence.count("[") != 2 or sentence.count("]") != 2:
        raise DseLineError(f"expected exactly 2 bracketed mentions, found {sentence.count('[')} '[' and {len(mentions)} spans")

    # Rebuild the sentence without brackets, tracking where each mention lands.
    pieces, spans, cursor, position = [], [], 0, 0
    for match in mentions:
        before = sentence[cursor:match.start()]
        pieces.append(before)
        position += len(before)
        inner = match.group(1)
        spans.append((position, position + len(inner)))
        pieces.append(inner)
        position += len(inner)
        cursor = match.end()
    pieces.append(sentence[cursor:])
    text = "".join(pieces)
    (p_start, p_end), (q_start, q_end) = (_strip_span(text, *span) for span in spans)

    p_mention, q_mention = text[p_start:p_end], text[q_start:q_end]
    if not p_mention or not q_mention:
        raise DseLineError("an entity mention is empty")
    if p_mention != p_field.strip():
        raise DseLineError(f"first mention {p_mention!r} differs from entity p {p_field.strip()!r}")
    if q_mention != q_field.strip():
        raise DseLineError(f"second mention {q_mention!r} differs from entity q {q_field.strip()!r}")
    return DseRow(text, p_mention, q_mention, p_start, p_end, q_start, q_end, dse_label)


def read_dse_file(path: Path, split: str) -> tuple[list[dict], list[dict]]:
    """All rows of one DSE split file, and the rejects of its malformed lines."""
    rows, rejects = [], []
    with path.open(encoding="utf-8", errors="strict", newline="") as handle:
        for line_no, line in enumerate(handle, start=1):
            try:
                row = parse_dse_line(line)
            except DseLineError as exc:
                log.warning("%s:%d: %s", path, line_no, exc)
                rejects.append(reject("ingest", str(path), line_no, str(exc), line))
                continue
            rows.append({"row_id": f"dse-{split}-{line_no:05d}", "split": split, "line_no": line_no,
                         **row.as_dict()})
    return rows, rejects


def ingest_dse(raw_dir: Path) -> tuple[dict[str, pd.DataFrame], list[dict], list[Tally]]:
    """DSE split files -> one rows table per split."""
    tables, rejects, tallies = {}, [], []
    for split in DSE_SPLITS:
        rows, split_rejects = read_dse_file(raw_dir / f"{split}.txt", split)
        tables[split] = pd.DataFrame(rows)
        rejects += split_rejects
        tallies.append(Tally(f"dse {split} lines", len(rows) + len(split_rejects), len(rows), len(split_rejects)))
    return tables, rejects, tallies


@register_corpus
class DseCorpus(CorpusAdapter):
    """DSE (Park, Pan & Joo 2021): sentences with two marked entities and a five-class directed label."""

    name = "dse"
    tables = {split: "dse_rows" for split in DSE_SPLITS}
    provides_examples = True

    def read(self, raw_dir: Path) -> CorpusRead:
        """The three split files -> ``dse_train``, ``dse_valid``, ``dse_test``."""
        return CorpusRead(*ingest_dse(raw_dir))

    def gold_examples(self, tables: dict[str, pd.DataFrame], settings: ExamplesConfig,
                      seed: int) -> dict[str, pd.DataFrame]:
        """Two directed examples, (p -> q) and (q -> p), per row of each split
        (a seeded random ``settings.limit_per_split`` rows when set)."""
        return {split: directed_examples(limit_rows(tables[split], settings.limit_per_split, seed), settings)
                for split in DSE_SPLITS}
