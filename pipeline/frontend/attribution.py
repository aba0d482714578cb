"""attribution: the speaker and cue of a claim, and the speaker resolved against the article.

Rule-based over tokens and entities: a speech cue outside the quotes
("said", "told reporters", "slammed", "according to") and the noun phrase
that speaks it, before the cue ("Lavrov said", "US officials had
described") or after it ('…," said Trump'). The speaker is named (an
entity), a pronoun ("he") or a role ("one US official"). Pronouns resolve to
the nearest earlier compatible speaker of the article; a definite role ("the
spokesman") resolves to an earlier person given that title, or to an earlier
role with the same head; otherwise a role stays a role (anonymous sources).
"""

from __future__ import annotations

from pipeline.core.config import LexiconConfig
from pipeline.frontend.actors import ArticleActors
from pipeline.frontend.coreference import last_person
from pipeline.frontend.drafts import NAMED, PRONOUN, ROLE, Attribution, ClaimDraft
from pipeline.frontend.nlp import (
    SPEAKER_LABELS,
    STRAIGHT_QUOTE,
    Token,
    singular,
    tokenize,
)

_SKIP_LABELS = {"DATE", "TIME"}

def _entity_bounds(tokens: list[Token], index: int) -> tuple[int, int]:
    """First and last token index of the entity token `index` belongs to."""
    entity = tokens[index].entity
    first = last = index
    while first > 0 and tokens[first - 1].entity == entity:
        first -= 1
    while last + 1 < len(tokens) and tokens[last + 1].entity == entity:
        last += 1
    return first, last


def _role_phrase_left(tokens: list[Token], head: int, lexicon: LexiconConfig) -> int:
    """Index of the first token of the role phrase that ends at `head` ("one US official")."""
    role_nouns, modifiers = lexicon.role_nouns, lexicon.role_modifiers
    skip, prepositions = lexicon.speaker_skip_words, lexicon.prepositions
    first = head
    while first > 0:
        prev = tokens[first - 1]
        if prev.in_quote or not prev.text[0].isalnum():
            break
        if prev.entity is not None or prev.lower in modifiers or prev.lower in role_nouns \
                or (prev.text[0].isupper() and prev.lower not in skip and prev.lower not in prepositions):
            first -= 1
        else:
            break
    return first


def _skip_aside(tokens: list[Token], j: int, max_tokens: int = 10) -> int:
    """Step back over a parenthesis or an apposition that ends at token j.

    "Chuck Schumer (D-N.Y.) said" and "Rep. Bobby L. Rush, Illinois Democrat,
    tweeted": the speaker is the name before the aside. Returns the index of
    the last token before it, or `j` when there is no aside.
    """
    closing = {")": "(", ",": ","}.get(tokens[j].text)
    if closing is None:
        return j
    for k in range(j - 1, max(-1, j - max_tokens - 1), -1):
        if tokens[k].in_quote or tokens[k].text in {";", ":", STRAIGHT_QUOTE, "“", "”"} \
                or (closing == "," and tokens[k].text == "."):
            return j
        if tokens[k].text == closing:
            if k > 0 and tokens[k - 1].entity is not None:
                return k - 1
            return j
    return j


def _speaker_before(tokens: list[Token], cue: int, entities, lexicon: LexiconConfig):
    """The speaker phrase that ends just before the cue token, as (first, last, type) or None."""
    role_nouns = lexicon.role_nouns
    j = cue - 1
    while j >= 0 and not tokens[j].in_quote and (
            tokens[j].lower in lexicon.speaker_skip_words or tokens[j].lower.endswith("ly")
            or (tokens[j].entity is not None and entities[tokens[j].entity][2] in _SKIP_LABELS)):
        j -= 1
    if j < 0 or tokens[j].in_quote:
        return None
    j = _skip_aside(tokens, j)
    if j < 0:
        return None
    token = tokens[j]
    if token.entity is not None and entities[token.entity][2] in SPEAKER_LABELS:
        first, last = _entity_bounds(tokens, j)
        if first > 0 and tokens[first - 1].lower in lexicon.prepositions:
            # "European leaders in Berlin said": the speaker is the noun before the preposition.
            k = first - 2
            if k >= 0 and tokens[k].lower in role_nouns:
                return _role_phrase_left(tokens, k, lexicon), k, ROLE
            return None
        if first > 0 and tokens[first - 1].text in {"'s", "’s"}:
            return None
        return first, last, NAMED
    if token.lower in lexicon.pronouns:
        return j, j, PRONOUN
    if token.lower in role_nouns:
        return _role_phrase_left(tokens, j, lexicon), j, ROLE
    if token.text[:1].isupper() and token.text.isalpha() and token.lower not in lexicon.not_names \
            and (j == 0 or not tokens[j - 1].in_quote):
        # A name NER missed ("Frum said"): capitalised words right before the cue.
        first = j
        while first > 0 and tokens[first - 1].text[:1].isupper() and tokens[first - 1].text.isalpha():
            first -= 1
        return first, j, NAMED
    return None


def _speaker_after(tokens: list[Token], cue: int, entities, lexicon: LexiconConfig):
    """The speaker phrase right after the cue ('…," said Trump'; 'according to the US officials')."""
    role_nouns, modifiers = lexicon.role_nouns, lexicon.role_modifiers
    j = cue + 1
    while j < len(tokens) and (tokens[j].lower in lexicon.determiners or tokens[j].lower == "to"):
        j += 1
    if j >= len(tokens) or tokens[j].in_quote:
        return None
    token = tokens[j]
    if token.entity is not None and entities[token.entity][2] in SPEAKER_LABELS:
        first, last = _entity_bounds(tokens, j)
        # "according to US officials": the entity only qualifies a following role noun.
        k = last + 1
        while k < len(tokens) and (tokens[k].lower in modifiers or tokens[k].entity is not None) \
                and tokens[k].lower not in role_nouns:
            k += 1
        if k < len(tokens) and tokens[k].lower in role_nouns:
            return cue + 1 + (tokens[cue + 1].lower == "to"), _role_tail(tokens, k, role_nouns), ROLE
        return first, last, NAMED
    if token.lower in lexicon.pronouns:
        return j, j, PRONOUN
    if j == cue + 1 and token.text[:1].isupper() and token.text.isalpha() and token.lower not in lexicon.not_names \
            and token.lower not in role_nouns and token.lower not in modifiers:
        # A name NER missed right after the cue ('…," said Weld.').
        last = j
        while last + 1 < len(tokens) and tokens[last + 1].text[:1].isupper() and tokens[last + 1].text.isalpha():
            last += 1
        if last + 1 >= len(tokens) or not tokens[last + 1].text[0].isalnum():
            return j, last, NAMED
    k = j
    while k < len(tokens) and (tokens[k].lower in modifiers or tokens[k].text[:1].isupper()) \
            and tokens[k].lower not in role_nouns:
        k += 1
    if k < len(tokens) and tokens[k].lower in role_nouns:
        first = cue + 1 + (cue + 1 < len(tokens) and tokens[cue + 1].lower == "to")
        return first, _role_tail(tokens, k, role_nouns), ROLE
    return None


def _role_tail(tokens: list[Token], k: int, role_nouns: frozenset[str]) -> int:
    while k + 1 < len(tokens) and tokens[k + 1].lower in role_nouns:
        k += 1
    return k


def _cue_text(tokens: list[Token], cue: int, lexicon: LexiconConfig) -> str:
    """The cue as written, with its audience ("told reporters") or continuation ("said in a statement")."""
    words = [tokens[cue].text]
    after = [t.lower for t in tokens[cue + 1:]]
    if tokens[cue].lower in lexicon.addressed_verbs and after[:1] and after[0] in lexicon.addressees:
        return " ".join([*words, tokens[cue + 1].text])
    for phrase in lexicon.cue_continuations:
        continuation = phrase.split()
        if after[:len(continuation)] == continuation:
            return " ".join([*words, *continuation])
    return " ".join(words)


def find_attribution(text: str, entities: list[tuple[int, int, str]], lexicon: LexiconConfig,
                     open_at_start: bool = False) -> Attribution | None:
    """The speaker and cue of one claim, if a cue outside quotes has a speaker phrase next to it."""
    tokens = tokenize(text, entities, open_at_start)
    candidates = []
    for index, token in enumerate(tokens):
        if token.in_quote:
            continue
        for phrase in lexicon.according_to:
            words = phrase.split()
            if [t.lower for t in tokens[index:index + len(words)]] == words:
                candidates.append((index + len(words) - 1, " ".join(t.text for t in tokens[index:index + len(words)]), True))
        if token.lower in lexicon.speech_verbs and token.entity is None:
            candidates.append((index, _cue_text(tokens, index, lexicon), False))
    for cue, cue_text, forward_only in candidates:
        found = None if forward_only else _speaker_before(tokens, cue, entities, lexicon)
        if found is None and (forward_only or (cue > 0 and (tokens[cue - 1].text in {",", STRAIGHT_QUOTE, "”"}))):
            found = _speaker_after(tokens, cue, entities, lexicon)
        if found is None:
            continue
        first, last, kind = found
        start, end = tokens[first].start, tokens[last].end
        label = entities[tokens[first].entity][2] if kind == NAMED and tokens[first].entity is not None else None
        return Attribution(text[start:end], kind, start, end, cue_text, label)
    return None


def _role_number(role: str) -> str:
    head = role.split()[-1].lower()
    return "plural" if head.endswith(("s", "people", "police")) and not head.endswith("ss") else "singular"


def _strip_determiners(phrase: str, determiners: frozenset[str]) -> str:
    words = phrase.split()
    while len(words) > 1 and words[0].lower() in determiners:
        words = words[1:]
    return " ".join(words)


def _compatible(pronoun_number: str, draft: ClaimDraft) -> bool:
    if draft.resolved is None or draft.number is None:
        return False
    if pronoun_number == "singular":
        return draft.number == "singular"
    if pronoun_number == "plural":
        return draft.number in {"plural", "group"}
    return draft.number == "group"


def _number_of_actor(actor_type: str) -> str:
    return "singular" if actor_type == "person" else "group"


def resolve_speakers(drafts: list[ClaimDraft], resolver: ArticleActors, lexicon: LexiconConfig) -> None:
    """Fill resolved speaker, affiliation and number of every attributed claim, in article order."""
    role_nouns = lexicon.role_nouns
    persons_with_titles: list[tuple[int, set[str], str, str | None]] = []  # (position, title words, name, aff)
    for index, draft in enumerate(drafts):
        att = draft.attribution
        if att is not None and att.speaker_type == NAMED:
            actor = resolver.resolve(att.speaker, att.label or "")
            draft.resolved, draft.affiliation = actor.canonical, actor.affiliation
            draft.number = _number_of_actor(actor.type)
        elif att is not None and att.speaker_type == PRONOUN:
            number = lexicon.pronouns.get(att.speaker.lower(), "singular")
            for earlier in reversed(drafts[:index]):
                if _compatible(number, earlier):
                    draft.resolved, draft.affiliation, draft.number = earlier.resolved, earlier.affiliation, earlier.number
                    draft.resolved_is_role = earlier.resolved_is_role
                    break
            if draft.resolved is None and number == "singular":
                person = last_person(drafts[:index], resolver)
                if person is not None:
                    draft.resolved, draft.affiliation, draft.number = person.canonical, person.affiliation, "singular"
        elif att is not None and att.speaker_type == ROLE:
            role = _strip_determiners(att.speaker, lexicon.determiners)
            head = singular(role.split()[-1])
            draft.resolved, draft.number, draft.resolved_is_role = role, _role_number(role), True
            draft.affiliation = _role_affiliation(att, draft, resolver)
            if att.speaker.split()[0].lower() in lexicon.definite_determiners:
                person = next((p for p in reversed(persons_with_titles) if head in p[1]), None)
                same_head = [e for e in reversed(drafts[:index]) if e.attribution is not None
                             and e.attribution.speaker_type == ROLE and e.resolved
                             and singular(e.resolved.split()[-1]) == head]
                same_role = next((e for e in same_head if e.number == draft.number),
                                 same_head[0] if same_head else None)
                if person is not None and draft.number == "singular":
                    draft.resolved, draft.affiliation, draft.number = person[2], person[3], "singular"
                    draft.resolved_is_role = False
                elif same_role is not None:
                    draft.resolved, draft.affiliation = same_role.resolved, same_role.affiliation
        # Remember titled persons of this claim for later definite roles ("the spokesman said").
        tokens = tokenize(draft.text, draft.entities)
        for start, end, label in draft.entities:
            if label != "PERSON":
                continue
            before = [t.lower for t in tokens if t.end <= start][-4:]
            titles = {singular(w) for w in before if w in role_nouns}
            if titles:
                actor = resolver.resolve(draft.text[start:end], label)
                persons_with_titles.append((index, titles, actor.canonical, actor.affiliation))


def _role_affiliation(att: Attribution, draft: ClaimDraft, resolver: ArticleActors) -> str | None:
    for start, end, label in draft.entities:
        if start >= att.start and end <= att.end and label in SPEAKER_LABELS:
            actor = resolver.resolve(draft.text[start:end], label)
            return actor.affiliation or actor.canonical
    for start, end, entry in resolver.dictionary.find(att.speaker):
        return entry.affiliation or entry.name
    return None
