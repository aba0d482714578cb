from pipeline.core.config import ExamplesConfig
import pandas as pd

from pipeline.corpora.examples import directed_examples, in_domain_examples

MARKERS = ExamplesConfig()



def test_two_directed_examples_per_row(tiny_rows):
    examples = directed_examples(tiny_rows, MARKERS)
    assert len(examples) == 2 * len(tiny_rows)
    praised = examples[examples["row_id"] == "dse-train-00002"].set_index("direction")
    assert praised.loc["pq", "label"] == "supportive" and praised.loc["qp", "label"] == "neutral"
    assert praised.loc["pq", "source"] == "Alice" and praised.loc["qp", "source"] == "Bob"
    assert praised.loc["qp", "text"] == "<tgt>Alice</tgt> praised <src>Bob</src> for his courage."
    condemned_by = examples[examples["row_id"] == "dse-train-00005"].set_index("direction")
    assert condemned_by.loc["qp", "label"] == "hostile" and condemned_by.loc["pq", "label"] == "neutral"


def test_in_domain_candidates_become_canonical_directed_examples():
    markers = ExamplesConfig()
    candidates = pd.DataFrame({
        "row_id": ["a-p0", "a-p1", "a-p2", "a-p3"], "split": "train",
        # a-p1 is a-p0 read the other way (target marked first): one pair, one row.
        "direction": ["pq", "qp", "pq", "pq"],
        "source": ["Obama", "Congress", "Fox News", "Obama"], "target": ["Congress", "Obama", "Obama", "Senate"],
        "text": ["<src>Obama</src> slammed <tgt>Congress</tgt>.", "<tgt>Obama</tgt> slammed <src>Congress</src>.",
                 "<src>Fox News</src> (author): <tgt>Obama</tgt> spoke.", "<src>Obama</src> met the <tgt>Senate</tgt>."],
        "dse_label": [3, 3, 0, 0],
    })
    examples = in_domain_examples(candidates, markers, neutral_per_positive=1.0, seed=0)
    assert len(examples) == 4  # one stanced pair and one of the two neutral ones, two directions each
    first = examples.iloc[0]
    assert (first["direction"], first["source"], first["target"], first["label"]) == ("pq", "Obama", "Congress", "hostile")
    assert examples.iloc[1]["text"] == "<tgt>Obama</tgt> slammed <src>Congress</src>."
    assert examples.iloc[1]["label"] == "neutral"  # Congress towards Obama
    assert len(in_domain_examples(candidates, markers, None, 0)) == 6
    assert examples["weight"].eq(1.0).all()
    # Every neutral pair, weighted so that the two weigh what the one sampled would.
    every = in_domain_examples(candidates, markers, neutral_per_positive=1.0, seed=0, all_neutrals=True)
    assert len(every) == 6
    assert every.groupby("label")["weight"].sum().to_dict() == {"hostile": 1.0, "neutral": 3.0}
    assert every.loc[every["row_id"] == "a-p0", "weight"].tolist() == [1.0, 1.0]
