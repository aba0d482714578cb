"""pairs: directed candidate pairs per claim, their origins, dedup and marked text."""

from __future__ import annotations

import pytest

from pipeline.core.config import ExamplesConfig, PairsConfig, load_config
from pipeline.core.tables import read_table
from pipeline.models.base import swap_roles
from pipeline.frontend.pairs import (
    AUTHOR,
    IMPLICIT,
    MENTION,
    SPEAKER,
    author_of,
    claim_pairs,
    claim_reading,
    claims_table,
    context_mentions,
    evidence_note,
    marked_text,
    salient,
    with_preceding,
)
from pipeline.stages import frontend

MARKERS = ExamplesConfig()


def test_marked_text_wraps_spans_like_the_gold_examples():
    text = "Lavrov slammed Europe."
    assert marked_text(text, (15, 21), MARKERS, (0, 6)) == "<src>Lavrov</src> slammed <tgt>Europe</tgt>."
    assert marked_text(text, (0, 6), MARKERS, (15, 21)) == "<tgt>Lavrov</tgt> slammed <src>Europe</src>."


def test_marked_text_prefixes_a_source_not_in_the_claim():
    assert marked_text('"They only prescribe," he said of Europe.', (34, 40), MARKERS, None, "Sergey Lavrov") == \
        '<src>Sergey Lavrov</src>: "They only prescribe," he said of <tgt>Europe</tgt>.'
    with pytest.raises(ValueError):
        marked_text("x", (0, 1), MARKERS)


def mention(i, start, end, canonical, affiliation=None, actor_type="person", claim="a-c000", origin="ner"):
    return {"mention_id": f"{claim}-m{i:02d}", "start": start, "end": end, "canonical": canonical,
            "affiliation": affiliation, "actor_type": actor_type, "origin": origin}


#: Only what the claim names, each pair in its own text without evidence notes: the tests of the explicit pairs.
EXPLICIT = PairsConfig(implicit_targets=0, implicit_issues=0, implicit_sources=0, context_window=0,
                       evidence_in_text=False, one_text_per_claim=False)


def test_speaker_and_mention_pairs_are_directed_and_deduplicated():
    text = "Lavrov said Europe and Kyiv failed Europe."
    claim = {"claim_id": "a-c000", "article_id": "a", "text": text, "kind": "reported speech",
             "speaker_resolved": "Sergey Lavrov", "speaker_affiliation": "Russia"}
    mentions = [mention(0, 0, 6, "Sergey Lavrov", "Russia"), mention(1, 12, 18, "Europe", "Europe"),
                mention(2, 23, 27, "Ukraine", "Ukraine"), mention(3, 35, 41, "Europe", "Europe")]
    pairs = claim_pairs(claim, mentions, "Xinhua", "China", EXPLICIT, MARKERS)
    keys = [(p["source"], p["target"], p["origin"]) for p in pairs]
    assert keys[:2] == [("Sergey Lavrov", "Europe", SPEAKER), ("Sergey Lavrov", "Ukraine", SPEAKER)]
    assert len(keys) == len({k[:2] for k in keys}) == 6  # 3 actors: 3 * 2 ordered pairs, no duplicates
    assert ("Europe", "Sergey Lavrov", MENTION) in keys
    assert pairs[0]["text"] == "<src>Lavrov</src> said <tgt>Europe</tgt> and Kyiv failed Europe."
    assert pairs[0]["pair_id"] == "a-c000-p00" and pairs[0]["source_mention_id"] == "a-c000-m00"
    assert all(p["origin"] != AUTHOR for p in pairs)


def test_narrative_claim_gets_author_pairs_and_unmentioned_speaker_a_prefix():
    narrative = {"claim_id": "a-c001", "article_id": "a", "text": "Russia attacked Ukraine.", "kind": "narrative",
                 "speaker_resolved": None, "speaker_affiliation": None}
    mentions = [mention(0, 0, 6, "Russia", "Russia"), mention(1, 16, 23, "Ukraine", "Ukraine")]
    pairs = claim_pairs(narrative, mentions, "Xinhua", "China", EXPLICIT, MARKERS)
    assert [(p["source"], p["origin"]) for p in pairs[:2]] == [("Xinhua", AUTHOR), ("Xinhua", AUTHOR)]
    assert pairs[0]["text"] == "<src>Xinhua</src>: <tgt>Russia</tgt> attacked Ukraine."
    assert pairs[0]["source_affiliation"] == "China" and pairs[0]["source_mention_id"] is None
    no_author = claim_pairs(narrative, mentions, "Xinhua", None, EXPLICIT.model_copy(update={"include_author": False}), MARKERS)
    assert {p["origin"] for p in no_author} == {MENTION}
    only_two = claim_pairs(narrative, mentions, "Xinhua", None, EXPLICIT.model_copy(update={"max_actors_per_claim": 1}), MARKERS)
    assert [(p["source"], p["target"]) for p in only_two] == [("Xinhua", "Russia")]


def test_author_defaults_when_outlet_is_unknown():
    assert author_of(None, "The author") == "The author" and author_of(" CNN ", "The author") == "CNN"


@pytest.fixture(scope="module")
def seed_tables(tmp_path_factory):
    tables = tmp_path_factory.mktemp("tables")
    config = load_config("default", [f"paths.tables_dir={tables}"])
    for stage in (frontend.articles, frontend.claims, frontend.actors, frontend.pairs):
        stage(config)
    return tables / "corpus"


def test_seed_pairs_carry_lineage_and_quote_sources(seed_tables):
    claims = read_table(seed_tables / "claims.parquet", "claims")
    mentions = read_table(seed_tables / "mentions.parquet", "mentions")
    pairs = read_table(seed_tables / "pairs.parquet", "pairs")
    assert all(p.startswith(c) for p, c in zip(pairs["pair_id"], pairs["claim_id"]))
    assert all(c.startswith(a) for c, a in zip(claims["claim_id"], claims["article_id"]))
    assert set(pairs["claim_id"]) <= set(claims["claim_id"])
    assert not pairs.duplicated(["claim_id", "source", "target"]).any()
    lavrov_quote = claims[claims["text"].str.contains("They only prescribe")].iloc[0]
    quote_pairs = pairs[pairs["claim_id"] == lavrov_quote["claim_id"]]
    assert ("Sergey Lavrov", "Europe") in set(zip(quote_pairs["source"], quote_pairs["target"]))
    assert all(t.count("<src>") == 1 and t.count("<tgt>") == 1 for t in pairs["text"])
    table = claims_table(claims, mentions, pairs)
    assert "he -> Sergey Lavrov" in table and "Trump -> Donald Trump" in table and "told reporters" in table
    trump_quote = claims[claims["text"].str.contains("closer now than we have been")].iloc[0]
    assert trump_quote["speaker_resolved"] == "Donald Trump"
    assert lavrov_quote["speaker_resolved"] == "Sergey Lavrov"
    assert set(pairs["source_evidence"]) <= {"named", "pronoun", "nominal", "speaker", "author", "implicit"}
    assert set(pairs["target_evidence"]) <= {"named", "pronoun", "nominal", "implicit"}
    issue_pairs = pairs[pairs["target_type"] == "issue"]
    assert len(issue_pairs) and not set(issue_pairs["target"]) & set(pairs["source"])  # issues are never sources
    explicit = pairs[(pairs["source_evidence"] != "implicit") & (pairs["target_evidence"] != "implicit")]
    assert explicit.groupby("claim_id").size().max() <= 60  # what a claim names stays readable
    mention_ids = set(mentions["mention_id"])
    assert set(pairs["target_mention_id"]) <= mention_ids


def test_issues_are_targets_only_and_implicit_participants_are_flagged():
    claim = {"claim_id": "a-c001", "article_id": "a", "text": "He attacked the probe.", "kind": "reported speech",
             "speaker_resolved": "Jane Doe", "speaker_affiliation": None}
    here = [mention(0, 16, 21, "impeachment probe", actor_type="issue", claim="a-c001", origin="issue")]
    before = [mention(0, 0, 4, "NATO", "NATO", "bloc", claim="a-c000"), mention(1, 10, 15, "Mark Roe", claim="a-c000")]
    article = before + here + [mention(0, 0, 4, "NATO", "NATO", "bloc", claim="a-c002")]
    explicit = claim_pairs(claim, here, "CNN", None, EXPLICIT, MARKERS, article, before)
    assert [(p["source"], p["target"], p["target_type"]) for p in explicit] == [
        ("Jane Doe", "impeachment probe", "issue")]
    assert explicit[0]["text"] == "<src>Jane Doe</src>: He attacked the <tgt>probe</tgt>."
    assert explicit[0]["source_evidence"] == "speaker" and explicit[0]["target_evidence"] == "named"

    settings = EXPLICIT.model_copy(update={"implicit_targets": 1, "context_window": 1, "context_sources": True})
    pairs = {(p["source"], p["target"]): p for p in claim_pairs(claim, here, "CNN", None, settings, MARKERS,
                                                                  article, before)}
    assert ("Jane Doe", "NATO") in pairs and ("Jane Doe", "Mark Roe") in pairs  # top-1 actor, context actor
    assert ("Mark Roe", "impeachment probe") in pairs  # a context actor as a source
    assert not any(source == "impeachment probe" for source, _ in pairs)
    nato = pairs[("Jane Doe", "NATO")]
    assert nato["target_evidence"] == IMPLICIT and nato["target_mention_id"] == "a-c000-m00"
    assert nato["text"] == "<src>Jane Doe</src> on <tgt>NATO</tgt>: He attacked the probe."
    roe = pairs[("Mark Roe", "impeachment probe")]
    assert roe["source_evidence"] == IMPLICIT and roe["text"] == "<src>Mark Roe</src>: He attacked the <tgt>probe</tgt>."
    no_issues = claim_pairs(claim, here, "CNN", None, EXPLICIT.model_copy(update={"issue_targets": False}),
                            MARKERS, article, before)
    assert no_issues == []


def test_evidence_notes_name_the_kind_or_the_resolved_actor():
    assert evidence_note("speaker", None, "Jane Doe") == "speaker"
    assert evidence_note("implicit", None, "NATO") == "implicit"
    assert evidence_note("pronoun", "he", "Sergey Lavrov") == "Sergey Lavrov"
    assert evidence_note("named", "Lavrov", "Sergey Lavrov") is None
    assert evidence_note("named", "Republicans", "Republican Party") == "Republican Party"
    claim = {"claim_id": "a-c001", "article_id": "a", "text": "He attacked the probe.", "kind": "reported speech",
             "speaker_resolved": "Jane Doe", "speaker_affiliation": None}
    here = [mention(0, 0, 2, "Mark Roe", claim="a-c001", origin="pronoun"),
            mention(1, 16, 21, "impeachment probe", actor_type="issue", claim="a-c001", origin="issue")]
    noted = EXPLICIT.model_copy(update={"evidence_in_text": True})
    texts = {(p["source"], p["target"]): p["text"] for p in claim_pairs(claim, here, "CNN", None, noted, MARKERS)}
    assert texts[("Jane Doe", "Mark Roe")] == "<src>Jane Doe</src> (speaker): <tgt>He (Mark Roe)</tgt> attacked the probe."
    assert texts[("Mark Roe", "impeachment probe")] == \
        "<src>He (Mark Roe)</src> attacked the <tgt>probe</tgt>."
    # The note travels with its entity when the roles are swapped.
    assert swap_roles(texts[("Jane Doe", "Mark Roe")], MARKERS) == \
        "<tgt>Jane Doe</tgt> (speaker): <src>He (Mark Roe)</src> attacked the probe."


def test_marked_text_names_an_implicit_target_in_a_prefix():
    assert marked_text("Lavrov spoke.", None, MARKERS, (0, 6), target_name="NATO") == \
        "On <tgt>NATO</tgt>: <src>Lavrov</src> spoke."
    with pytest.raises(ValueError):
        marked_text("x", None, MARKERS, (0, 1))


def test_salient_and_context_mentions():
    ms = [mention(0, 0, 1, "A", claim="c0"), mention(1, 0, 1, "B", claim="c0"), mention(0, 0, 1, "B", claim="c1"),
          mention(1, 0, 1, "war", actor_type="issue", claim="c1")]
    assert [m["canonical"] for m in salient(ms, 2, issues=False)] == ["B", "A"]
    assert [m["canonical"] for m in salient(ms, 5, issues=True)] == ["war"]
    by_claim = [["c0"], ["c1"], ["c2"], ["c3"]]
    assert context_mentions(by_claim, 1, 1) == ["c0", "c2"]
    assert context_mentions(by_claim, 0, 2) == ["c1", "c2"]
    assert context_mentions(by_claim, 2, 0) == []


def test_claim_reading_puts_each_note_after_its_mention_and_maps_every_span():
    text = "He met the US president and Biden."
    mentions = [mention(0, 0, 2, "Mark Roe", origin="pronoun"), mention(1, 7, 23, "Joe Biden", origin="nominal"),
                mention(2, 11, 23, "Joe Biden", origin="nominal"), mention(3, 28, 33, "Joe Biden")]
    notes = {"a-c000-m00": "Mark Roe", "a-c000-m01": "Joe Biden", "a-c000-m02": "Joe Biden"}
    reading, spans, prefix_spans = claim_reading(text, mentions, [("CNN", "author"), ("NATO", "implicit")], notes)
    assert reading == "CNN (author); NATO (implicit): He (Mark Roe) met the US president (Joe Biden) and Biden."
    assert {name: reading[a:b] for name, (a, b) in prefix_spans.items()} == {"CNN": "CNN", "NATO": "NATO"}
    # Nested mentions share the one note at their common end; a mention without a note has none.
    assert [reading[a:b] for a, b in spans.values()] == [
        "He (Mark Roe)", "the US president (Joe Biden)", "US president (Joe Biden)", "Biden"]
    assert claim_reading("Biden spoke.", [mention(0, 0, 5, "Joe Biden")], [], {}) == \
        ("Biden spoke.", {"a-c000-m00": (0, 5)}, {})


def test_every_pair_of_a_claim_is_marked_in_the_same_reading():
    from pipeline.models.transformer.encoding import unmark

    claim = {"claim_id": "a-c001", "article_id": "a", "text": "He attacked the probe and Biden.",
             "kind": "reported speech", "speaker_resolved": "Jane Doe", "speaker_affiliation": None}
    here = [mention(0, 0, 2, "Mark Roe", claim="a-c001", origin="pronoun"),
            mention(1, 16, 21, "impeachment probe", actor_type="issue", claim="a-c001", origin="issue"),
            mention(2, 26, 31, "Joe Biden", claim="a-c001")]
    article = here + [mention(0, 0, 4, "NATO", "NATO", "bloc", claim="a-c000"),
                      mention(1, 0, 4, "NATO", "NATO", "bloc", claim="a-c002")]
    settings = EXPLICIT.model_copy(update={"one_text_per_claim": True, "evidence_in_text": True,
                                           "implicit_targets": 4})
    pairs = {(p["source"], p["target"]): p["text"] for p in claim_pairs(claim, here, "CNN", None, settings, MARKERS,
                                                                         article)}
    assert pairs[("Jane Doe", "Mark Roe")] == \
        "<src>Jane Doe</src> (speaker); NATO (implicit): <tgt>He (Mark Roe)</tgt> attacked the probe and Biden."
    assert pairs[("Joe Biden", "NATO")] == \
        "Jane Doe (speaker); <tgt>NATO</tgt> (implicit): He (Mark Roe) attacked the probe and <src>Biden</src>."
    readings = {unmark(text, MARKERS)[0] for text in pairs.values()}
    assert readings == {"Jane Doe (speaker); NATO (implicit): He (Mark Roe) attacked the probe and Biden."}
    assert len(pairs) == 10  # speaker -> 4 targets; 2 actors -> each other, the issue and NATO


def test_preceding_claims_follow_every_pair_text_unmarked_and_keep_one_reading_per_claim():
    from pipeline.core.markers import MarkerError
    from pipeline.frontend.runner import article_pairs
    from pipeline.models.transformer.encoding import unmark

    assert with_preceding("<src>A</src> hit <tgt>B</tgt>.", None, MARKERS) == "<src>A</src> hit <tgt>B</tgt>."
    assert with_preceding("<src>A</src> hit <tgt>B</tgt>.", "  It  rained.\n", MARKERS) == \
        "<src>A</src> hit <tgt>B</tgt>. | Before: It rained."
    with pytest.raises(MarkerError):
        with_preceding("<src>A</src> hit <tgt>B</tgt>.", "a <tgt> slipped in", MARKERS)
    claims = [{"claim_id": f"a-c00{i}", "article_id": "a", "text": text, "kind": "narrative",
               "speaker_resolved": None, "speaker_affiliation": None}
              for i, text in enumerate(["Putin met Biden.", "He praised Biden.", "Biden thanked Putin."])]
    mentions = [mention(0, 0, 5, "Vladimir Putin", claim="a-c000"), mention(1, 10, 15, "Joe Biden", claim="a-c000"),
                mention(0, 0, 2, "Vladimir Putin", claim="a-c001", origin="pronoun"),
                mention(1, 11, 16, "Joe Biden", claim="a-c001"),
                mention(0, 0, 5, "Joe Biden", claim="a-c002"), mention(1, 14, 19, "Vladimir Putin", claim="a-c002")]
    settings = EXPLICIT.model_copy(update={"one_text_per_claim": True, "preceding_claims": 2})
    mentions = [{**m, "claim_id": m["mention_id"].split("-m")[0]} for m in mentions]
    pairs = article_pairs(claims, mentions, ("CNN", None), settings, MARKERS)
    by_claim = {}
    for pair in pairs:
        by_claim.setdefault(pair["claim_id"], set()).add(unmark(pair["text"], MARKERS)[0])
    assert all(len(readings) == 1 for readings in by_claim.values())  # one shared reading per claim
    assert by_claim["a-c000"] == {"CNN: Putin met Biden."}  # the first claim has nothing before it
    assert by_claim["a-c002"] == {"CNN: Biden thanked Putin. | Before: Putin met Biden. He praised Biden."}
    first = next(p for p in pairs if p["claim_id"] == "a-c001" and p["source"] == "Vladimir Putin")
    assert first["text"] == "CNN: <src>He</src> praised <tgt>Biden</tgt>. | Before: Putin met Biden."
    assert settings.model_copy(update={"preceding_claims": 0}) == EXPLICIT.model_copy(update={"one_text_per_claim": True})
