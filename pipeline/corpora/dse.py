"""Parse DSE lines into rows with clean text and entity offsets.

A DSE line has four TAB-separated fields: sentence (both entity mentions in
square brackets), entity p, entity q, label. About 5 % of lines carry
CSV-style escaped fields (``"…""…"``), entity fields included; once
unescaped, the first bracketed mention is p and the second is q.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

_CSV_QUOTED = re.compile(r'^"(?:[^"]|"")*"$')
_BRACKETED = re.compile(r"\[([^\[\]]*)\]")


class DseLineError(ValueError):
    """A DSE line that cannot be parsed; the message is the reason."""


@dataclass(frozen=True)
class DseRow:
    """One DSE example with entity brackets removed and character offsets into `text`."""

    text: str
    p: str
    q: str
    p_start: int
    p_end: int
    q_start: int
    q_end: int
    dse_label: int

    def as_dict(self) -> dict:
        return asdict(self)


def unescape_field(field: str) -> str:
    """Undo CSV quoting (a doubled quote inside a quoted field is one quote).

    A raw field is returned unchanged.

    Only a field that is wholly quoted, with every inner quote doubled, counts
    as escaped: raw sentences also contain double quotes.
    """
    if len(field) >= 2 and _CSV_QUOTED.match(field):
        return field[1:-1].replace('""', '"')
    return field


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) so that it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def parse_dse_line(line: str) -> DseRow:
    """Parse one DSE line; raise DseLineError with the reason when it is malformed."""
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) != 4:
        raise DseLineError(f"expected 4 TAB-separated fields, found {len(fields)}")
    sentence, p_field, q_field, label_field = (unescape_field(f) for f in fields)
    try:
        dse_label = int(label_field.strip())
    except ValueError:
        raise DseLineError(f"label {label_field!r} is not an integer") from None
    if dse_label not in range(5):
        raise DseLineError(f"label {dse_label} is outside 0-4")
    mentions = list(_BRACKETED.finditer(sentence))
    if len(mentions) != 2 or sentence.count("[") != 2 or sentence.count("]") != 2:
        raise DseLineError(f"expected exactly 2 bracketed mentions, found {sentence.count('[')} '[' and {len(mentions)} spans")

    # Rebuild the sentence without brackets, tracking where each mention lands.
    pieces, spans, cursor, position = [], [], 0, 0
    for match in mentions:
        before = sentence[cursor:match.start()]
        pieces.append(before)
        position += len(before)
        inner = match.group(1)
        spans.append((position, position + len(inner)))
        pieces.append(inner)
        position += len(inner)
        cursor = match.end()
    pieces.append(sentence[cursor:])
    text = "".join(pieces)
    (p_start, p_end), (q_start, q_end) = (_strip_span(text, *span) for span in spans)

    p_mention, q_mention = text[p_start:p_end], text[q_start:q_end]
    if not p_mention or not q_mention:
        raise DseLineError("an entity mention is empty")
    if p_mention != p_field.strip():
        raise DseLineError(f"first mention {p_mention!r} differs from entity p {p_field.strip()!r}")
    if q_mention != q_field.strip():
        raise DseLineError(f"second mention {q_mention!r} differs from entity q {q_field.strip()!r}")
    return DseRow(text, p_mention, q_mention, p_start, p_end, q_start, q_end, dse_label)
