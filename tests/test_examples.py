from pipeline.core.config import ExamplesConfig
from pipeline.corpora.examples import directed_examples

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
