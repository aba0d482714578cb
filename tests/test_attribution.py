"""attribution: speakers and cues of a claim, and speakers resolved against the article."""

from __future__ import annotations

import pytest
from frontend_helpers import LEXICON, claims_of  # noqa: E402

from pipeline.frontend.attribution import find_attribution
from pipeline.frontend.drafts import DIRECT, REPORTED
from pipeline.frontend.nlp import parse_texts


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
    ('"It works," I said.', [], "I", "pronoun", "said"),
    ("Frum said the gloating was dangerous.", [], "Frum", "named", "said"),
])
def test_attribution_patterns(text, entities, speaker, kind, cue):
    found = find_attribution(text, entities, LEXICON)
    assert (found.speaker, found.speaker_type, found.cue) == (speaker, kind, cue)
    assert text[found.start:found.end] == speaker


def test_cues_inside_quotes_and_plain_narrative_have_no_speaker():
    assert find_attribution('The plan, "as he said, is dead", was dropped.', [], LEXICON) is None
    assert find_attribution("The United States offered guarantees to Kyiv.", [(0, 17, "GPE")], LEXICON) is None


@pytest.mark.parametrize("text,speaker", [
    ("Rep. Bobby L. Rush, Illinois Democrat, tweeted.", "Bobby L. Rush"),
    ('"I doubt it," Senate Minority Leader Chuck Schumer (D-N.Y.) said Tuesday.', "Chuck Schumer"),
])
def test_speaker_before_an_apposition_or_parenthesis(text, speaker, nlp):
    (parsed,) = parse_texts(nlp, [text])
    found = find_attribution(text, parsed.entities, LEXICON)
    assert found is not None and found.speaker == speaker


def test_name_right_after_the_cue_is_a_speaker_even_without_ner():
    found = find_attribution('"It is not style," said Weld.', [], LEXICON)
    assert found is not None and (found.speaker, found.speaker_type) == ("Weld", "named")


def test_pronoun_resolves_to_named_speaker_and_anonymous_role_stays_a_role(nlp, dictionary):
    text = ('Lavrov said Europe failed. "They prescribe medicines," he said.\n'
            '"Strong guarantees," one US official said. "Not forever," he said.')
    claims = claims_of(text, nlp, dictionary)
    speakers = [(c.attribution.speaker, c.resolved) for c in claims]
    assert speakers == [("Lavrov", "Sergey Lavrov"), ("he", "Sergey Lavrov"),
                        ("one US official", "US official"), ("he", "US official")]
    assert [c.kind for c in claims] == [REPORTED, DIRECT, DIRECT, DIRECT]
