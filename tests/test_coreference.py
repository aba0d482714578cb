"""coreference: definite nominals and group pronouns resolved to actors."""

from __future__ import annotations

import pytest

from pipeline.core.config import ClaimsConfig, load_config, load_lexicon
from pipeline.frontend.actors import load_dictionary
from pipeline.frontend.claims import build_claims
from pipeline.frontend.nlp import load_nlp, parse_texts

SETTINGS = ClaimsConfig()
LEXICON = load_lexicon()



@pytest.fixture(scope="module")
def nlp():
    return load_nlp(SETTINGS.spacy_model)


@pytest.fixture(scope="module")
def dictionary():
    return load_dictionary(load_config("default").actors.dictionary)


def claims_of(text, nlp, dictionary):
    (parsed,) = parse_texts(nlp, [text])
    return build_claims(text, parsed, SETTINGS, LEXICON, dictionary)


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
