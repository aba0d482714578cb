"""claims: claims of the seed article, kinds, speakers shared over a quotation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from frontend_helpers import LEXICON, SETTINGS, claims_of  # noqa: E402

from pipeline.core.config import load_config
from pipeline.core.tables import SCHEMAS, read_table, write_table
from pipeline.frontend.articles import read_txt
from pipeline.frontend.claims import build_claims, claim_records
from pipeline.frontend.drafts import (
    DIRECT,
    NARRATIVE,
    NER_ENTITY,
    NOMINAL_REFERENCE,
    NOUN_PHRASE,
    PRONOUN_REFERENCE,
)
from pipeline.frontend.nlp import parse_texts

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_cc2e266a8b9d55b3.txt"





@pytest.fixture(scope="module")
def seed_claims(nlp, dictionary):
    article = read_txt(SEED.read_bytes(), "seed.txt", load_config("default").articles).articles[0]
    return article["text"], claims_of(article["text"], nlp, dictionary)


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


def test_sentences_of_one_quotation_share_its_speaker_when_not_merged(nlp, dictionary):
    text = ('"We will not back down. The wall is a waste of money. It must stop," Senator Jane Doe said. '
            'The weather was fine.')
    (parsed,) = parse_texts(nlp, [text])
    drafts = build_claims(text, parsed, SETTINGS, LEXICON, dictionary, merge_quotes=False)
    assert len(drafts) == 4
    assert [d.resolved for d in drafts[:3]] == ["Jane Doe"] * 3 and drafts[3].resolved is None
    assert drafts[1].opens_in_quote and drafts[1].kind == DIRECT


def test_quote_takes_the_speaker_of_a_following_attribution_fragment(nlp, dictionary):
    drafts = claims_of('Trump weighed in on Friday. "A very sad day for journalism!"\nhe tweeted.', nlp, dictionary)
    quote = next(d for d in drafts if "sad day" in d.text)
    assert quote.resolved == "Donald Trump" and quote.attribution.cue == "(continued quotation)"


def test_claim_entities_are_typed_records_that_survive_the_table(seed_claims, tmp_path):
    _, drafts = seed_claims
    records = claim_records("seed", drafts)
    write_table(pd.DataFrame(records, columns=SCHEMAS["claims"].names), "claims", tmp_path / "claims.parquet")
    back = read_table(tmp_path / "claims.parquet", "claims")
    entities = [dict(e) for found in back["entities"] for e in found]
    kinds = {e["kind"] for e in entities}
    assert {NER_ENTITY, PRONOUN_REFERENCE} <= kinds <= {NER_ENTITY, PRONOUN_REFERENCE, NOMINAL_REFERENCE, NOUN_PHRASE}
    assert all(e["label"] for e in entities if e["kind"] == NER_ENTITY)
    assert all(e["resolved_to"] and e["resolved_type"] for e in entities
               if e["kind"] in (PRONOUN_REFERENCE, NOMINAL_REFERENCE))
    text = back["text"].tolist()
    for claim_text, found in zip(text, back["entities"]):
        assert all(claim_text[e["start"]:e["end"]] == e["text"] for e in found)
    lavrov_he = [e for e in entities if e["kind"] == PRONOUN_REFERENCE and e["resolved_to"] == "Sergey Lavrov"]
    assert lavrov_he and all(e["resolved_type"] == "person" for e in lavrov_he)
