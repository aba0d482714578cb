"""ingest: gold corpora (DSE, SEESAW) and user articles become declared tables.

Every input record ends up either in a table or in the rejects table with its
file, line and reason; the printed counts reconcile (read = accepted + rejected).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.corpora.dse import DseLineError, parse_dse_line
from pipeline.corpora.seesaw import (
    DOCUMENTS_PER_STORY,
    SeesawError,
    load_json,
    parse_article,
    story_files,
    story_split,
)

log = logging.getLogger(__name__)

DSE_SPLITS = ("train", "valid", "test")


@dataclass
class Tally:
    """Records read, accepted and rejected by one part of a stage."""

    name: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0

    def line(self) -> str:
        if self.read != self.accepted + self.rejected:
            raise RuntimeError(f"{self.name}: counts do not reconcile: {self}")
        return f"{self.name}: read {self.read} = accepted {self.accepted} + rejected {self.rejected}"


def reject(stage: str, file: str, line: int | None, reason: str, raw: str) -> dict:
    """One rejects-table record."""
    return {"stage": stage, "file": file, "line": line, "reason": reason, "raw": raw[:500]}


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


def ingest_seesaw(root: Path) -> tuple[dict[str, pd.DataFrame], list[dict], list[Tally]]:
    """SEESAW stories -> articles, sentences, entities and triplets tables."""
    records: dict[str, list[dict]] = {"articles": [], "sentences": [], "entities": [], "triplets": []}
    rejects: list[dict] = []
    articles = Tally("seesaw articles")
    triplets = Tally("seesaw triplets")
    for meta_path in story_files(root):
        story_id = meta_path.stem
        try:
            meta = load_json(meta_path)
            split = story_split(meta, meta_path)
        except SeesawError as exc:
            log.warning("%s", exc)
            articles.read += DOCUMENTS_PER_STORY
            articles.rejected += DOCUMENTS_PER_STORY
            rejects.append(reject("ingest", str(meta_path), None, f"story skipped: {exc}", story_id))
            continue
        for doc_index in range(DOCUMENTS_PER_STORY):
            article_id = f"{story_id}_DOCUMENT_{doc_index}"
            article_path = root / "articles" / f"{article_id}.json"
            annotation_path = root / "annotations" / f"{article_id}.json"
            articles.read += 1
            try:
                parsed = parse_article(article_id, story_id, split, meta, doc_index,
                                       load_json(article_path), load_json(annotation_path), str(annotation_path))
            except (SeesawError, FileNotFoundError) as exc:
                log.warning("%s", exc)
                articles.rejected += 1
                rejects.append(reject("ingest", str(article_path), None, str(exc), article_id))
                continue
            articles.accepted += 1
            triplets.read += parsed.triplets_read
            triplets.accepted += len(parsed.triplets)
            triplets.rejected += len(parsed.rejects)
            rejects += parsed.rejects
            records["articles"].append(parsed.article)
            records["sentences"] += parsed.sentences
            records["entities"] += parsed.entities
            records["triplets"] += parsed.triplets
    tables = {name: pd.DataFrame(rows) for name, rows in records.items()}
    return tables, rejects, [articles, triplets]
