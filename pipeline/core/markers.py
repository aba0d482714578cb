"""markers: the source and target of a directed pair marked in the text a classifier reads.

Gold examples and the front half's candidate pairs are marked the same way:
each span wrapped in its markers (``<src>…</src>``, ``<tgt>…</tgt>`` by
default, from the ``examples`` config section). A text that already holds a
marker string cannot be marked unambiguously: :func:`mark_pair` refuses it,
and user articles have such strings replaced at ingest by a look-alike
(:func:`escape_markers`).
"""

from __future__ import annotations

from pipeline.core.config import ExamplesConfig


class MarkerError(ValueError):
    """Spans that cannot be marked (empty, outside the text, or overlapping), or a text already marked."""


def marker_strings(markers: ExamplesConfig) -> tuple[str, str, str, str]:
    """The four marker strings: source open and close, target open and close."""
    return markers.source_open, markers.source_close, markers.target_open, markers.target_close


def _fullwidth(char: str) -> str:
    """The full-width look-alike of a printable ASCII character (``<`` -> ``＜``); others unchanged."""
    return chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char


def look_alike(marker: str) -> str:
    """A string that reads like `marker` but is not it: its ASCII punctuation in full width.

    A marker without ASCII punctuation gets its first printable ASCII
    character in full width; one with none gets a middle dot after its first
    character.
    """
    changed = "".join(_fullwidth(c) if c.isascii() and not c.isalnum() and not c.isspace() else c for c in marker)
    if changed != marker:
        return changed
    for index, char in enumerate(marker):
        if "!" <= char <= "~":
            return marker[:index] + _fullwidth(char) + marker[index + 1:]
    return marker[:1] + "\u00b7" + marker[1:]


def escape_markers(text: str, markers: tuple[str, ...]) -> tuple[str, int]:
    """Replace every literal marker string in `text` by its look-alike; return (text, number replaced).

    Longer markers are replaced first (``</src>`` before ``src>``-like
    overlaps), and the replacement repeats until no marker is left.
    """
    count = 0
    ordered = sorted(set(markers), key=len, reverse=True)
    for _ in range(len(ordered) + 1):
        found = False
        for marker in ordered:
            n = text.count(marker)
            if n:
                found = True
                count += n
                text = text.replace(marker, look_alike(marker))
        if not found:
            return text, count
    raise MarkerError(f"markers {ordered} keep reappearing in the text after escaping")


def check_unmarked(text: str, markers: ExamplesConfig) -> None:
    """Raise MarkerError when `text` already holds one of the marker strings."""
    present = [m for m in marker_strings(markers) if m in text]
    if present:
        raise MarkerError(f"the text already contains the marker(s) {present}; marking it would be ambiguous")


def mark_pair(text: str, source_span: tuple[int, int], target_span: tuple[int, int], markers: ExamplesConfig) -> str:
    """Wrap the source and target spans of `text` in their markers."""
    (s_start, s_end), (t_start, t_end) = source_span, target_span
    for start, end in (source_span, target_span):
        if not 0 <= start < end <= len(text):
            raise MarkerError(f"span ({start}, {end}) is empty or outside a text of {len(text)} characters")
    if s_start < t_end and t_start < s_end:
        raise MarkerError(f"source span {source_span} overlaps target span {target_span}")
    check_unmarked(text, markers)
    # Right to left; where one span ends as the other begins, the opening marker goes in first so
    # that the closing one lands before it ("</src><tgt>").
    inserts = sorted([
        (s_start, True, markers.source_open), (s_end, False, markers.source_close),
        (t_start, True, markers.target_open), (t_end, False, markers.target_close),
    ], key=lambda item: item[:2], reverse=True)
    for position, _, marker in inserts:
        text = text[:position] + marker + text[position:]
    return text


def swap_roles(text: str, markers: ExamplesConfig) -> str:
    """The same marked text with source and target exchanged (the pair read the other way)."""
    placeholder = "\x00"
    return (text.replace(markers.source_open, placeholder + "so").replace(markers.source_close, placeholder + "sc")
            .replace(markers.target_open, markers.source_open).replace(markers.target_close, markers.source_close)
            .replace(placeholder + "so", markers.target_open).replace(placeholder + "sc", markers.target_close))
