"""markers: the source and target of a directed pair marked in the text a classifier reads.

Gold examples and the front half's candidate pairs are marked the same way:
each span wrapped in its markers (``<src>…</src>``, ``<tgt>…</tgt>`` by
default, from the ``examples`` config section).
"""

from __future__ import annotations

from pipeline.core.config import ExamplesConfig


class MarkerError(ValueError):
    """Spans that cannot be marked (empty, outside the text, or overlapping)."""


def mark_pair(text: str, source_span: tuple[int, int], target_span: tuple[int, int], markers: ExamplesConfig) -> str:
    """Wrap the source and target spans of `text` in their markers."""
    (s_start, s_end), (t_start, t_end) = source_span, target_span
    for start, end in (source_span, target_span):
        if not 0 <= start < end <= len(text):
            raise MarkerError(f"span ({start}, {end}) is empty or outside a text of {len(text)} characters")
    if s_start < t_end and t_start < s_end:
        raise MarkerError(f"source span {source_span} overlaps target span {target_span}")
    inserts = sorted([
        (s_start, markers.source_open), (s_end, markers.source_close),
        (t_start, markers.target_open), (t_end, markers.target_close),
    ], key=lambda item: item[0], reverse=True)
    for position, marker in inserts:
        text = text[:position] + marker + text[position:]
    return text
