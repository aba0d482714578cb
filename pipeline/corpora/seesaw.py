"""SEESAW, the gold corpus of article-level stance triplets: its adapter and story parser.

A story (``meta/TRIPLET_NNN.json``) is covered by three articles
(``articles/`` and ``annotations/TRIPLET_NNN_DOCUMENT_K.json``). Every record
carries its story's split, so later stages split by story, never by sentence.

The adapter reads the stories into the tables ``seesaw_articles``,
``seesaw_sentences``, ``seesaw_entities`` and ``seesaw_triplets``. SEESAW is
scoring data for the end-to-end evaluation: it provides no pair-level gold
examples for training.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.corpora.base import (
    CorpusAdapter,
    CorpusRead,
    Tally,
    register_corpus,
    reject,
)

log = logging.getLogger(__name__)

AUTHOR_SUBJECT = "None"
SENTIMENTS = ("POS", "NEG")
SPLITS = ("train", "valid")
DOCUMENTS_PER_STORY = 3


class SeesawError(ValueError):
    """A SEESAW file that cannot be used; the message says why."""


@dataclass
class ParsedArticle:
    """Everything one SEESAW article contributes, plus its rejected triplets."""

    article: dict
    sentences: list[dict]
    entities: list[dict]
    triplets: list[dict]
    rejects: list[dict] = field(default_factory=list)
    triplets_read: int = 0


def load_json(path: Path) -> dict:
    """Read a JSON object; a parse error names the file and line."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SeesawError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise SeesawError(f"{path}: not UTF-8: {exc.reason} at byte {exc.start}") from None
    if not isinstance(data, dict):
        raise SeesawError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def story_split(meta: dict, path: Path) -> str:
    """The split of a story from its meta record."""
    split = meta.get("Split")
    if split not in SPLITS:
        raise SeesawError(f"{path}: 'Split' is {split!r}, expected one of {SPLITS}")
    return split


def parse_article(
    article_id: str, story_id: str, split: str, meta: dict, doc_index: int,
    article_json: dict, annotation_json: dict, annotation_path: str,
) -> ParsedArticle:
    """Turn one article's text and annotation JSON into table records."""
    sentences_raw = article_json.get("text")
    if not isinstance(sentences_raw, list):
        raise SeesawError(f"article {article_id}: 'text' must be a list of sentences")
    sentences = []
    for position, sentence in enumerate(sentences_raw):
        if not isinstance(sentence, dict) or "id" not in sentence or "text" not in sentence:
            raise SeesawError(f"article {article_id}: sentence {position} lacks 'id' or 'text'")
        sentences.append({"article_id": article_id, "split": split,
                          "sentence_id": int(sentence["id"]), "text": str(sentence["text"] or "")})
    sentence_ids = {s["sentence_id"] for s in sentences}
    outlet_meta = meta.get(f"Meta info for article {doc_index}", {}) or {}
    bias = outlet_meta.get("bias_label")
    article = {
        "article_id": article_id, "story_id": story_id, "split": split,
        "outlet": outlet_meta.get("source"),
        "bias_label": int(bias) if isinstance(bias, (int, float)) else None,
        "title": str(article_json.get("title") or ""),
        "text": " ".join(s["text"].strip() for s in sentences if s["text"].strip()),
        "n_sentences": len(sentences),
    }

    entities = []
    for entry in annotation_json.get("entity lists", []):
        if not isinstance(entry, list) or not entry or not isinstance(entry[0], str):
            raise SeesawError(f"{annotation_path}: malformed entity list entry {entry!r}")
        entities.append({
            "article_id": article_id, "split": split, "name": entry[0],
            "entity_type": ",".join(entry[1]) if len(entry) > 1 and isinstance(entry[1], list) else "",
            "salience": ",".join(entry[2]) if len(entry) > 2 and isinstance(entry[2], list) else "",
        })

    parsed = ParsedArticle(article, sentences, entities, triplets=[])
    stances = annotation_json.get("sentence-level stances", {})
    if not isinstance(stances, dict):
        raise SeesawError(f"{annotation_path}: 'sentence-level stances' must be an object")
    for sentence_key, triplets in stances.items():
        for triplet in triplets if isinstance(triplets, list) else [triplets]:
            parsed.triplets_read += 1
            reason = _triplet_problem(sentence_key, triplet, sentence_ids)
            if reason:
                parsed.rejects.append({"stage": "ingest", "file": annotation_path, "line": None,
                                       "reason": f"sentence {sentence_key}: {reason}",
                                       "raw": json.dumps(triplet)[:500]})
                continue
            subject = triplet["subject"]
            parsed.triplets.append({
                "article_id": article_id, "split": split, "sentence_id": int(sentence_key),
                "subject": None if subject == AUTHOR_SUBJECT else subject,
                "subject_is_author": subject == AUTHOR_SUBJECT,
                "sentiment": triplet["sentiment"], "object": triplet["object"],
            })
    return parsed


def _triplet_problem(sentence_key: str, triplet: object, sentence_ids: set[int]) -> str | None:
    if not isinstance(triplet, dict):
        return "triplet is not an object"
    missing = [k for k in ("subject", "sentiment", "object") if not isinstance(triplet.get(k), str)]
    if missing:
        return f"triplet lacks {missing}"
    if triplet["sentiment"] not in SENTIMENTS:
        return f"sentiment {triplet['sentiment']!r} is not one of {SENTIMENTS}"
    if not str(sentence_key).isdigit() or int(sentence_key) not in sentence_ids:
        return "no sentence with that id in the article"
    return None


def story_files(root: Path) -> list[Path]:
    """The meta files of every story under a SEESAW folder, in order."""
    return sorted((root / "meta").glob("TRIPLET_*.json"))


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


@register_corpus
class SeesawCorpus(CorpusAdapter):
    """SEESAW (Zhang, Beauchamp & Wang 2022): news stories with sentence-level stance triplets."""

    name = "seesaw"
    tables = {table: f"seesaw_{table}" for table in ("articles", "sentences", "entities", "triplets")}
    provides_examples = False  # scoring data for eval-e2e, no pair-level gold examples

    def read(self, raw_dir: Path) -> CorpusRead:
        """The stories -> ``seesaw_articles``, ``seesaw_sentences``, ``seesaw_entities``, ``seesaw_triplets``."""
        return CorpusRead(*ingest_seesaw(raw_dir))
