"""seesaw-examples: candidate pairs labelled from gold triplets, unmatched gold with reasons, neutral sampling,
and one run of the stage on two SEESAW train articles."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.core.config import ExamplesConfig, load_config, load_lexicon
from pipeline.core.labels import (
    HOSTILE,
    LABEL2ID,
    NEUTRAL,
    SUPPORTIVE,
    directed_proba,
    encode_labels,
    pair_class,
)
from pipeline.core.tables import read_table
from pipeline.frontend import gold_examples as G
from pipeline.frontend.gold_examples import GoldTriplet
from pipeline.stages import fetch, ingest, seesaw_examples

LEXICON = load_lexicon()
MARKERS = ExamplesConfig()
NAMES = {"Obama": {"Obama", "President Obama"}, "Congress": {"Congress"}, "CNN": {"CNN"},
         "Republicans": {"Republicans"}}
TEXTS = {0: "President Obama criticized Congress on Friday.", 1: "Republicans praised Obama.",
         2: "The weather was fine.", 3: "Congress met Lynch."}


def pair(pair_id, sentence_id, source, target, origin, text):
    """A candidate pair record as the front half gives it, with its gold sentence."""
    return {"pair_id": pair_id, "sentence_id": sentence_id, "source": source, "target": target, "origin": origin,
            "text": text, "source_evidence": "author" if origin == "author" else "named", "target_evidence": "named"}


PAIRS = [
    pair("a-c000-p00", 0, "Obama", "Congress", "mention", "President <src>Obama</src> criticized <tgt>Congress</tgt> on Friday."),
    pair("a-c000-p01", 0, "Congress", "Obama", "mention", "President <tgt>Obama</tgt> criticized <src>Congress</src> on Friday."),
    pair("a-c000-p02", 0, "CNN", "Obama", "author", "<src>CNN</src>: President <tgt>Obama</tgt> criticized Congress on Friday."),
    pair("a-c001-p00", 1, "Republicans", "Obama", "mention", "<src>Republicans</src> praised <tgt>Obama</tgt>."),
    pair("a-c002-p00", 2, "CNN", "Obama", "author", "On <tgt>Obama</tgt>: <src>CNN</src> The weather was fine."),
]
PRESENT = {0: {"Obama", "Congress"}, 1: {"Republicans", "Obama"}, 3: {"Congress"}}


def label(triplets, pairs=PAIRS, neutral_sentences="annotated_only"):
    return G.label_article("a", "train", pairs, triplets, PRESENT, TEXTS, G.name_denoter(NAMES, LEXICON), LEXICON,
                           MARKERS, neutral_sentences)


def by_pair(labelled):
    return {e["row_id"].removeprefix("seesaw-"): e for e in labelled.examples}


def test_a_triplet_labels_its_pair_and_the_reversed_pair_stays_neutral():
    found = by_pair(label([GoldTriplet(0, "Barack Obama", "Congress", "NEG")]))
    assert found["a-c000-p00"]["label"] == HOSTILE
    reverse = found["a-c000-p01"]
    assert reverse["label"] == NEUTRAL
    assert pair_class(reverse["dse_label"], reverse["direction"]) == 4  # its target opposes its source
    assert found["a-c000-p02"]["label"] == NEUTRAL  # the author pair is not joined by an entity triplet


def test_author_triplets_label_author_pairs_only():
    found = by_pair(label([GoldTriplet(0, None, "Barack Obama", "POS"), GoldTriplet(1, "Republican Party",
                                                                                  "Barack Obama", "POS")]))
    assert found["a-c000-p02"]["label"] == SUPPORTIVE and found["a-c000-p02"]["origin"] == "author"
    assert found["a-c000-p00"]["label"] == NEUTRAL and found["a-c001-p00"]["label"] == SUPPORTIVE


def test_pair_class_of_every_example_gives_back_its_label_and_its_reading():
    labelled = label([GoldTriplet(0, "Barack Obama", "Congress", "NEG"), GoldTriplet(1, "Republican Party",
                                                                                   "Barack Obama", "POS"),
                      GoldTriplet(0, None, "Barack Obama", "NEG")])
    for example in labelled.examples:
        cls = pair_class(example["dse_label"], example["direction"])
        one_hot = np.eye(5)[[cls]]
        assert directed_proba(one_hot).argmax() == LABEL2ID[example["label"]], example
        source_first = example["text"].find("<src>") < example["text"].find("<tgt>")
        assert example["direction"] == ("pq" if source_first else "qp")
    assert G.reading("<tgt>A</tgt> hit <src>B</src>", 1, MARKERS) == ("qp", 2)
    assert G.reading("<src>B</src> hit <tgt>A</tgt>", 3, MARKERS) == ("pq", 3)


def test_unannotated_sentences_give_neutral_examples_only_when_asked():
    triplets = [GoldTriplet(0, "Barack Obama", "Congress", "NEG")]
    annotated_only, every = label(triplets), label(triplets, neutral_sentences="all")
    assert {e["sentence_id"] for e in annotated_only.examples} == {0}
    assert {e["sentence_id"] for e in every.examples} == {0, 1, 2}
    assert annotated_only.counts["candidates_unannotated_sentence"] == every.counts["candidates_unannotated_sentence"] == 2
    assert (annotated_only.counts["candidates_unannotated_left_out"], every.counts["candidates_unannotated_left_out"]) == (2, 0)
    assert [e["sentence_annotated"] for e in every.examples] == [e["sentence_id"] == 0 for e in every.examples]
    assert annotated_only.counts["candidates"] == every.counts["candidates"] == len(PAIRS)


def test_unmatched_gold_gets_its_reason_and_the_counts_reconcile():
    triplets = [
        GoldTriplet(0, "Barack Obama", "Congress", "NEG"),      # matched
        GoldTriplet(0, "Barack Obama", "Congress", "NEG"),      # duplicate
        GoldTriplet(0, "Not in the list", "Congress", "NEG"),   # subject not listed
        GoldTriplet(0, "Barack Obama", "Not in the list", "POS"),
        GoldTriplet(1, None, "Barack Obama", "POS"),            # sentence 1 has no author pair
        GoldTriplet(0, "Barack Obama", "Hillary Clinton", "NEG"),  # not named in the sentence
        GoldTriplet(2, "Weather Service", "Barack Obama", "NEG"),  # "weather" is in the sentence: named, not found
        GoldTriplet(0, "Congress", "Congress", "NEG"),          # both named, no pair joins them
        GoldTriplet(3, "Congress", "Loretta Lynch", "NEG"),     # "Lynch" is named, no actor found
    ]
    labelled = label(triplets)
    reasons = [row["reason"] for row in labelled.unmatched]
    assert reasons == [G.DUPLICATE, G.SUBJECT_NOT_LISTED, G.OBJECT_NOT_LISTED, G.NO_AUTHOR_PAIR,
                       G.OBJECT_NOT_NAMED, G.SUBJECT_NOT_FOUND, G.NAME_UNMATCHED, G.OBJECT_NOT_FOUND]
    assert labelled.unmatched[3]["subject"] is None
    assert G.reconciles(labelled) and labelled.counts["gold_read"] == len(triplets)
    recall = G.recall_report(labelled.counts)
    assert recall["entity"] == {"scored": 5, "matched": 1, "recall": 0.2}  # duplicates and unlisted are not scored
    assert recall["author"] == {"scored": 1, "matched": 0, "recall": 0.0}


def test_conflicting_gold_is_left_out_and_counted():
    labelled = label([GoldTriplet(0, "Barack Obama", "Congress", "NEG"), GoldTriplet(0, "Obama", "Congress", "POS")])
    assert "a-c000-p00" not in by_pair(labelled) and labelled.counts["candidates_conflicting"] == 2  # and its reverse
    assert G.reconciles(labelled)


def test_neutral_sampling_keeps_every_stance_and_is_seeded():
    examples = pd.DataFrame({"label": [SUPPORTIVE] * 3 + [NEUTRAL] * 40, "dse_label": [1, 2, 3] + [0] * 40})
    kept = G.sample_neutrals(examples, 2.0, seed=7)
    assert (kept["dse_label"] != 0).sum() == 3 and (kept["dse_label"] == 0).sum() == 6
    assert kept.index.is_monotonic_increasing
    assert kept.index.equals(G.sample_neutrals(examples, 2.0, seed=7).index)
    assert not kept.index.equals(G.sample_neutrals(examples, 2.0, seed=8).index)
    assert G.sample_neutrals(examples, None, seed=7) is examples
    assert len(G.sample_neutrals(examples, 100.0, seed=7)) == len(examples)


def test_gold_of_reads_the_triplets_table_with_the_author_as_no_subject():
    table = pd.DataFrame({"article_id": ["a", "a", "b"], "split": "train", "sentence_id": [0, 1, 0],
                          "subject": ["Barack Obama", None, "Congress"], "subject_is_author": [False, True, False],
                          "sentiment": ["NEG", "POS", "NEG"], "object": ["Congress", "Barack Obama", "Barack Obama"]})
    assert G.gold_of(table) == {"a": [GoldTriplet(0, "Barack Obama", "Congress", "NEG"),
                                      GoldTriplet(1, None, "Barack Obama", "POS")],
                                "b": [GoldTriplet(0, "Congress", "Barack Obama", "NEG")]}


@pytest.mark.slow
def test_the_stage_on_two_seesaw_train_articles(tmp_path, capsys):
    config = load_config("default", [f"paths.raw_dir={tmp_path / 'raw'}", f"paths.tables_dir={tmp_path / 'tables'}",
                                     f"paths.outputs_dir={tmp_path / 'outputs'}", "seesaw_examples.limit_articles=2",
                                     "seesaw_examples.neutral_per_positive=1"])
    fetch.run(config)
    ingest.run(config)
    seesaw_examples.run(config)
    report = json.loads((config.tables_dir / "seesaw_examples.json").read_text())
    for split in ("train", "valid"):
        examples = read_table(config.tables_dir / f"seesaw_examples_{split}.parquet", "seesaw_examples")
        unmatched = read_table(config.tables_dir / f"seesaw_gold_unmatched_{split}.parquet", "seesaw_gold_unmatched")
        figures = report["splits"][split]
        assert figures["articles"] == 2 and examples["article_id"].nunique() <= 2
        assert figures["gold_read"] == figures["gold_matched"] + len(unmatched) > 0
        assert set(examples["label"]) <= {SUPPORTIVE, HOSTILE, NEUTRAL} and (examples["label"] != NEUTRAL).any()
        classes = [pair_class(c, d) for c, d in zip(examples["dse_label"], examples["direction"])]
        assert (directed_proba(np.eye(5)[classes]).argmax(axis=1) == encode_labels(examples["label"].tolist())).all()
        if split == "train":  # neutral_per_positive=1: no more pairs without stance than with one
            assert (examples["dse_label"] == 0).sum() <= (examples["dse_label"] != 0).sum()
    valid = report["splits"]["valid"]
    assert valid["examples_written"] == valid["examples_labelled"]  # valid keeps every neutral
    assert "gold read" in capsys.readouterr().out


def gold_table(rows):
    """A seesaw_triplets-like frame: (article, split, sentence, subject or None for the author, sentiment, object)."""
    return pd.DataFrame([{"article_id": a, "split": split, "sentence_id": s, "subject": subject or "",
                          "subject_is_author": subject is None, "sentiment": sentiment, "object": obj}
                         for a, split, s, subject, sentiment, obj in rows])


def test_gold_pairs_mark_both_entities_or_name_one_in_a_prefix_and_take_the_reverse_stance():
    triplets = gold_table([
        ("a", "train", 0, "Barack Obama", "NEG", "Congress"),
        ("a", "train", 0, "Congress", "POS", "Barack Obama"),   # the reverse stance of the same sentence
        ("a", "train", 1, "Loretta Lynch", "POS", "Barack Obama"),  # sentence 1 does not name Lynch
        ("a", "train", 1, None, "NEG", "Republicans"),          # the author's: left out
        ("a", "train", 1, "Not in the list", "POS", "Barack Obama"),
        ("a", "train", 0, "Barack Obama", "NEG", "Congress"),   # an exact duplicate
        ("a", "valid", 0, "Barack Obama", "POS", "Congress"),   # another split
    ])
    sentences = pd.DataFrame({"article_id": "a", "sentence_id": list(TEXTS), "text": list(TEXTS.values())})
    examples, counts = G.gold_pair_examples(triplets, sentences, "train", MARKERS, LEXICON)
    assert counts == {"read": 6, "author": 1, "not_listed": 1, "duplicate": 1, "conflicting": 0, "used": 3}
    by_source = examples.set_index("source")
    obama = by_source.loc["Barack Obama"]
    assert obama["text"] == "President <src>Obama</src> criticized <tgt>Congress</tgt> on Friday."
    assert obama["label"] == HOSTILE and pair_class(obama["dse_label"], obama["direction"]) == 3  # own stance wins
    congress = by_source.loc["Congress"]
    assert congress["label"] == SUPPORTIVE and pair_class(congress["dse_label"], congress["direction"]) == 1
    lynch = by_source.loc["Loretta Lynch"]
    assert lynch["text"] == "<src>Loretta Lynch</src>: Republicans praised <tgt>Obama</tgt>."


def test_gold_pairs_with_both_polarities_in_one_direction_are_left_out():
    triplets = gold_table([("a", "train", 0, "Barack Obama", "NEG", "Congress"),
                           ("a", "train", 0, "Barack Obama", "POS", "Congress")])
    sentences = pd.DataFrame({"article_id": ["a"], "sentence_id": [0], "text": [TEXTS[0]]})
    examples, counts = G.gold_pair_examples(triplets, sentences, "train", MARKERS, LEXICON)
    assert examples.empty and counts["conflicting"] == 2 and counts["used"] == 0
