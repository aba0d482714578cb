"""The hand reading of the seed article loads and names known actors; the checker of make predict's
stances against it passes a right table and fails each kind of wrong one."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.core.config import REPO_ROOT, PredictConfig
from pipeline.stances.seed_check import (
    ReadPair,
    ReadSpeaker,
    SeedReading,
    check_all,
    check_predictions,
    load_reading,
    same_affiliation_rows,
    summary_line,
    unknown_affiliations,
)

READING = REPO_ROOT / PredictConfig().seed_reading
SEED = REPO_ROOT / "seeds" / "000_cc2e266a8b9d55b3.txt"


def row(source: str, target: str, label: str, claim: str = "Some claim.", speaker: str | None = None,
        source_affiliation: str | None = None, target_affiliation: str | None = None) -> dict:
    """One stances row with the columns the checker reads."""
    return {"article_id": "a1", "claim": claim, "speaker": speaker, "source": source, "target": target,
            "source_affiliation": source_affiliation or source, "target_affiliation": target_affiliation or target,
            "label": label}


def small_reading() -> SeedReading:
    return SeedReading(
        path=READING, article_title="A title",
        pairs=(ReadPair("Russia", "Europe", "hostile", "slammed Europe"),
               ReadPair("United States", "Ukraine", "supportive", "offered guarantees")),
        speakers=(ReadSpeaker("Sergey Lavrov", "quack doctor"),))


def good_rows() -> list[dict]:
    return [
        row("Sergey Lavrov", "Europe", "hostile", 'Lavrov slammed Europe as a "quack doctor".', "Sergey Lavrov",
            source_affiliation="Russia"),
        row("Sergey Lavrov", "Europe", "neutral", 'Lavrov slammed Europe as a "quack doctor".', "Sergey Lavrov",
            source_affiliation="Russia"),
        row("United States", "Ukraine", "supportive", "The US offered guarantees to Kyiv."),
        row("Donald Trump", "Ukraine", "supportive", "Trump offered guarantees.", source_affiliation="United States"),
        row("Donald Trump", "Ukraine", "hostile", "Ukraine must accept.", source_affiliation="United States"),
    ]


# ---------------------------------------------------------------- the gold file ---

def test_the_seed_reading_loads_and_names_only_known_affiliations(dictionary):
    reading = load_reading(READING)
    assert len(reading.pairs) >= 3 and len(reading.speakers) >= 5
    assert unknown_affiliations(reading, dictionary) == []
    speakers = {s.speaker for s in reading.speakers}
    assert {"Donald Trump", "Sergey Lavrov", "Dmitry Peskov", "Volodymyr Zelensky"} <= speakers


def test_unknown_affiliations_catches_a_name_outside_the_dictionary(dictionary):
    reading = small_reading()
    odd = SeedReading(reading.path, reading.article_title,
                      reading.pairs + (ReadPair("Kremlinia", "Ukraine", "hostile", "x"),), reading.speakers)
    assert unknown_affiliations(odd, dictionary) == ["Kremlinia"]


def test_the_reading_quotes_the_seed_article():
    """Evidence, quotes and title are the article's own words, so the reading cannot drift from it."""
    reading = load_reading(READING)
    text = " ".join(SEED.read_text(encoding="utf-8").split())
    assert reading.article_title in text
    for pair in reading.pairs:
        assert pair.evidence in text, pair
    for item in reading.speakers:
        assert item.quote in text, item


def test_speaker_names_are_canonical_when_the_dictionary_knows_them(dictionary):
    for item in load_reading(READING).speakers:
        entry = dictionary.lookup(item.speaker)
        assert entry is None or entry.name == item.speaker, item


# ---------------------------------------------------------------- the checker ---

def test_a_right_table_passes(dictionary):
    stances = pd.DataFrame(good_rows())
    assert check_predictions(stances, small_reading(), dictionary=dictionary) == []
    line = summary_line(stances, small_reading(), check_all(stances, small_reading()))
    assert "pairs 2/2 right" in line and "speakers 1/1 right" in line and line.endswith("PASS")


def test_a_wrong_net_sign_fails():
    rows = good_rows() + [row("Ukraine", "Ukraine", "neutral"),
                          row("White House", "Ukraine", "hostile", source_affiliation="United States"),
                          row("Pentagon", "Ukraine", "hostile", source_affiliation="United States")]
    failures = check_predictions(pd.DataFrame(rows), small_reading())
    assert len(failures) == 1 and "United States -> Ukraine" in failures[0] and "net -1" in failures[0]


def test_a_net_of_zero_fails():
    rows = good_rows() + [row("Pentagon", "Ukraine", "hostile", source_affiliation="United States")]
    failures = check_predictions(pd.DataFrame(rows), small_reading())
    assert len(failures) == 1 and "net zero" in failures[0]


def test_a_missing_pair_fails_and_neutral_rows_do_not_count():
    rows = [r if r["target"] != "Europe" else {**r, "label": "neutral"} for r in good_rows()]
    failures = check_predictions(pd.DataFrame(rows), small_reading())
    assert len(failures) == 1 and failures[0].startswith("pair Russia -> Europe") and "no non-neutral" in failures[0]


def test_the_direction_of_a_pair_matters():
    rows = [{**r, "source_affiliation": "Europe", "target_affiliation": "Russia"} if r["target"] == "Europe" else r
            for r in good_rows()]
    assert any(f.startswith("pair Russia -> Europe") for f in check_predictions(pd.DataFrame(rows), small_reading()))


def test_a_self_pair_fails_but_a_same_affiliation_pair_is_only_reported():
    same_affiliation = row("Volodymyr Zelensky", "Ukraine", "hostile", source_affiliation="Ukraine")
    stances = pd.DataFrame(good_rows() + [same_affiliation])
    assert check_predictions(stances, small_reading()) == []
    assert len(same_affiliation_rows(stances)) == 1
    stances = pd.DataFrame(good_rows() + [row("Russia", "Russia", "hostile")])
    failures = check_predictions(stances, small_reading())
    assert failures == ["self-pair Russia -> Russia: 1 non-neutral row(s), labels ['hostile']"]
    assert "1 self-pair rows" in summary_line(stances, small_reading(), check_all(stances, small_reading()))


def test_too_many_non_neutral_rows_fail():
    stances = pd.DataFrame(good_rows())  # 4 non-neutral rows
    assert check_predictions(stances, small_reading(), max_non_neutral=4) == []
    failures = check_predictions(stances, small_reading(), max_non_neutral=3)
    assert failures == ["too many non-neutral rows: 4 > 3 (of 5 rows)"]


def test_a_wrong_speaker_fails():
    rows = [{**r, "speaker": "Europe"} if "quack" in r["claim"] else r for r in good_rows()]
    failures = check_predictions(pd.DataFrame(rows), small_reading())
    assert len(failures) == 1 and "expected Sergey Lavrov, found Europe" in failures[0]


def test_a_quote_in_no_claim_fails_unless_the_claims_table_has_it():
    reading = small_reading()
    reading = SeedReading(reading.path, reading.article_title, reading.pairs,
                          reading.speakers + (ReadSpeaker("Donald Trump", "closer now"),))
    stances = pd.DataFrame(good_rows())
    assert check_predictions(stances, reading) == ["speaker of 'closer now': no claim contains the quote "
                                                   "(expected Donald Trump)"]
    claims = pd.DataFrame({"article_id": ["a1"], "text": ['"I think we\'re closer now," Trump said.'],
                           "speaker_resolved": ["Donald Trump"]})
    assert check_predictions(stances, reading, claims=claims) == []


def test_speakers_match_case_insensitively_and_by_canonical_name(dictionary):
    reading = small_reading()
    for speaker, passes in (("sergey lavrov", True), ("Lavrov", True), ("the Sergey Lavrov", True), ("Peskov", False)):
        reading = SeedReading(reading.path, reading.article_title, reading.pairs, (ReadSpeaker(speaker, "QUACK doctor"),))
        assert (check_predictions(pd.DataFrame(good_rows()), reading, dictionary=dictionary) == []) is passes, speaker
    unnamed = SeedReading(reading.path, reading.article_title, reading.pairs, (ReadSpeaker("US official", "x said"),))
    rows = good_rows() + [row("A", "B", "neutral", "Y, x said.", speaker="one US official")]
    assert check_predictions(pd.DataFrame(rows), unnamed) == []


def test_a_table_without_the_stances_columns_is_an_error():
    with pytest.raises(ValueError, match="lacks columns"):
        check_predictions(pd.DataFrame({"claim": ["x"]}), small_reading())


# ---------------------------------------------------------------- the loader ---

GOOD = """article_title: T
affiliation_pairs:
  - {source: Russia, target: Europe, stance: hostile, evidence: slammed Europe}
speakers:
  - {speaker: Sergey Lavrov, quote: quack doctor}
"""


@pytest.mark.parametrize("text, problem", [
    ("affiliation_pairs: [\n", "not valid YAML"),
    ("- a list\n", "must be a mapping"),
    (GOOD.replace("article_title: T\n", ""), "'article_title'"),
    (GOOD + "extra: 1\n", "unknown keys ['extra']"),
    (GOOD.replace("stance: hostile", "stance: neutral"), "affiliation_pairs[0]: stance must be one of"),
    (GOOD.replace("evidence: slammed Europe", "evidnce: slammed Europe"), "affiliation_pairs[0]: keys must be"),
    (GOOD.replace("target: Europe", "target: Russia"), "source and target are both"),
    (GOOD.replace("speaker: Sergey Lavrov", "speaker: ''"), "speakers[0]: ['speaker'] must be non-empty"),
    (GOOD.replace("  - {speaker: Sergey Lavrov, quote: quack doctor}\n", ""), "'speakers' must be a non-empty list"),
    (GOOD.replace("speakers:", "  - {source: Russia, target: Europe, stance: hostile, evidence: e}\nspeakers:"),
     "listed twice"),
])
def test_a_malformed_reading_is_a_one_line_error_naming_the_file(tmp_path, text, problem):
    path = tmp_path / "reading.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        load_reading(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and problem in message and "\n" not in message


def test_a_missing_reading_is_a_one_line_error(tmp_path):
    with pytest.raises(ValueError, match=r"missing\.yaml: cannot read the seed reading"):
        load_reading(tmp_path / "missing.yaml")


def test_a_good_reading_loads(tmp_path):
    path = tmp_path / "reading.yaml"
    path.write_text(GOOD, encoding="utf-8")
    reading = load_reading(path)
    assert reading.pairs == (ReadPair("Russia", "Europe", "hostile", "slammed Europe"),)
    assert reading.speakers == (ReadSpeaker("Sergey Lavrov", "quack doctor"),)
