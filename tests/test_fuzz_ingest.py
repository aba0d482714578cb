"""Property-based tests of the readers, decoding, normalisation and pair marking.

Arbitrary bytes and Unicode in: no exception other than a reject, counts that
reconcile, tables that can be written, and marked texts with exactly one of
each marker in the order of the spans.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core.config import ArticlesConfig, ExamplesConfig
from pipeline.core.markers import MarkerError, escape_markers, mark_pair, marker_strings
from pipeline.core.tables import SCHEMAS, check_frame
from pipeline.frontend import articles as A

SETTINGS = ArticlesConfig()
MARKERS = ExamplesConfig()
STRINGS = marker_strings(MARKERS)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Any code point, surrogates and controls included, with the markers and troublesome characters often.
any_char = st.characters(exclude_categories=())
tricky = st.sampled_from(["<src>", "</src>", "<tgt>", "</tgt>", "\x00", "\x07", "\r", "\r\n", "\ud800", "\u200b",
                          "\u00ad", "\u2028", "\ufeff", "\ufffd", '"', ",", "\n", "e\u0301"])
texts = st.lists(st.one_of(st.text(any_char, max_size=8), tricky), max_size=12).map("".join)
raw_bytes = st.one_of(
    st.binary(max_size=300),
    texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.tuples(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig", "cp1252"]),
              st.text(st.characters(exclude_categories=("Cs",)), max_size=60))
    .map(lambda pair: pair[1].encode(pair[0], "replace")),
)


def clean(text: str) -> bool:
    """Text every later output can hold: valid UTF-8, no controls but newline and tab, no format characters."""
    text.encode("utf-8")
    return all(c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf", "Cs") for c in text)


def check_result(result: A.IngestResult) -> None:
    """Counts reconcile; articles are clean and unmarked; both tables can be written."""
    assert result.reconciles(), result.summary()
    for article in result.articles:
        assert clean(article["text"]) and clean(article["title"] or "") and clean(article["outlet"] or "")
        assert not any(m in article["text"] or m in (article["title"] or "") for m in STRINGS)
        assert article["n_chars"] == len(article["text"]) > 0
    for reject in result.rejects:
        reject["raw"].encode("utf-8")
        reject["reason"].encode("utf-8")
    check_frame(pd.DataFrame(result.articles, columns=SCHEMAS["articles"].names), "articles")
    check_frame(pd.DataFrame(result.rejects, columns=SCHEMAS["rejects"].names), "rejects")


@FAST
@given(raw_bytes)
def test_decode_gives_text_or_says_why_not(raw):
    try:
        decoded = A.decode_text(raw)
    except A.InputError as exc:
        assert str(exc)
        return
    decoded.text.encode("utf-8")  # never a lone surrogate
    assert decoded.encoding and decoded.n_replaced >= 0


@FAST
@given(texts)
def test_normalised_text_is_clean_nfc_and_stable(text):
    normal, changed = A.normalise_text(text)
    assert clean(normal)
    assert unicodedata.is_normalized("NFC", normal)
    assert A.normalise_text(normal) == (normal, 0)
    assert (changed == 0) == (normal == text)


@FAST
@given(raw_bytes, st.sampled_from(["a.txt", "a.jsonl", "a.csv"]))
def test_any_bytes_in_any_reader_are_accepted_or_rejected(raw, name):
    check_result(A.READERS["." + name.split(".")[1]](raw, name, SETTINGS))


@FAST
@given(st.lists(st.one_of(
    st.fixed_dictionaries({"id": st.one_of(st.none(), texts, st.integers()), "text": st.one_of(texts, st.integers()),
                           "title": st.one_of(st.none(), texts), "outlet": st.one_of(st.none(), texts)}),
    st.lists(st.integers(), max_size=2), texts.map(lambda t: {"junk": t})), max_size=6))
def test_jsonl_records_each_accepted_or_rejected(objects):
    raw = "\n".join(json.dumps(o) for o in objects).encode()
    result = A.read_jsonl(raw, "in.jsonl", SETTINGS)
    check_result(result)
    assert result.read == len(objects)


@FAST
@given(st.lists(st.tuples(st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=20),
                          st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40)
                          .filter(lambda t: t.strip() and "\x00" not in t)), min_size=1, max_size=8),
       st.data())
def test_csv_written_properly_is_read_back_and_a_broken_quote_costs_one_row(rows, data):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "text"])
    writer.writerows([(f"r{i}", text) for i, (_, text) in enumerate(rows)])
    result = A.read_csv(buffer.getvalue().encode(), "in.csv", SETTINGS)
    check_result(result)
    assert result.read == len(rows)
    # A broken quote in one row of plain rows: that row is rejected with its line, the others are read.
    plain = [f"r{i},word{i} said something\n" for i in range(len(rows))]
    broken = data.draw(st.integers(0, len(rows) - 1))
    plain[broken] = f'r{broken},"word{broken} opens a quote\n'
    result = A.read_csv(("id,text\n" + "".join(plain)).encode(), "in.csv", SETTINGS)
    check_result(result)
    assert result.read == len(rows)
    assert [r["line"] for r in result.rejects] == [broken + 2]
    assert sorted(a["article_id"] for a in result.articles) == sorted(f"r{i}" for i in range(len(rows)) if i != broken)


@FAST
@given(st.lists(st.tuples(st.text("abcxyz._-", min_size=1, max_size=6).filter(lambda s: s.strip(".")), raw_bytes),
                max_size=6), st.data())
def test_a_folder_of_anything_is_accounted_for(tmp_path_factory, files, data):
    folder = tmp_path_factory.mktemp("in")
    for stem, raw in files:
        suffix = data.draw(st.sampled_from([".txt", ".jsonl", ".csv", ".md", ".gz", ""]))
        (folder / f"{stem}{suffix}").write_bytes(raw)
    result = A.ingest_paths(A.input_files(folder), SETTINGS, root=folder)
    check_result(result)
    assert result.files_read == len(list(folder.iterdir()))


@st.composite
def marked_inputs(draw):
    """A text (escaped) with two disjoint non-empty spans."""
    text, _ = escape_markers(draw(texts), STRINGS)
    text = text or "x"
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), min_size=4, max_size=4)))
    if len(text) < 2:
        text = text + "y"
        cuts = [0, 1, 1, 2]
    a, b, c, d = cuts
    first, second = (a, max(b, a + 1)), (max(c, b, a + 1), max(d, c, b, a + 1) + 1)
    second = (second[0], min(second[1], len(text)))
    if second[0] >= second[1]:
        first, second = (0, 1), (1, 2) if len(text) >= 2 else (0, 1)
    return text, first, second, draw(st.booleans())


@FAST
@given(marked_inputs())
def test_marked_text_has_each_marker_once_in_span_order(case):
    text, first, second, swap = case
    if first[1] > second[0]:
        with pytest.raises(MarkerError):
            mark_pair(text, first, second, MARKERS)
        return
    source, target = (second, first) if swap else (first, second)
    marked = mark_pair(text, source, target, MARKERS)
    assert [marked.count(m) for m in STRINGS] == [1, 1, 1, 1]
    positions = {m: marked.index(m) for m in STRINGS}
    opens = ("<src>", "</src>", "<tgt>", "</tgt>") if not swap else ("<tgt>", "</tgt>", "<src>", "</src>")
    assert [positions[m] for m in opens] == sorted(positions.values())
    assert marked.replace("<src>", "").replace("</src>", "").replace("<tgt>", "").replace("</tgt>", "") == text


@FAST
@given(texts, st.sampled_from(STRINGS))
def test_a_text_holding_a_marker_is_refused_and_escaping_removes_it(text, marker):
    with_marker = text + marker
    with pytest.raises(MarkerError):
        mark_pair(with_marker, (0, 1), (len(with_marker) - 1, len(with_marker)), MARKERS)
    escaped, count = escape_markers(with_marker, STRINGS)
    assert count >= 1 and not any(m in escaped for m in STRINGS)


latin_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_categories=("Cc",)),
                     min_size=2, max_size=200)


@FAST
@given(latin_text, st.sampled_from(["utf-16-le", "utf-16-be"]))
def test_utf16_without_bom_of_latin_text_is_recognised(text, encoding):
    decoded = A.decode_text(text.encode(encoding))
    assert (decoded.text, decoded.encoding, decoded.n_replaced) == (text, encoding, 0)


@FAST
@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=200))
def test_utf8_without_nul_is_read_as_itself(text):
    decoded = A.decode_text(text.encode("utf-8"))
    if text.startswith("\ufeff"):  # a leading U+FEFF is a UTF-8 BOM
        assert decoded.text == text[1:]
    else:
        assert (decoded.text, decoded.encoding) == (text, "utf-8")
