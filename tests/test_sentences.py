"""sentences: line breaks, quotations over several sentences, headings."""

from __future__ import annotations

from pipeline.frontend.sentences import group_quotes, is_heading, sentence_spans


def test_line_breaks_end_sentences():
    text = "Title line\nFirst sentence here. Second one"
    assert sentence_spans(text, [(0, 31), (32, 42)]) == [(0, 10), (11, 31), (32, 42)]


def test_quotation_over_two_sentences_is_one_claim():
    text = 'He said, "They only prescribe. They never diagnose." Lavrov left.\n"Next" one.'
    spans = [(0, 30), (31, 52), (53, 65), (66, 77)]
    assert group_quotes(text, spans, 8) == [[(0, 30), (31, 52)], [(53, 65)], [(66, 77)]]
    assert group_quotes(text, spans, 1) == [[s] for s in spans]


def test_a_quote_left_open_does_not_run_over_a_paragraph():
    text = '"Open quote without end.\nNew paragraph.'
    assert group_quotes(text, [(0, 24), (25, 39)], 8) == [[(0, 24)], [(25, 39)]]


def test_heading_is_a_short_line_without_end_punctuation():
    text = "Body text.\nArticle Five\nBefore it, he said so."
    assert is_heading(text, 11, 23, 6)
    assert not is_heading(text, 24, len(text), 6)
