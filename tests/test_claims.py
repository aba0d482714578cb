"""claims: sentences, quotations over several sentences, kinds, speakers and cues."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.config import ClaimsConfig, load_config
from pipeline.frontend.actors import load_dictionary
from pipeline.frontend.articles import read_txt
from pipeline.frontend.claims import (
    DIRECT,
    NARRATIVE,
    REPORTED,
    _chunks,
    build_claims,
    find_attribution,
    group_quotes,
    is_heading,
    load_nlp,
    parse_texts,
    quoted_share,
    sentence_spans,
)

SETTINGS = ClaimsConfig()
SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_cc2e266a8b9d55b3.txt"


@pytest.fixture(scope="module")
def nlp():
    return load_nlp(SETTINGS.spacy_model)


@pytest.fixture(scope="module")
def dictionary():
    return load_dictionary(load_config("default").actors.dictionary)


def claims_of(text, nlp, dictionary):
    (parsed,) = parse_texts(nlp, [text])
    return build_claims(text, parsed, SETTINGS, dictionary)


@pytest.fixture(scope="module")
def seed_claims(nlp, dictionary):
    article = read_txt(SEED.read_bytes(), "seed.txt", load_config("default").articles).articles[0]
    return article["text"], claims_of(article["text"], nlp, dictionary)


def test_pipeline_runs_only_what_the_stages_use(nlp):
    assert nlp.pipe_names == ["tok2vec", "senter", "ner"]


def test_line_breaks_end_sentences():
    text = "Title line\nFirst sentence here. Second one"
    assert sentence_spans(text, [(0, 31), (32, 42)]) == [(0, 10), (11, 31), (32, 42)]


def test_quotation_over_two_sentences_is_one_claim():
    text = 'He said, "They only prescribe. They never diagnose." Lavrov left.\n"Next" one.'
    spans = [(0, 30), (31, 52), (53, 65), (66, 77)]
    assert group_quotes(text, spans, 8) == [[(0, 30), (31, 52)], [(53, 65)], [(66, 77)]]
    assert group_quotes(text, spans, 1) == [[s] for s in spans]


def test_a_quote_left_open_does_not_run_over_a_paragraph():
    text = '"Open quote without end.\nNew paragraph.'
    assert group_quotes(text, [(0, 24), (25, 39)], 8) == [[(0, 24)], [(25, 39)]]


def test_heading_is_a_short_line_without_end_punctuation():
    text = "Body text.\nArticle Five\nBefore it, he said so."
    assert is_heading(text, 11, 23, 6)
    assert not is_heading(text, 24, len(text), 6)


def test_quoted_share():
    assert quoted_share('"All of this is quoted," he said.') == pytest.approx(5 / 7)
    assert quoted_share("No quotes at all.") == 0.0


@pytest.mark.parametrize("text,entities,speaker,kind,cue", [
    ('"We are closer," Trump told reporters at the White House.', [(17, 22, "PERSON")], "Trump", "named", "told reporters"),
    ('"We are closer," said Trump.', [(22, 27, "PERSON")], "Trump", "named", "said"),
    ("Guarantees matter, one US official said on condition of anonymity.", [(23, 25, "GPE")],
     "one US official", "role", "said"),
    ("Talks went on, according to the US officials, who asked not to be named.", [(32, 34, "GPE")],
     "the US officials", "role", "according to"),
    ("European leaders in Berlin said in a statement that they agree.", [(0, 8, "NORP"), (20, 26, "GPE")],
     "European leaders", "role", "said in a statement"),
    ("Russian Foreign Minister Sergey Lavrov on Monday slammed Europe.",
     [(0, 7, "NORP"), (25, 38, "PERSON"), (42, 48, "DATE"), (57, 63, "LOC")], "Sergey Lavrov", "named", "slammed"),
    ('"Those guarantees will not last," he said.', [], "he", "pronoun", "said"),
    ("Frum said the gloating was dangerous.", [], "Frum", "named", "said"),
])
def test_attribution_patterns(text, entities, speaker, kind, cue):
    found = find_attribution(text, entities, SETTINGS)
    assert (found.speaker, found.speaker_type, found.cue) == (speaker, kind, cue)
    assert text[found.start:found.end] == speaker


def test_cues_inside_quotes_and_plain_narrative_have_no_speaker():
    assert find_attribution('The plan, "as he said, is dead", was dropped.', [], SETTINGS) is None
    assert find_attribution("The United States offered guarantees to Kyiv.", [(0, 17, "GPE")], SETTINGS) is None


def test_pronoun_resolves_to_named_speaker_and_anonymous_role_stays_a_role(nlp, dictionary):
    text = ('Lavrov said Europe failed. "They prescribe medicines," he said.\n'
            '"Strong guarantees," one US official said. "Not forever," he said.')
    claims = claims_of(text, nlp, dictionary)
    speakers = [(c.attribution.speaker, c.resolved) for c in claims]
    assert speakers == [("Lavrov", "Sergey Lavrov"), ("he", "Sergey Lavrov"),
                        ("one US official", "US official"), ("he", "US official")]
    assert [c.kind for c in claims] == [REPORTED, DIRECT, DIRECT, DIRECT]


def test_long_texts_are_parsed_in_pieces(nlp):
    text = "\n".join(f"Sentence number {i} is here." for i in range(40))
    assert all(len(piece) <= 200 for _, piece in _chunks(text, 200))
    (whole,) = parse_texts(nlp, [text])
    (pieces,) = parse_texts(nlp, [text], chunk_chars=200)
    assert sentence_spans(text, whole.sentences) == sentence_spans(text, pieces.sentences)


def test_seed_lavrov_quote_is_one_direct_quote_by_lavrov(seed_claims):
    text, claims = seed_claims
    (claim,) = [c for c in claims if "They only prescribe medicines" in c.text]
    assert "They will never make a proper diagnosis." in claim.text and claim.n_sentences == 2
    assert claim.kind == DIRECT and claim.resolved == "Sergey Lavrov" and claim.affiliation == "Russia"
    assert text[claim.start:claim.end] == claim.text


def test_seed_trump_quote_is_attributed_to_trump(seed_claims):
    _, claims = seed_claims
    (claim,) = [c for c in claims if "closer now than we have been" in c.text]
    assert claim.kind == DIRECT and claim.resolved == "Donald Trump"
    assert claim.attribution.cue == "told reporters"


def test_seed_speakers_roles_and_boilerplate(seed_claims):
    text, claims = seed_claims
    by_text = {c.text[:40]: c for c in claims}
    assert all("Today's Top News" not in c.text and c.text != "Article Five" for c in claims)
    assert claims[0].text.startswith("The United States")  # dateline "BERLIN — " cut
    assert claims[0].kind == NARRATIVE
    officials = [c for c in claims if c.attribution and "official" in c.attribution.speaker.lower()]
    assert {c.resolved for c in officials} == {"US officials", "US official"}
    peskov = next(c for c in claims if "Peskov" in c.text)
    assert peskov.resolved == "Dmitry Peskov" and peskov.affiliation == "Russia"
    they_added = next(c for c in claims if c.text.endswith("they added."))
    assert they_added.resolved == "European leaders"
    assert len(by_text) == len(claims) == 20


# ------------------------------------------------ recall levers (issue 4, item 5)

def test_noun_phrases_from_tags_end_in_a_common_noun():
    from pipeline.frontend.claims import noun_phrases

    # "the US-Mexico border wall is dead ." with Penn tags
    tokens = [(0, 3, "DT"), (4, 6, "NNP"), (6, 7, "HYPH"), (7, 13, "NNP"), (14, 20, "NN"), (21, 25, "NN"),
              (26, 28, "VBZ"), (29, 33, "JJ"), (34, 42, "NNP"), (43, 44, ".")]
    assert noun_phrases(tokens) == [(4, 25)]  # "Medicaid"-like proper-noun runs are NER's, not phrases


def test_sentences_of_one_quotation_share_its_speaker_when_not_merged(nlp, dictionary):
    text = ('"We will not back down. The wall is a waste of money. It must stop," Senator Jane Doe said. '
            'The weather was fine.')
    (parsed,) = parse_texts(nlp, [text])
    drafts = build_claims(text, parsed, SETTINGS, dictionary, merge_quotes=False)
    assert len(drafts) == 4
    assert [d.resolved for d in drafts[:3]] == ["Jane Doe"] * 3 and drafts[3].resolved is None
    assert drafts[1].opens_in_quote and drafts[1].kind == DIRECT


def test_quote_takes_the_speaker_of_a_following_attribution_fragment(nlp, dictionary):
    drafts = claims_of('Trump weighed in on Friday. "A very sad day for journalism!"\nhe tweeted.', nlp, dictionary)
    quote = next(d for d in drafts if "sad day" in d.text)
    assert quote.resolved == "Donald Trump" and quote.attribution.cue == "(continued quotation)"


@pytest.mark.parametrize("text,speaker", [
    ("Rep. Bobby L. Rush, Illinois Democrat, tweeted.", "Bobby L. Rush"),
    ('"I doubt it," Senate Minority Leader Chuck Schumer (D-N.Y.) said Tuesday.', "Chuck Schumer"),
])
def test_speaker_before_an_apposition_or_parenthesis(text, speaker, nlp):
    (parsed,) = parse_texts(nlp, [text])
    found = find_attribution(text, parsed.entities, SETTINGS)
    assert found is not None and found.speaker == speaker


def test_name_right_after_the_cue_is_a_speaker_even_without_ner():
    found = find_attribution('"It is not style," said Weld.', [], SETTINGS)
    assert found is not None and (found.speaker, found.speaker_type) == ("Weld", "named")


def test_nominals_resolve_to_the_actor_so_titled_earlier(nlp, dictionary):
    text = ("President Donald Trump met Senator Jane Doe on Monday. Later the president criticized the senator. "
            "The former president stayed home.")
    drafts = claims_of(text, nlp, dictionary)
    nominals = [(d.text[s:e], name) for d in drafts for s, e, name, _ in d.nominals]
    assert ("the president", "Donald Trump") in nominals and ("the senator", "Jane Doe") in nominals
    assert not any(surface.lower().startswith("the former") for surface, _ in nominals)


def test_group_pronouns_resolve_to_the_last_organisation(nlp, dictionary):
    text = "The Acme Corporation sued the city. Their lawyers said the case was strong."
    drafts = claims_of(text, nlp, dictionary)
    assert [p[2:] for p in drafts[1].pronouns] == [("Acme Corporation", "organization")]
