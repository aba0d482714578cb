import pytest

from pipeline.corpora.dse import (
    DseLineError,
    parse_dse_line,
    read_dse_file,
    unescape_field,
)


def test_plain_line_with_raw_quotes():
    line = 'He said “no” and [Obama] told "reporters" that [Congress] failed.\tObama\tCongress\t3\n'
    row = parse_dse_line(line)
    assert row.text == 'He said “no” and Obama told "reporters" that Congress failed.'
    assert row.text[row.p_start:row.p_end] == "Obama"
    assert row.text[row.q_start:row.q_end] == "Congress"
    assert row.dse_label == 3


def test_csv_escaped_fields_including_entities():
    line = ('"[Bank.""Mr Turnbull] says [Mr Rudd] had ""nothing"" to say."\t'
            '"Bank.""Mr Turnbull"\tMr Rudd\t0\n')
    row = parse_dse_line(line)
    assert row.p == 'Bank."Mr Turnbull'
    assert row.q == "Mr Rudd"
    assert row.text == 'Bank."Mr Turnbull says Mr Rudd had "nothing" to say.'


def test_a_raw_field_that_merely_starts_with_a_quote_is_kept():
    assert unescape_field('"Go," said [A] to [B]') == '"Go," said [A] to [B]'
    assert unescape_field('"a ""b"" c"') == 'a "b" c'


def test_whitespace_inside_brackets_is_trimmed_from_the_span():
    row = parse_dse_line("Qatada real name [Omar Othman ] went to [Jordan].\tOmar Othman\tJordan\t0")
    assert row.p == "Omar Othman"
    assert row.text[row.p_start:row.p_end] == "Omar Othman"


def test_partial_word_mentions_keep_their_offsets():
    row = parse_dse_line("[Democrat]s blamed [American]s.\tDemocrat\tAmerican\t3")
    assert row.text == "Democrats blamed Americans."
    assert (row.p_start, row.p_end, row.q_start, row.q_end) == (0, 8, 17, 25)


@pytest.mark.parametrize("line, reason", [
    ("only\tthree\tfields", "expected 4 TAB-separated fields, found 3"),
    ("[A] and [B]\tA\tB\tseven", "is not an integer"),
    ("[A] and [B]\tA\tB\t9", "outside 0-4"),
    ("[A] and B\tA\tB\t0", "exactly 2 bracketed mentions"),
    ("[A] and [B] and [C]\tA\tB\t0", "exactly 2 bracketed mentions"),
    ("[A] and [B]\tX\tB\t0", "differs from entity p"),
])
def test_malformed_lines_say_why(line, reason):
    with pytest.raises(DseLineError, match=reason):
        parse_dse_line(line)


def test_file_reader_rejects_with_file_and_line_and_reconciles(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("[A] praised [B].\tA\tB\t1\nbroken line\n[C] met [D].\tC\tD\t0\n", encoding="utf-8")
    rows, rejects = read_dse_file(path, "train")
    assert [r["row_id"] for r in rows] == ["dse-train-00001", "dse-train-00003"]
    assert len(rows) + len(rejects) == 3
    assert rejects[0]["file"] == str(path) and rejects[0]["line"] == 2
    assert "4 TAB-separated fields" in rejects[0]["reason"]
