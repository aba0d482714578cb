"""Helpers shared by the front-half tests: the default claims settings and lexicon, and claims of a text."""

from __future__ import annotations

from pipeline.core.config import ClaimsConfig, load_lexicon
from pipeline.frontend.claims import build_claims
from pipeline.frontend.nlp import parse_texts

SETTINGS = ClaimsConfig()
LEXICON = load_lexicon()


def claims_of(text: str, nlp, dictionary) -> list:
    """The claim drafts the front half builds from `text`."""
    (parsed,) = parse_texts(nlp, [text])
    return build_claims(text, parsed, SETTINGS, LEXICON, dictionary)
