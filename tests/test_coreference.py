"""coreference: definite nominals and group pronouns resolved to actors."""

from __future__ import annotations

from frontend_helpers import claims_of  # noqa: E402


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
