"""seesaw-examples: SEESAW's train and valid articles as labelled candidate pairs, the training data of whole articles.

For each split, every article's gold sentences go through the one front half
(:func:`pipeline.frontend.gold.gold_articles`, as in ``bench-frontend`` and
``eval-e2e``: one claim per sentence), and each candidate pair is labelled
from the gold triplets of its sentence (:mod:`pipeline.frontend.gold_examples`).
Writes ``seesaw_examples_{train,valid}.parquet`` (schema ``seesaw_examples``:
the ``examples`` columns plus origin, evidence, article and sentence),
``seesaw_gold_unmatched_{train,valid}.parquet`` (each gold triplet no
candidate matches, with its reason) and ``seesaw_examples.json`` beside them
(counts, candidate recall, unmatched by reason, label counts).

``seesaw_examples.neutral_sentences`` says which sentences of the train
split give neutral examples (``all``, the default; ``annotated_only``: those
with at least one gold triplet, since SEESAW does not tell an unannotated
sentence from one without stance); ``seesaw_examples.neutral_per_positive`` thins the
train split's neutral examples. The valid split keeps every candidate pair
(``sentence_annotated`` says which sentences hold a triplet): it is what the
decision rule is tuned on, and ``eval-e2e`` counts a stance predicted in any
sentence.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import pandas as pd

from pipeline.core.config import Config
from pipeline.core.labels import PAIR_CLASS_NAMES, pair_class
from pipeline.core.tables import SCHEMAS, read_table, write_table, write_text_atomic
from pipeline.frontend.gold import gold_articles
from pipeline.frontend.gold_examples import (
    REASONS,
    Labelled,
    article_inputs,
    gold_of,
    label_article,
    name_denoter,
    recall_report,
    reconciles,
    sample_neutrals,
)
from pipeline.frontend.runner import FrontHalf

SPLITS = ("train", "valid")
TABLES = ("articles", "sentences", "entities", "triplets")


def split_tables(tables: dict[str, pd.DataFrame], split: str, limit: int | None) -> dict[str, pd.DataFrame]:
    """The SEESAW tables of one split, cut to its first `limit` articles when set."""
    chosen = {name: frame[frame["split"] == split].reset_index(drop=True) for name, frame in tables.items()}
    if limit is not None:
        keep = set(chosen["articles"]["article_id"].head(limit))
        chosen = {name: frame[frame["article_id"].isin(keep)].reset_index(drop=True) for name, frame in chosen.items()}
    return chosen


def label_split(front: FrontHalf, seesaw: dict[str, pd.DataFrame], split: str, neutral_sentences: str) -> Labelled:
    """Every candidate pair of one split's articles labelled, and its gold triplets matched or not."""
    gold = gold_of(seesaw["triplets"])
    texts = {(a, int(s)): t for a, s, t in zip(seesaw["sentences"]["article_id"], seesaw["sentences"]["sentence_id"],
                                               seesaw["sentences"]["text"])}
    result = Labelled()
    for article in gold_articles(front, seesaw):
        pairs, present = article_inputs(article, front.pairs(article.claims, article.mentions,
                                                             {article.article_id: article.outlet}))
        result.counts["articles"] += 1
        sentences = {sid: texts.get((article.article_id, sid), "") for sid in article.spans}
        result.add(label_article(article.article_id, split, pairs, gold.get(article.article_id, []), present,
                                 sentences, name_denoter(article.names, front.lexicon), front.lexicon, front.markers,
                                 neutral_sentences))
    with_sentences = set(seesaw["sentences"]["article_id"])
    for article_id, triplets in gold.items():  # articles the front half never saw: their gold is still counted
        if article_id not in with_sentences:
            result.add(label_article(article_id, split, [], triplets, {}, {}, lambda a, g: False, front.lexicon,
                                     front.markers, neutral_sentences))
    return result


def split_report(labelled: Labelled, kept: pd.DataFrame, wall_s: float) -> dict:
    """The figures of one split: candidates, examples by label, gold matched and unmatched by reason."""
    counts = labelled.counts
    unmatched = Counter(row["reason"] for row in labelled.unmatched)
    written = pd.DataFrame(labelled.examples, columns=SCHEMAS["seesaw_examples"].names)
    return {
        "articles": counts["articles"], "candidates": counts["candidates"],
        "candidates_per_article": counts["candidates"] / counts["articles"] if counts["articles"] else 0.0,
        "candidates_unannotated_sentence": counts["candidates_unannotated_sentence"],
        "candidates_unannotated_left_out": counts["candidates_unannotated_left_out"],
        "candidates_conflicting": counts["candidates_conflicting"], "candidates_mutual": counts["candidates_mutual"],
        "examples_labelled": len(written), "examples_written": len(kept),
        "labels": {k: int(v) for k, v in kept["label"].value_counts().items()},
        "labels_before_sampling": {k: int(v) for k, v in written["label"].value_counts().items()},
        "pair_classes": dict(sorted(Counter(PAIR_CLASS_NAMES[pair_class(code, direction)] for code, direction
                                            in zip(kept["dse_label"], kept["direction"])).items())),
        "gold_read": counts["gold_read"],
        "gold_matched": counts["gold_matched_entity"] + counts["gold_matched_author"],
        "gold_unmatched": len(labelled.unmatched),
        "unmatched_by_reason": {reason: unmatched[reason] for reason in REASONS if unmatched[reason]},
        "candidate_recall": recall_report(counts),
        "wall_s": wall_s,
    }


def format_report(split: str, report: dict) -> str:
    """A few readable lines of one split's figures."""
    recall = report["candidate_recall"]
    lines = [
        f"seesaw-examples {split}: {report['articles']} articles, {report['candidates']} candidate pairs "
        f"({report['candidates_per_article']:.1f} per article; {report['candidates_unannotated_sentence']} in sentences "
        f"without a triplet, of which {report['candidates_unannotated_left_out']} left out; "
        f"{report['candidates_conflicting']} with conflicting gold left out)",
        f"  examples: {report['examples_written']} written of {report['examples_labelled']} labelled; "
        f"labels {report['labels']} (before sampling {report['labels_before_sampling']})",
        f"  gold read {report['gold_read']} = matched {report['gold_matched']} + unmatched {report['gold_unmatched']}",
        *(f"    unmatched: {reason:<52} {n}" for reason, n in report["unmatched_by_reason"].items()),
        f"  candidate recall: entity {recall['entity']['recall']:.3f} ({recall['entity']['matched']}/"
        f"{recall['entity']['scored']}), author {recall['author']['recall']:.3f} ({recall['author']['matched']}/"
        f"{recall['author']['scored']}), all {recall['all']['recall']:.3f}",
    ]
    return "\n".join(lines)


def run(config: Config) -> None:
    """Label the candidate pairs of SEESAW train and valid; write the examples, the unmatched gold, the report."""
    settings = config.seesaw_examples
    tables = {name: read_table(config.tables_dir / f"seesaw_{name}.parquet", f"seesaw_{name}") for name in TABLES}
    front = FrontHalf.from_config(config)
    reports = {}
    for split in SPLITS:
        began = time.perf_counter()
        labelled = label_split(front, split_tables(tables, split, settings.limit_articles), split,
                               settings.neutral_sentences if split == "train" else "all")
        if not reconciles(labelled):
            raise RuntimeError(f"seesaw-examples {split}: gold triplets do not reconcile: {dict(labelled.counts)}")
        examples = pd.DataFrame(labelled.examples, columns=SCHEMAS["seesaw_examples"].names)
        kept = sample_neutrals(examples, settings.neutral_per_positive, settings.seed) if split == "train" else examples
        write_table(kept.reset_index(drop=True), "seesaw_examples", config.tables_dir / f"seesaw_examples_{split}.parquet")
        unmatched = pd.DataFrame(labelled.unmatched, columns=SCHEMAS["seesaw_gold_unmatched"].names)
        write_table(unmatched, "seesaw_gold_unmatched", config.tables_dir / f"seesaw_gold_unmatched_{split}.parquet")
        reports[split] = split_report(labelled, kept, time.perf_counter() - began)
        print(format_report(split, reports[split]))
    details = {"settings": settings.model_dump(mode="json"), "splits": reports}
    write_text_atomic(config.tables_dir / "seesaw_examples.json", json.dumps(details, indent=1) + "\n")
    print(f"seesaw-examples: tables in {config.tables_dir}, report {config.tables_dir / 'seesaw_examples.json'}")
