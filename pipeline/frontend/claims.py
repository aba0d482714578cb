"""claims: articles become claims, each with its kind, speaker and cue.

A claim is a sentence, or a quotation that runs over several sentences of one
paragraph. spaCy gives sentences and named entities in one pass (only the
components used run: tok2vec, senter, ner); a line break always ends a
sentence, a short line without end punctuation is a heading, not a claim, and
a dateline ("BERLIN — ") is not part of the first claim.

Attribution is rule-based over tokens and entities: a speech cue outside the
quotes ("said", "told reporters", "slammed", "according to") and the noun
phrase that speaks it, before the cue ("Lavrov said", "US officials had
described") or after it ('…," said Trump'). The speaker is named (an entity),
a pronoun ("he") or a role ("one US official"). Pronouns resolve to the
nearest earlier compatible speaker of the article; a definite role ("the
spokesman") resolves to an earlier person given that title, or to an earlier
role with the same head; otherwise a role stays a role (anonymous sources).
Kind: direct quote when enough of the claim's words are inside quotes,
reported speech when attributed otherwise, narrative when not attributed.
The sentences of one quotation share its speaker even when each is a claim
(the benchmark's gold sentences), and a quotation followed by a bare
attribution ("he tweeted.") takes that speaker.

For the actors stage the claims also carry light coreference and noun
phrases: pronouns (he/she; with `group_pronouns` they/their/its) and definite
nominals ("the president", "the committee": the nearest earlier actor given
that title or name head) resolved to an actor, and common-noun phrases from
the tagger (issue candidates), all stored in the claim's `entities` JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.core.config import ClaimsConfig
from pipeline.frontend.actors import ActorDictionary, ArticleActors

DIRECT, REPORTED, NARRATIVE = "direct quote", "reported speech", "narrative"
NAMED, PRONOUN, ROLE = "named", "pronoun", "role"

_TOKEN = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]")
_OPEN_QUOTES, _CLOSE_QUOTES, _STRAIGHT = "“", "”", '"'
_SPEAKER_LABELS = {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "DICT"}
_SKIP_LABELS = {"DATE", "TIME"}
# Words that may stand between a speaker and its cue: "Lavrov on Monday slammed".
_SKIP_WORDS = {
    "has", "have", "had", "also", "repeatedly", "further", "later", "earlier", "previously", "again", "then",
    "once", "publicly", "recently", "reportedly", "separately", "today", "yesterday", "tonight", "not",
    "never", "would", "will", "could", "did", "does", "do", "is", "was", "were", "are", "been", "on", "last",
    "this", "week", "month", "year", "night", "morning", "evening", "afternoon", "however", "already",
    "even", "both", "all", "later", "just", "since", "had", "n't", "may", "might", "must", "should",
}
_PREPOSITIONS = {"in", "from", "at", "of", "with", "for", "to", "by", "inside", "across"}
_ROLE_MODIFIERS = {
    "the", "a", "an", "one", "two", "three", "four", "several", "some", "many", "other", "senior", "top",
    "unnamed", "anonymous", "former", "its", "his", "her", "their", "our", "both", "foreign", "western",
    "european", "military", "security", "administration", "government", "defense", "defence", "intelligence",
    "state", "party", "white", "house", "campaign", "ministry", "regional", "local", "federal", "national",
}
_NOT_NAMES = {"many", "some", "others", "most", "all", "few", "both", "everyone", "nobody", "this", "that",
              "these", "those", "which", "who", "what", "one", "none", "each", "another", "such"}
_PERSON_PRONOUNS = {"he", "him", "his", "she", "her"}
_DETERMINERS = {"the", "a", "an", "one", "two", "three", "four", "several", "some", "many", "its", "his",
                "her", "their", "our", "both", "other"}


@dataclass
class Token:
    """A word or punctuation mark of a claim, with claim-relative offsets."""

    start: int
    end: int
    text: str
    in_quote: bool = False
    entity: int | None = None  # index into the claim's entity list

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass
class Attribution:
    """Who speaks a claim and how; offsets are claim-relative."""

    speaker: str
    speaker_type: str
    start: int
    end: int
    cue: str
    label: str | None = None


@dataclass
class Parsed:
    """What spaCy says about one text: sentence, entity and noun-phrase spans (character offsets)."""

    sentences: list[tuple[int, int]]
    entities: list[tuple[int, int, str]]
    phrases: list[tuple[int, int]] = field(default_factory=list)  # common-noun phrases (tagger only)


@dataclass
class ClaimDraft:
    """A claim before its speaker is resolved against the article."""

    start: int
    end: int
    n_sentences: int
    text: str = ""
    entities: list[tuple[int, int, str]] = field(default_factory=list)
    attribution: Attribution | None = None
    kind: str = NARRATIVE
    resolved: str | None = None
    affiliation: str | None = None
    number: str | None = None  # "singular" | "plural" | "group" for pronoun matching
    pronouns: list[tuple[int, int, str, str]] = field(default_factory=list)  # (start, end, actor, type) resolved
    resolved_is_role: bool = False
    opens_in_quote: bool = False  # the claim starts inside a quotation opened in an earlier sentence
    group: int = 0  # index of the quotation group (sentences of one quotation share a group)
    phrases: list[tuple[int, int]] = field(default_factory=list)  # noun phrases, claim-relative
    nominals: list[tuple[int, int, str, str]] = field(default_factory=list)  # (start, end, actor, type) "the president"


# ---------------------------------------------------------------- spaCy ---

@lru_cache(maxsize=4)
def load_nlp(model: str, tagger: bool = False):
    """Load a spaCy pipeline with only sentence splitting, NER and (optionally) the tagger running.

    The statistical sentence recogniser (senter) replaces the parser when the
    model ships one (en_core_web_sm does, disabled by default); it is several
    times faster and the claims stage needs no dependency tree. The tagger
    (part-of-speech tags for issue noun phrases) costs a few per cent.
    """
    import spacy

    exclude = ["attribute_ruler", "lemmatizer", "morphologizer", "textcat"] + ([] if tagger else ["tagger"])
    nlp = spacy.load(model, exclude=exclude)
    if "senter" in nlp.component_names:
        if "parser" in nlp.component_names:
            nlp.remove_pipe("parser")
        if "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
    if "senter" not in nlp.pipe_names and "parser" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer")
    return nlp


def _chunks(text: str, limit: int) -> list[tuple[int, str]]:
    """Cut a long text into pieces of at most `limit` characters, at line breaks (else spaces)."""
    if len(text) <= limit:
        return [(0, text)]
    pieces, start = [], 0
    while start < len(text):
        end = min(start + limit, len(text))
        if end < len(text):
            cut = text.rfind("\n", start + 1, end)
            if cut <= start:
                cut = text.rfind(" ", start + 1, end)
            end = cut if cut > start else end
        pieces.append((start, text[start:end]))
        start = end
    return pieces


def parse_texts(nlp, texts: list[str], batch_size: int = 16, n_process: int = 1,
                chunk_chars: int = 100_000) -> list[Parsed]:
    """Sentences and entities of each text, with spaCy run once over all of them."""
    pieces, owners = [], []
    for index, text in enumerate(texts):
        for offset, piece in _chunks(text, chunk_chars):
            pieces.append(piece)
            owners.append((index, offset))
    parsed = [Parsed([], []) for _ in texts]
    docs = nlp.pipe(pieces, batch_size=batch_size, n_process=n_process)
    tagged = "tagger" in nlp.pipe_names
    for (index, offset), doc in zip(owners, docs):
        parsed[index].sentences += [(s.start_char + offset, s.end_char + offset) for s in doc.sents]
        parsed[index].entities += [(e.start_char + offset, e.end_char + offset, e.label_) for e in doc.ents]
        if tagged:
            tokens = [(t.idx, t.idx + len(t.text), t.tag_) for t in doc]
            parsed[index].phrases += [(a + offset, b + offset) for a, b in noun_phrases(tokens)]
    return parsed


_PHRASE_TAGS = {"JJ", "JJR", "JJS", "NN", "NNS", "NNP", "NNPS", "HYPH", "VBG", "VBN"}
_HEAD_TAGS = {"NN", "NNS"}


def noun_phrases(tokens: list[tuple[int, int, str]], max_tokens: int = 6) -> list[tuple[int, int]]:
    """Common-noun phrases from part-of-speech tags: maximal runs of adjectives and nouns ending in a common noun.

    `tokens` are (start, end, Penn tag). "the US-Mexico border wall" gives
    "US-Mexico border wall"; a run of proper nouns alone ("Medicaid") is left
    to NER; a participle or gerund only counts inside a run ("proposed rule",
    not "voting"); runs longer than `max_tokens` keep their last words.
    """
    phrases, run = [], []
    for token in [*tokens, (0, 0, "END")]:
        if token[2] in _PHRASE_TAGS:
            run.append(token)
            continue
        while run and run[-1][2] not in _HEAD_TAGS:
            run.pop()
        while run and run[0][2] in {"HYPH", "VBG", "VBN"}:
            run.pop(0)
        if run:
            run = run[-max_tokens:]
            while run[0][2] == "HYPH":
                run.pop(0)
            phrases.append((run[0][0], run[-1][1]))
        run = []
    return phrases


# ------------------------------------------------------------ sentences ---

def sentence_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence spans, also cut at every line break, without outer whitespace or empty ones."""
    result = []
    for start, end in spans:
        for match in re.finditer(r"[^\n]+", text[start:end]):
            s, e = start + match.start(), start + match.end()
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                result.append((s, e))
    return result


def is_heading(text: str, start: int, end: int, max_words: int) -> bool:
    """A whole short line without end punctuation ("Article Five") is a heading."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start: len(text) if line_end < 0 else line_end].strip()
    piece = text[start:end].strip()
    return (piece == line and len(piece.split()) <= max_words
            and not piece.endswith((".", "!", "?", '"', "”", ":", "’", "'")))


def _quote_balance(piece: str) -> int:
    """+1 when `piece` leaves a quotation open, 0 when it leaves it closed."""
    open_ = False
    for char in piece:
        if char == _STRAIGHT:
            open_ = not open_
        elif char in _OPEN_QUOTES:
            open_ = True
        elif char in _CLOSE_QUOTES:
            open_ = False
    return int(open_)


def group_quotes(text: str, spans: list[tuple[int, int]], max_sentences: int) -> list[list[tuple[int, int]]]:
    """Group sentences so that a quotation open at a sentence's end runs on into the next.

    A quotation never runs over a line break (news paragraphs re-open their quotes).
    """
    groups: list[list[tuple[int, int]]] = []
    open_ = False
    for span in spans:
        same_paragraph = groups and "\n" not in text[groups[-1][-1][1]:span[0]]
        if open_ and same_paragraph and len(groups[-1]) < max_sentences:
            groups[-1].append(span)
            joined = text[groups[-1][0][0]:span[1]]
        else:
            groups.append([span])
            joined = text[span[0]:span[1]]
        open_ = bool(_quote_balance(joined))
    return groups


# ---------------------------------------------------------- attribution ---

def tokenize(text: str, entities: list[tuple[int, int, str]], open_at_start: bool = False) -> list[Token]:
    """Words and punctuation of a claim, flagged when inside quotes or an entity.

    `open_at_start`: the claim starts inside a quotation opened in an earlier
    sentence (a quotation split into sentence claims).
    """
    tokens = [Token(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    open_ = open_at_start
    for token in tokens:
        if token.text == _STRAIGHT:
            open_ = not open_
            continue
        if token.text in _OPEN_QUOTES:
            open_ = True
            continue
        if token.text in _CLOSE_QUOTES:
            open_ = False
            continue
        token.in_quote = open_
    for index, (start, end, _label) in enumerate(entities):
        for token in tokens:
            if token.start >= start and token.end <= end and token.entity is None:
                token.entity = index
    return tokens


def quoted_share(text: str, open_at_start: bool = False) -> float:
    """Share of a claim's words that stand inside quotation marks."""
    tokens = [t for t in tokenize(text, [], open_at_start) if t.text[0].isalnum()]
    return sum(t.in_quote for t in tokens) / len(tokens) if tokens else 0.0


def _singular(word: str) -> str:
    word = word.lower()
    if word.endswith("people"):
        return word[:-6] + "person"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _entity_bounds(tokens: list[Token], index: int) -> tuple[int, int]:
    """First and last token index of the entity token `index` belongs to."""
    entity = tokens[index].entity
    first = last = index
    while first > 0 and tokens[first - 1].entity == entity:
        first -= 1
    while last + 1 < len(tokens) and tokens[last + 1].entity == entity:
        last += 1
    return first, last


def _role_phrase_left(tokens: list[Token], head: int, role_nouns: set[str]) -> int:
    """Index of the first token of the role phrase that ends at `head` ("one US official")."""
    first = head
    while first > 0:
        prev = tokens[first - 1]
        if prev.in_quote or not prev.text[0].isalnum():
            break
        if prev.entity is not None or prev.lower in _ROLE_MODIFIERS or prev.lower in role_nouns \
                or (prev.text[0].isupper() and prev.lower not in _SKIP_WORDS and prev.lower not in _PREPOSITIONS):
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
        if tokens[k].in_quote or tokens[k].text in {";", ":", _STRAIGHT, "“", "”"} \
                or (closing == "," and tokens[k].text == "."):
            return j
        if tokens[k].text == closing:
            if k > 0 and tokens[k - 1].entity is not None:
                return k - 1
            return j
    return j


def _speaker_before(tokens: list[Token], cue: int, entities, settings: ClaimsConfig, role_nouns: set[str]):
    """The speaker phrase that ends just before the cue token, as (first, last, type) or None."""
    j = cue - 1
    while j >= 0 and not tokens[j].in_quote and (
            tokens[j].lower in _SKIP_WORDS or tokens[j].lower.endswith("ly")
            or (tokens[j].entity is not None and entities[tokens[j].entity][2] in _SKIP_LABELS)):
        j -= 1
    if j < 0 or tokens[j].in_quote:
        return None
    j = _skip_aside(tokens, j)
    if j < 0:
        return None
    token = tokens[j]
    if token.entity is not None and entities[token.entity][2] in _SPEAKER_LABELS:
        first, last = _entity_bounds(tokens, j)
        if first > 0 and tokens[first - 1].lower in _PREPOSITIONS:
            # "European leaders in Berlin said": the speaker is the noun before the preposition.
            k = first - 2
            if k >= 0 and tokens[k].lower in role_nouns:
                return _role_phrase_left(tokens, k, role_nouns), k, ROLE
            return None
        if first > 0 and tokens[first - 1].text in {"'s", "’s"}:
            return None
        return first, last, NAMED
    if token.lower in settings.pronouns and token.text not in {"I"} | {"US"}:
        return j, j, PRONOUN
    if token.lower == "i":
        return j, j, PRONOUN
    if token.lower in role_nouns:
        return _role_phrase_left(tokens, j, role_nouns), j, ROLE
    if token.text[:1].isupper() and token.text.isalpha() and token.lower not in _NOT_NAMES \
            and (j == 0 or not tokens[j - 1].in_quote):
        # A name NER missed ("Frum said"): capitalised words right before the cue.
        first = j
        while first > 0 and tokens[first - 1].text[:1].isupper() and tokens[first - 1].text.isalpha():
            first -= 1
        return first, j, NAMED
    return None


def _speaker_after(tokens: list[Token], cue: int, entities, settings: ClaimsConfig, role_nouns: set[str]):
    """The speaker phrase right after the cue ('…," said Trump'; 'according to the US officials')."""
    j = cue + 1
    while j < len(tokens) and tokens[j].lower in _DETERMINERS | {"to"}:
        j += 1
    if j >= len(tokens) or tokens[j].in_quote:
        return None
    token = tokens[j]
    if token.entity is not None and entities[token.entity][2] in _SPEAKER_LABELS:
        first, last = _entity_bounds(tokens, j)
        # "according to US officials": the entity only qualifies a following role noun.
        k = last + 1
        while k < len(tokens) and (tokens[k].lower in _ROLE_MODIFIERS or tokens[k].entity is not None) \
                and tokens[k].lower not in role_nouns:
            k += 1
        if k < len(tokens) and tokens[k].lower in role_nouns:
            return cue + 1 + (tokens[cue + 1].lower == "to"), _role_tail(tokens, k, role_nouns), ROLE
        return first, last, NAMED
    if token.lower in settings.pronouns:
        return j, j, PRONOUN
    if j == cue + 1 and token.text[:1].isupper() and token.text.isalpha() and token.lower not in _NOT_NAMES \
            and token.lower not in role_nouns and token.lower not in _ROLE_MODIFIERS:
        # A name NER missed right after the cue ('…," said Weld.').
        last = j
        while last + 1 < len(tokens) and tokens[last + 1].text[:1].isupper() and tokens[last + 1].text.isalpha():
            last += 1
        if last + 1 >= len(tokens) or not tokens[last + 1].text[0].isalnum():
            return j, last, NAMED
    k = j
    while k < len(tokens) and (tokens[k].lower in _ROLE_MODIFIERS or tokens[k].text[:1].isupper()) \
            and tokens[k].lower not in role_nouns:
        k += 1
    if k < len(tokens) and tokens[k].lower in role_nouns:
        first = cue + 1 + (cue + 1 < len(tokens) and tokens[cue + 1].lower == "to")
        return first, _role_tail(tokens, k, role_nouns), ROLE
    return None


def _role_tail(tokens: list[Token], k: int, role_nouns: set[str]) -> int:
    while k + 1 < len(tokens) and tokens[k + 1].lower in role_nouns:
        k += 1
    return k


def _cue_text(tokens: list[Token], cue: int) -> str:
    words = [tokens[cue].text]
    rest = [t.lower for t in tokens[cue + 1: cue + 4]]
    if tokens[cue].lower in {"told", "tells"} and rest[:1] and rest[0] in {"reporters", "journalists", "media"}:
        words.append(tokens[cue + 1].text)
    elif rest[:3] == ["in", "a", "statement"]:
        words += ["in", "a", "statement"]
    return " ".join(words)


def find_attribution(text: str, entities: list[tuple[int, int, str]], settings: ClaimsConfig,
                     open_at_start: bool = False) -> Attribution | None:
    """The speaker and cue of one claim, if a cue outside quotes has a speaker phrase next to it."""
    tokens = tokenize(text, entities, open_at_start)
    verbs = {v.lower() for v in settings.speech_verbs}
    role_nouns = {r.lower() for r in settings.role_nouns}
    candidates = []
    for index, token in enumerate(tokens):
        if token.in_quote:
            continue
        for phrase in settings.according_to:
            words = phrase.lower().split()
            if [t.lower for t in tokens[index:index + len(words)]] == words:
                candidates.append((index + len(words) - 1, " ".join(t.text for t in tokens[index:index + len(words)]), True))
        if token.lower in verbs and token.entity is None:
            candidates.append((index, _cue_text(tokens, index), False))
    for cue, cue_text, forward_only in candidates:
        found = None if forward_only else _speaker_before(tokens, cue, entities, settings, role_nouns)
        if found is None and (forward_only or (cue > 0 and (tokens[cue - 1].text in {",", _STRAIGHT, "”"}))):
            found = _speaker_after(tokens, cue, entities, settings, role_nouns)
        if found is None:
            continue
        first, last, kind = found
        start, end = tokens[first].start, tokens[last].end
        label = entities[tokens[first].entity][2] if kind == NAMED and tokens[first].entity is not None else None
        return Attribution(text[start:end], kind, start, end, cue_text, label)
    return None


# ------------------------------------------------------------ resolution ---

def _role_number(role: str) -> str:
    head = role.split()[-1].lower()
    return "plural" if head.endswith(("s", "people", "police")) and not head.endswith("ss") else "singular"


def _strip_determiners(phrase: str) -> str:
    words = phrase.split()
    while len(words) > 1 and words[0].lower() in _DETERMINERS:
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


def resolve_speakers(text: str, drafts: list[ClaimDraft], resolver: ArticleActors, settings: ClaimsConfig) -> None:
    """Fill resolved speaker, affiliation and number of every attributed claim, in article order."""
    role_nouns = {r.lower() for r in settings.role_nouns}
    persons_with_titles: list[tuple[int, set[str], str, str | None]] = []  # (position, title words, name, aff)
    for index, draft in enumerate(drafts):
        att = draft.attribution
        if att is not None and att.speaker_type == NAMED:
            actor = resolver.resolve(att.speaker, att.label or "")
            draft.resolved, draft.affiliation = actor.canonical, actor.affiliation
            draft.number = _number_of_actor(actor.type)
        elif att is not None and att.speaker_type == PRONOUN:
            number = settings.pronouns.get(att.speaker.lower(), "singular")
            for earlier in reversed(drafts[:index]):
                if _compatible(number, earlier):
                    draft.resolved, draft.affiliation, draft.number = earlier.resolved, earlier.affiliation, earlier.number
                    draft.resolved_is_role = earlier.resolved_is_role
                    break
            if draft.resolved is None and number == "singular":
                person = _last_person(drafts[:index], resolver)
                if person is not None:
                    draft.resolved, draft.affiliation, draft.number = person.canonical, person.affiliation, "singular"
        elif att is not None and att.speaker_type == ROLE:
            role = _strip_determiners(att.speaker)
            head = _singular(role.split()[-1])
            draft.resolved, draft.number, draft.resolved_is_role = role, _role_number(role), True
            draft.affiliation = _role_affiliation(att, draft, resolver)
            if att.speaker.split()[0].lower() in {"the", "its", "his", "her", "their"}:
                person = next((p for p in reversed(persons_with_titles) if head in p[1]), None)
                same_head = [e for e in reversed(drafts[:index]) if e.attribution is not None
                             and e.attribution.speaker_type == ROLE and e.resolved
                             and _singular(e.resolved.split()[-1]) == head]
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
            titles = {_singular(w) for w in before if w in role_nouns}
            if titles:
                actor = resolver.resolve(draft.text[start:end], label)
                persons_with_titles.append((index, titles, actor.canonical, actor.affiliation))


def _last_actor(drafts: list[ClaimDraft], resolver: ArticleActors, before: int | None = None,
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
            if start >= limit or label not in _SPEAKER_LABELS:
                continue
            actor = resolver.resolve(draft.text[start:end], label)
            if actor.type in types:
                found.append((start, actor))
        if found:
            return found[-1][1]
    return None


def _last_person(drafts: list[ClaimDraft], resolver: ArticleActors, before: int | None = None):
    """The person most recently named in `drafts` (in the last one, only before offset `before`)."""
    return _last_actor(drafts, resolver, before)


def pronoun_mentions(drafts: list[ClaimDraft], resolver: ArticleActors, settings: ClaimsConfig | None = None) -> None:
    """Resolve pronouns outside quotes to the last compatible actor named; fill `draft.pronouns`.

    he/him/his/she/her resolve to the last person named (the speaker pronoun
    to the claim's resolved speaker). With `settings.group_pronouns`,
    they/them/their resolve to the last organisation or group named in this
    claim or the two before, and its to the last organisation, institution or
    state. This is a light stand-in for coreference: it lets "he called X ..."
    put the person in play as a source or target.
    """
    group = {p: frozenset(t) for p, t in (settings.group_pronouns if settings else {}).items()}
    for index, draft in enumerate(drafts):
        for token in tokenize(draft.text, [], draft.opens_in_quote):
            if token.in_quote or (token.lower not in _PERSON_PRONOUNS and token.lower not in group):
                continue
            att = draft.attribution
            if att is not None and att.start == token.start and token.lower in _PERSON_PRONOUNS:
                if not draft.resolved or draft.resolved_is_role or draft.number != "singular":
                    continue  # "he" of an anonymous official names nobody
                actor = resolver.resolve(draft.resolved, "PERSON")
            elif token.lower in _PERSON_PRONOUNS:
                actor = _last_person(drafts[: index + 1], resolver, before=token.start)
            else:
                actor = _last_actor(drafts[: index + 1], resolver, token.start, group[token.lower], max_back=2)
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
    return {_singular(w) for w in words}


def titled_actors(drafts: list[ClaimDraft], resolver: ArticleActors, settings: ClaimsConfig):
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
            if label not in _SPEAKER_LABELS:
                continue
            actor = resolver.resolve(draft.text[start:end], label)
            words = _title_words(tokens, positions[0], positions[-1], settings.title_abbreviations)
            words.add(_singular(draft.text[start:end].split()[-1]))
            yield index, start, actor, words


_NOMINAL_STOP = {"former", "late", "first", "new", "next", "previous", "other", "same", "then", "incoming",
                 "outgoing", "last", "acting", "interim", "future", "vice", "deputy", "assistant", "a", "an"}


def nominal_phrases(tokens: list[Token], heads: set[str]) -> list[tuple[int, int, str]]:
    """Definite nominals in a token list: (first token, head token, head word).

    "the" + at most two modifier words + a head of `heads`; the head is not
    inside an entity and is not followed by "of" or a capitalised name ("the
    president of France", "the president Donald Trump"); modifiers such as
    "former" or "vice" mean someone else ("the former president").
    """
    found = []
    for index, token in enumerate(tokens):
        if token.lower != "the":
            continue
        for k in range(index + 1, min(index + 4, len(tokens))):
            word = tokens[k]
            if not word.text[0].isalpha() or word.lower in _NOMINAL_STOP:
                break
            if word.lower in heads and word.entity is None:
                following = tokens[k + 1] if k + 1 < len(tokens) else None
                if following is None or not (following.lower == "of" or following.text[0].isupper()):
                    found.append((index, k, word.lower))
                break
    return found


def nominal_mentions(drafts: list[ClaimDraft], resolver: ArticleActors, settings: ClaimsConfig) -> None:
    """Resolve definite nominals ("the president", "the committee") to the actor they stand for.

    Nominals are found by :func:`nominal_phrases` over the heads of
    `settings.nominal_heads`. One resolves to the nearest actor named earlier
    in the article whose title words or name head are one of that head's
    words ("President Donald Trump" for "the president"; "the Trump
    administration" for "the administration"); an entry "org" also accepts
    the last organisation named (for "the company"). Unresolved nominals are
    left alone. Fills `draft.nominals`.
    """
    heads = {h.lower(): [w.lower() for w in words] for h, words in settings.nominal_heads.items()}
    titled = list(titled_actors(drafts, resolver, settings))
    for index, draft in enumerate(drafts):
        tokens = tokenize(draft.text, draft.entities, draft.opens_in_quote)
        for first, last, head in nominal_phrases(tokens, set(heads)):
            wanted = set(heads[head])
            position = (index, tokens[first].start)
            earlier = [t for t in titled if (t[0], t[1]) < position]
            actor = next((a for _, _, a, words in reversed(earlier) if words & wanted and a.type != "place"), None)
            if actor is None and "org" in wanted:
                actor = next((a for _, _, a, _ in reversed(earlier) if a.type in {"organization", "media"}), None)
            if actor is not None:
                draft.nominals.append((tokens[first].start, tokens[last].end, actor.canonical, actor.type))


def _role_affiliation(att: Attribution, draft: ClaimDraft, resolver: ArticleActors) -> str | None:
    for start, end, label in draft.entities:
        if start >= att.start and end <= att.end and label in _SPEAKER_LABELS:
            actor = resolver.resolve(draft.text[start:end], label)
            return actor.affiliation or actor.canonical
    for start, end, entry in resolver.dictionary.find(att.speaker):
        return entry.affiliation or entry.name
    return None


# ---------------------------------------------------------------- claims ---

def _claim_entities(entities: list[tuple[int, int, str]], start: int, end: int) -> list[tuple[int, int, str]]:
    return [(s - start, min(e, end) - start, label) for s, e, label in entities if s >= start and s < end]


def _continue_speaker(draft: ClaimDraft, source: ClaimDraft) -> None:
    """Give `draft` the speaker of `source`, as a continued quotation (no span of its own)."""
    att = source.attribution
    draft.attribution = Attribution(att.speaker, att.speaker_type, -1, -1, "(continued quotation)", att.label)
    draft.resolved, draft.affiliation, draft.number = source.resolved, source.affiliation, source.number
    draft.resolved_is_role = source.resolved_is_role


def _is_attribution_only(draft: ClaimDraft, max_words: int = 8) -> bool:
    """Whether a claim is only a speaker and a cue ("he tweeted.", "Trump said on Friday.")."""
    att = draft.attribution
    words = [w for w in re.findall(r"\w+", draft.text)]
    return (att is not None and att.start >= 0 and len(words) <= max_words and not quoted_share(draft.text)
            and min(att.start, draft.text.find(att.cue.split()[0])) <= 1)


def build_claims(text: str, parsed: Parsed, settings: ClaimsConfig, dictionary: ActorDictionary,
                 spans: list[tuple[int, int]] | None = None, merge_quotes: bool = True) -> list[ClaimDraft]:
    """Claims of one article: sentence grouping, attribution, kind and speaker resolution.

    `spans` replaces spaCy's sentences (the benchmark passes gold sentences);
    `merge_quotes` groups sentences of one quotation into one claim; without
    it each sentence is a claim, and the sentences of one quotation still
    share its speaker and know that they start inside quotation marks.
    """
    sentences = sentence_spans(text, parsed.sentences if spans is None else spans)
    sentences = [s for s in sentences if spans is not None or not is_heading(text, *s, settings.heading_max_words)]
    groups = group_quotes(text, sentences, settings.max_quote_sentences)
    units = [(g, group, False) for g, group in enumerate(groups)] if merge_quotes else \
        [(g, [span], k > 0) for g, group in enumerate(groups) for k, span in enumerate(group)]
    dateline = re.compile(settings.dateline_pattern)
    drafts = []
    for group_index, group, opens_in_quote in units:
        start, end = group[0][0], group[-1][1]
        match = dateline.match(text, start, end) if (start == 0 or text[start - 1] == "\n") else None
        if match and match.end() < end:
            start = match.end()
        draft = ClaimDraft(start, end, len(group), text[start:end], _claim_entities(parsed.entities, start, end),
                           opens_in_quote=opens_in_quote, group=group_index,
                           phrases=[(a - start, b - start) for a, b in parsed.phrases if a >= start and b <= end])
        # Dictionary names count as entities for attribution ("the Kremlin said").
        taken = [(s, e) for s, e, _ in draft.entities]
        for s, e, _entry in dictionary.find(draft.text):
            if not any(s < te and ts < e for ts, te in taken):
                draft.entities.append((s, e, "DICT"))
        draft.entities.sort()
        draft.attribution = find_attribution(draft.text, draft.entities, settings, opens_in_quote)
        drafts.append(draft)
    names = [(d.text[s:e], label) for d in drafts for s, e, label in d.entities if label in _SPEAKER_LABELS]
    resolver = ArticleActors(dictionary, names)
    resolve_speakers(text, drafts, resolver, settings)
    speaking = {}  # quotation group -> its first attributed sentence
    for draft in drafts:
        if draft.attribution is not None and draft.group not in speaking:
            speaking[draft.group] = draft
    previous: ClaimDraft | None = None
    for index, draft in enumerate(drafts):
        share = quoted_share(draft.text, draft.opens_in_quote)
        following = drafts[index + 1] if index + 1 < len(drafts) else None
        if draft.attribution is None and share >= 0.8 and following is not None and _is_attribution_only(following):
            # '"A sad day for journalism!"' then 'he tweeted.' as a sentence of its own.
            _continue_speaker(draft, following)
            draft.kind = DIRECT
        elif draft.attribution is None and draft.group in speaking and share >= 0.5:
            # Another sentence of the same quotation names the speaker ('"A. B. C," he said.').
            _continue_speaker(draft, speaking[draft.group])
            draft.kind = DIRECT
        elif draft.attribution is not None:
            opens_with_quote = draft.opens_in_quote or draft.text.lstrip()[:1] in {_STRAIGHT, "“"}
            draft.kind = DIRECT if share >= settings.direct_quote_min_share or opens_with_quote else REPORTED
        elif share >= 0.8:
            draft.kind = DIRECT
            # An unattributed quotation continues the speaker of the quotation just before.
            if previous is not None and previous.attribution is not None:
                _continue_speaker(draft, previous)
        else:
            draft.kind = NARRATIVE
        previous = draft
    pronoun_mentions(drafts, resolver, settings)
    if settings.nominal_mentions:
        nominal_mentions(drafts, resolver, settings)
    return drafts


def claim_records(article_id: str, drafts: list[ClaimDraft]) -> list[dict]:
    """Claims of one article as `claims` table records."""
    records = []
    for index, draft in enumerate(drafts):
        att = draft.attribution
        inside = att is not None and att.start >= 0
        records.append({
            "claim_id": f"{article_id}-c{index:03d}", "article_id": article_id, "claim_index": index,
            "start": draft.start, "end": draft.end, "text": draft.text, "kind": draft.kind,
            "n_sentences": draft.n_sentences,
            "speaker": att.speaker if att else None, "speaker_type": att.speaker_type if att else None,
            "speaker_start": draft.start + att.start if inside else None,
            "speaker_end": draft.start + att.end if inside else None,
            "speaker_resolved": draft.resolved, "speaker_affiliation": draft.affiliation,
            "cue": att.cue if att else None,
            "entities": json.dumps([[s, e, label] for s, e, label in draft.entities if label != "DICT"]
                                   + [[s, e, "PRON", name, kind] for s, e, name, kind in draft.pronouns]
                                   + [[s, e, "NOM", name, kind] for s, e, name, kind in draft.nominals]
                                   + [[s, e, "NP"] for s, e in draft.phrases]),
        })
    return records
