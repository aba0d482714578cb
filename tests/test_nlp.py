"""nlp: the spaCy pipeline, parsing in pieces, noun phrases from tags, quoted share."""

from __future__ import annotations

import pytest

from pipeline.core.config import ClaimsConfig
from pipeline.frontend.nlp import (
    _chunks,
    noun_phrases,
    parse_texts,
    quoted_share,
)
from pipeline.frontend.sentences import sentence_spans

SETTINGS = ClaimsConfig()




def test_pipeline_runs_only_what_the_stages_use(nlp):
    assert nlp.pipe_names == ["tok2vec", "senter", "ner"]


def test_long_texts_are_parsed_in_pieces(nlp):
    text = "\n".join(f"Sentence number {i} is here." for i in range(40))
    assert all(len(piece) <= 200 for _, piece in _chunks(text, 200))
    (whole,) = parse_texts(nlp, [text])
    (pieces,) = parse_texts(nlp, [text], chunk_chars=200)
    assert sentence_spans(text, whole.sentences) == sentence_spans(text, pieces.sentences)


def test_noun_phrases_from_tags_end_in_a_common_noun():
    # "the US-Mexico border wall is dead ." with Penn tags
    tokens = [(0, 3, "DT"), (4, 6, "NNP"), (6, 7, "HYPH"), (7, 13, "NNP"), (14, 20, "NN"), (21, 25, "NN"),
              (26, 28, "VBZ"), (29, 33, "JJ"), (34, 42, "NNP"), (43, 44, ".")]
    assert noun_phrases(tokens) == [(4, 25)]  # "Medicaid"-like proper-noun runs are NER's, not phrases


def test_quoted_share():
    assert quoted_share('"All of this is quoted," he said.') == pytest.approx(5 / 7)
    assert quoted_share("No quotes at all.") == 0.0
