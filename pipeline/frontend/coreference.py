"""coreference: pronouns and definite nominals resolved to the actors they stand for.

A light stand-in for coreference, enough to put "he" or "the president" in
play as a source or target: person pronouns resolve to the last person named,
group pronouns to the last organisation or group named nearby, and definite
nominals ("the president", "the committee") to the nearest earlier actor
given that title or name head.
"""

from __future__ import annotations

from pipeline.core.config import LexiconConfig
from pipeline.frontend.actors import ArticleActors
from pipeline.frontend.drafts import ClaimDraft
from pipeline.frontend.nlp import SPEAKER_LABELS, Token, singular, tokenize


def last_actor(drafts: list[ClaimDraft], resolver: ArticleActors, before: int | None = None,
               types: frozenset[str] = frozenset({"person"}), max_back: int | None = None):
    """The actor of one of `types` most recently named in `drafts` (in the last one, only before `before`).

    `max_back` limits the search to that many claims before the last one.
    """
    for position, draft in enumerate(reversed(drafts)):
        if max_back is not None and position > max_back:
            break
        limit = before if position == 0 and before is not None else len(draft.text) + 1
        found = []
        for start, end, label in draft.entities:
            if start >= limit or label not in SPEAKER_LABELS:
                continue
            actor = resolver.resolve(draft.text[start:end], label)
            if actor.type in types:
                found.append((start, actor))
        if found:
            return found[-1][1]
    return None


def last_person(drafts: list[ClaimDraft], resolver: ArticleActors, before: int | None = None):
    """The person most recently named in `drafts` (in the last one, only before offset `before`)."""
    return last_actor(drafts, resolver, before)


def pronoun_mentions(drafts: list[ClaimDraft], resolver: ArticleActors, lexicon: LexiconConfig) -> None:
    """Resolve pronouns outside quotes to the last compatible actor named; fill `draft.pronouns`.

    `lexicon.person_pronouns` (he/him/his/she/her) resolve to the last person
    named (the speaker pronoun to the claim's resolved speaker). With
    `lexicon.group_pronouns`, they/them/their resolve to the last organisation
    or group named in this claim or the two before, and its to the last
    organisation, institution or state. This is a light stand-in for coreference: it lets "he called X ..."
    put the person in play as a source or target.
    """
    persons = lexicon.person_pronouns
    group = {p: frozenset(t) for p, t in lexicon.group_pronouns.items()}
    for index, draft in enumerate(drafts):
        for token in tokenize(draft.text, [], draft.opens_in_quote):
            if token.in_quote or (token.lower not in persons and token.lower not in group):
                continue
            att = draft.attribution
            if att is not None and att.start == token.start and token.lower in persons:
                if not draft.resolved or draft.resolved_is_role or draft.number != "singular":
                    continue  # "he" of an anonymous official names nobody
                actor = resolver.resolve(draft.resolved, "PERSON")
            elif token.lower in persons:
                actor = last_person(drafts[: index + 1], resolver, before=token.start)
            else:
                actor = last_actor(drafts[: index + 1], resolver, token.start, group[token.lower], max_back=2)
            if actor is not None:
                draft.pronouns.append((token.start, token.end, actor.canonical, actor.type))


def _title_words(tokens: list[Token], first: int, last: int, abbreviations: dict[str, str]) -> set[str]:
    """Lower-case title words around the entity of tokens first..last.

    Before it, up to four words ("House Speaker Nancy Pelosi", "Sen.");
    after it, an apposition between commas ("Larry Kudlow, Trump's top
    economic adviser,"). Abbreviations are expanded ("sen." -> "senator").
    """
    words = [t.lower for t in tokens[max(0, first - 4):first] if t.text[0].isalnum()]
    if last + 1 < len(tokens) and tokens[last + 1].text == ",":
        for token in tokens[last + 2: last + 9]:
            if not token.text[0].isalnum() and token.text not in {"'s", "’s"}:
                break
            words.append(token.lower)
    words = [abbreviations.get(w, abbreviations.get(w + ".", w)) for w in words]
    return {singular(w) for w in words}


def titled_actors(drafts: list[ClaimDraft], resolver: ArticleActors, lexicon: LexiconConfig):
    """Every named actor of the article in order, with the title words and head noun it is given.

    Yields (claim index, start, actor, words): words are the titles around a
    person ("president", "senator") and the last word of an organisation's
    name ("administration" of "the Trump administration").
    """
    for index, draft in enumerate(drafts):
        tokens = tokenize(draft.text, draft.entities, draft.opens_in_quote)
        bounds: dict[int, list[int]] = {}
        for position, token in enumerate(tokens):
            if token.entity is not None:
                bounds.setdefault(token.entity, []).append(position)
        for entity, positions in bounds.items():
            start, end, label = draft.entities[entity]
            if label not in SPEAKER_LABELS:
                continue
            actor = resolver.resolve(draft.text[start:end], label)
            words = _title_words(tokens, positions[0], positions[-1], lexicon.title_abbreviations)
            words.add(singular(draft.text[start:end].split()[-1]))
            yield index, start, actor, words


def nominal_phrases(tokens: list[Token], heads: set[str], stop_modifiers: frozenset[str]) -> list[tuple[int, int, str]]:
    """Definite nominals in a token list: (first token, head token, head word).

    "the" + at most two modifier words + a head of `heads`; the head is not
    inside an entity and is not followed by "of" or a capitalised name ("the
    president of France", "the president Donald Trump"); `stop_modifiers` such
    as "former" or "vice" mean someone else ("the former president").
    """
    found = []
    for index, token in enumerate(tokens):
        if token.lower != "the":
            continue
        for k in range(index + 1, min(index + 4, len(tokens))):
            word = tokens[k]
            if not word.text[0].isalpha() or word.lower in stop_modifiers:
                break
            if word.lower in heads and word.entity is None:
                following = tokens[k + 1] if k + 1 < len(tokens) else None
                if following is None or not (following.lower == "of" or following.text[0].isupper()):
                    found.append((index, k, word.lower))
                break
    return found


def nominal_mentions(drafts: list[ClaimDraft], resolver: ArticleActors, lexicon: LexiconConfig) -> None:
    """Resolve definite nominals ("the president", "the committee") to the actor they stand for.

    Nominals are found by :func:`nominal_phrases` over the heads of
    `lexicon.nominal_heads`. One resolves to the nearest actor named earlier
    in the article whose title words or name head are one of that head's
    words ("President Donald Trump" for "the president"; "the Trump
    administration" for "the administration"); an entry "org" also accepts
    the last organisation named (for "the company"). Unresolved nominals are
    left alone. Fills `draft.nominals`.
    """
    heads = {h: [w.lower() for w in words] for h, words in lexicon.nominal_heads.items()}
    titled = list(titled_actors(drafts, resolver, lexicon))
    for index, draft in enumerate(drafts):
        tokens = tokenize(draft.text, draft.entities, draft.opens_in_quote)
        for first, last, head in nominal_phrases(tokens, set(heads), lexicon.nominal_stop_modifiers):
            wanted = set(heads[head])
            position = (index, tokens[first].start)
            earlier = [t for t in titled if (t[0], t[1]) < position]
            actor = next((a for _, _, a, words in reversed(earlier) if words & wanted and a.type != "place"), None)
            if actor is None and "org" in wanted:
                actor = next((a for _, _, a, _ in reversed(earlier) if a.type in {"organization", "media"}), None)
            if actor is not None:
                draft.nominals.append((tokens[first].start, tokens[last].end, actor.canonical, actor.type))
