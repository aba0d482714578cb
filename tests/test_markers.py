"""markers: source and target spans wrapped in their markers, bad spans refused."""

from __future__ import annotations

import pytest

from pipeline.core.config import ExamplesConfig
from pipeline.core.markers import MarkerError, mark_pair

MARKERS = ExamplesConfig()


def test_mark_pair_in_either_order():
    text = "Alice praised Bob."
    assert mark_pair(text, (0, 5), (14, 17), MARKERS) == "<src>Alice</src> praised <tgt>Bob</tgt>."
    assert mark_pair(text, (14, 17), (0, 5), MARKERS) == "<tgt>Alice</tgt> praised <src>Bob</src>."


@pytest.mark.parametrize("source, target", [((0, 5), (3, 9)), ((0, 0), (6, 9)), ((0, 5), (6, 99))])
def test_bad_spans_are_refused(source, target):
    with pytest.raises(MarkerError):
        mark_pair("Alice praised Bob.", source, target, MARKERS)
