"""sentences: sentence spans of an article, headings, and sentences grouped into quotations.

A line break always ends a sentence; a short line without end punctuation is
a heading, not a claim; a quotation left open at a sentence's end runs on
into the next sentence of the same paragraph.
"""

from __future__ import annotations

import re

from pipeline.frontend.nlp import CLOSE_QUOTES, OPEN_QUOTES, STRAIGHT_QUOTE


def sentence_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence spans, also cut at every line break, without outer whitespace or empty ones."""
    result = []
    for start, end in spans:
        for match in re.finditer(r"[^\n]+", text[start:end]):
            s, e = start + match.start(), start + match.end()
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                result.append((s, e))
    return result


def is_heading(text: str, start: int, end: int, max_words: int) -> bool:
    """A whole short line without end punctuation ("Article Five") is a heading."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start: len(text) if line_end < 0 else line_end].strip()
    piece = text[start:end].strip()
    return (piece == line and len(piece.split()) <= max_words
            and not piece.endswith((".", "!", "?", '"', "”", ":", "’", "'")))


def _quote_balance(piece: str) -> int:
    """+1 when `piece` leaves a quotation open, 0 when it leaves it closed."""
    open_ = False
    for char in piece:
        if char == STRAIGHT_QUOTE:
            open_ = not open_
        elif char in OPEN_QUOTES:
            open_ = True
        elif char in CLOSE_QUOTES:
            open_ = False
    return int(open_)


def group_quotes(text: str, spans: list[tuple[int, int]], max_sentences: int) -> list[list[tuple[int, int]]]:
    """Group sentences so that a quotation open at a sentence's end runs on into the next.

    A quotation never runs over a line break (news paragraphs re-open their quotes).
    """
    groups: list[list[tuple[int, int]]] = []
    open_ = False
    for span in spans:
        same_paragraph = groups and "\n" not in text[groups[-1][-1][1]:span[0]]
        if open_ and same_paragraph and len(groups[-1]) < max_sentences:
            groups[-1].append(span)
            joined = text[groups[-1][0][0]:span[1]]
        else:
            groups.append([span])
            joined = text[span[0]:span[1]]
        open_ = bool(_quote_balance(joined))
    return groups
