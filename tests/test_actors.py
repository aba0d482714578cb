"""actors: dictionary, canonical names, short forms, title modifiers, seed coverage, no-actor articles."""

from __future__ import annotations

import pytest

from pipeline.core.config import ActorsConfig, load_config, load_lexicon
from pipeline.core.tables import read_table
from pipeline.frontend import actors as T
from pipeline.stages import frontend

SETTINGS = ActorsConfig()
LEXICON = load_lexicon()



def entity(text, start, end, kind="entity", label=None, resolved_to=None, resolved_type=None):
    """A claims-table entity record of `text`."""
    return {"start": start, "end": end, "kind": kind, "label": label, "text": text[start:end],
            "resolved_to": resolved_to, "resolved_type": resolved_type}


def claim(text, entities, claim_id="a-c000"):
    """A claims record; `entities` as (start, end, label) NER spans or full entity records."""
    records = [e if isinstance(e, dict) else entity(text, e[0], e[1], label=e[2]) for e in entities]
    return {"claim_id": claim_id, "article_id": "a", "text": text, "entities": records}


def test_lookup_strips_articles_and_possessives_and_respects_case(dictionary):
    assert dictionary.lookup("the Kremlin").name == "Kremlin"
    assert dictionary.lookup("Russia's").name == "Russia"
    assert dictionary.lookup("Kyiv").affiliation == "Ukraine"
    assert dictionary.lookup("US").name == "United States"
    assert dictionary.lookup("us") is None  # a pronoun, not a state


def test_dotted_aliases_are_found_although_lookup_strips_the_final_dot(dictionary):
    # spaCy hands over "U.S." and lookup() strips the trailing dot: the alias must still resolve.
    for surface in ("U.S.", "the U.S.", "U.S", "U.K.", "G.O.P."):
        assert dictionary.lookup(surface) is not None, surface
    assert dictionary.lookup("U.S.").name == "United States"
    assert [entry.name for _, _, entry in dictionary.find("The U.S. said so.")] == ["United States"]


def test_dictionary_rejects_entries_without_name_or_type():
    with pytest.raises(ValueError, match="needs 'name' and 'type'"):
        T.ActorDictionary.from_mapping({"actors": [{"name": "X"}]})


def test_short_form_merges_with_full_name_in_the_article(dictionary):
    resolver = T.ArticleActors(dictionary, [("Jane Q. Smith", "PERSON"), ("Smith", "ORG")])
    assert resolver.resolve("Smith", "ORG").canonical == "Jane Q. Smith"
    assert resolver.resolve("Smith", "ORG").type == "person"
    assert resolver.resolve("Lavrov", "ORG") == T.Actor("Sergey Lavrov", "person", "Russia")


def test_title_modifier_becomes_affiliation_not_a_mention(dictionary):
    text = "Freedonian Foreign Minister Rufus Firefly met Ukraine's envoy in Kyiv."
    records = T.article_mentions([claim(text, [[0, 10, "NORP"], [28, 41, "PERSON"], [46, 53, "GPE"]])],
                                 dictionary, SETTINGS, LEXICON)
    assert [(m["surface"], m["canonical"], m["affiliation"]) for m in records] == [
        ("Rufus Firefly", "Rufus Firefly", "Freedonian"),
        ("Ukraine", "Ukraine", "Ukraine"),
        ("Kyiv", "Ukraine", "Ukraine"),
    ]
    assert records[2]["origin"] == "dictionary" and records[0]["mention_id"] == "a-c000-m00"


def test_ner_spans_across_line_breaks_are_cut(dictionary):
    spans = T.candidate_spans("Lai\n- Character", [(0, 15, "PERSON")], dictionary, SETTINGS.ner_labels)
    assert [(s.start, s.end) for s in spans] == [(0, 3)]


def test_pronoun_entities_become_mentions_of_the_person(dictionary):
    text = "He called Kyiv."
    records = T.article_mentions([claim(text, [entity(text, 0, 2, "pronoun", resolved_to="Sergey Lavrov")])],
                                 dictionary, SETTINGS, LEXICON)
    assert [(m["surface"], m["canonical"], m["origin"]) for m in records] == [
        ("He", "Sergey Lavrov", "pronoun"), ("Kyiv", "Ukraine", "dictionary")]


@pytest.fixture(scope="module")
def seed_tables(tmp_path_factory):
    tables = tmp_path_factory.mktemp("tables")
    config = load_config("default", [f"paths.tables_dir={tables}"])
    for stage in (frontend.articles, frontend.claims, frontend.actors, frontend.pairs):
        stage(config)
    return tables / "corpus"


def test_every_seed_actor_is_in_the_dictionary_and_found(seed_tables, dictionary):
    mentions = read_table(seed_tables / "mentions.parquet", "mentions")
    found = set(mentions["canonical"])
    seed_actors = {"United States", "Ukraine", "Russia", "NATO", "Europe", "Donald Trump", "Volodymyr Zelensky",
                   "Steve Witkoff", "Jared Kushner", "Sergey Lavrov", "Dmitry Peskov", "Iran", "White House",
                   "United States Congress", "European Union", "Donbas", "The West"}
    assert seed_actors <= found
    for name in seed_actors | {"Kremlin", "Xinhua", "Miami", "Germany"}:
        assert dictionary.lookup(name) is not None, name
    named = mentions[~mentions["origin"].isin(["issue", "phrase"])]  # issues and group phrases have none
    assert named["affiliation"].notna().mean() > 0.95
    issues = set(mentions.loc[mentions["actor_type"] == "issue", "canonical"])
    assert {"NATO-style security guarantees", "Ukraine crisis"} <= issues
    assert not issues & seed_actors
    lavrov = mentions[mentions["canonical"] == "Sergey Lavrov"]
    assert set(lavrov["surface"]) >= {"Sergey Lavrov", "Lavrov"} and set(lavrov["affiliation"]) == {"Russia"}
    assert "Russian" not in set(mentions["surface"])  # folded into Lavrov's affiliation


def test_article_without_actors_is_reported(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "quiet.txt").write_text("Weather\nIt rained all day. The wind was cold.\n")
    config = load_config("default", [f"paths.tables_dir={tmp_path / 't'}", f"articles.input={folder}"])
    for stage in (frontend.articles, frontend.claims, frontend.actors):
        stage(config)
    rejects = read_table(tmp_path / "t" / "corpus" / "rejects_actors.parquet", "rejects")
    assert list(rejects["reason"]) == ["no actors found: the article yields no pairs"]
    assert "without 1" in capsys.readouterr().out


def phrase_claim(text, phrases, claim_id="a-c000"):
    """A claim whose stored entities are noun phrases given by their text."""
    spans = [entity(text, text.index(p), text.index(p) + len(p), "phrase") for p in phrases]
    return claim(text, spans, claim_id)


def test_issue_phrases_by_lexicon_frequency_and_short_form():
    settings = ActorsConfig(issue_min_count=2)
    claims = [phrase_claim("The border wall divides voters.", ["border wall", "voters"], "a-c000"),
              phrase_claim("Many other lawmakers oppose the wall and the weather.",
                           ["other lawmakers", "wall", "weather"], "a-c001"),
              phrase_claim("The tariffs hurt farmers. More tariffs came.", ["tariffs", "farmers", "More tariffs"],
                           "a-c002")]
    found = T.issue_phrases(claims, settings, LEXICON)
    names = {cid: sorted(v.values()) for cid, v in found.items()}
    assert names["a-c000"] == ["border wall", "voters"]  # lexicon heads: wall (issue), voter (group)
    assert names["a-c001"] == ["border wall", "lawmakers"]  # "wall" takes the longer name; "weather" is no issue
    assert names["a-c002"] == ["tariffs", "tariffs"]  # "More" dropped
    no_heads = LEXICON.model_copy(update={"issue_heads": frozenset(), "group_heads": frozenset()})
    off = T.issue_phrases(claims, ActorsConfig(issue_min_count=3), no_heads)
    assert off == {}


def test_issue_and_group_phrases_become_mentions_of_their_kind(dictionary):
    text = "Republican lawmakers attacked the impeachment probe."
    records = T.article_mentions([phrase_claim(text, ["Republican lawmakers", "impeachment probe"])],
                                 dictionary, SETTINGS, LEXICON)
    kinds = [(m["surface"], m["canonical"], m["actor_type"], m["origin"]) for m in records]
    assert ("Republican", "Republican Party", "party", "dictionary") in kinds
    assert ("lawmakers", "Republican lawmakers", "group", "phrase") in kinds  # cut after the party's span
    assert ("impeachment probe", "impeachment probe", "issue", "issue") in kinds
    none = T.article_mentions([phrase_claim(text, ["impeachment probe"])], dictionary,
                              ActorsConfig(issue_mentions=False), LEXICON)
    assert all(m["actor_type"] != "issue" for m in none)


def test_nominal_entities_become_mentions_with_their_type(dictionary):
    text = "The committee met."
    nominal = entity(text, 0, 13, "nominal", resolved_to="Ways Committee", resolved_type="organization")
    records = T.article_mentions([claim(text, [nominal])], dictionary, SETTINGS, LEXICON)
    assert [(m["canonical"], m["actor_type"], m["origin"]) for m in records] == [
        ("Ways Committee", "organization", "nominal")]
