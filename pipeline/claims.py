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
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from pipeline.actors import ActorDictionary, ArticleActors, load_dictionary
from pipeline.config import ClaimsConfig, Config
from pipeline.tables import SCHEMAS, read_table, write_table

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
    """What spaCy says about one text: sentence and entity spans (character offsets)."""

    sentences: list[tuple[int, int]]
    entities: list[tuple[int, int, str]]


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
    pronouns: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, person) resolved
    resolved_is_role: bool = False


# ---------------------------------------------------------------- spaCy ---

@lru_cache(maxsize=4)
def load_nlp(model: str):
    """Load a spaCy pipeline with only sentence splitting and NER running.

    The statistical sentence recogniser (senter) replaces the parser when the
    model ships one (en_core_web_sm does, disabled by default); it is several
    times faster and the claims stage needs no dependency tree.
    """
    import spacy

    nlp = spacy.load(model, exclude=["tagger", "attribute_ruler", "lemmatizer", "morphologizer", "textcat"])
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
    for (index, offset), doc in zip(owners, docs):
        parsed[index].sentences += [(s.start_char + offset, s.end_char + offset) for s in doc.sents]
        parsed[index].entities += [(e.start_char + offset, e.end_char + offset, e.label_) for e in doc.ents]
    return parsed


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

def tokenize(text: str, entities: list[tuple[int, int, str]]) -> list[Token]:
    """Words and punctuation of a claim, flagged when inside quotes or an entity."""
    tokens = [Token(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    open_ = False
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


def quoted_share(text: str) -> float:
    """Share of a claim's words that stand inside quotation marks."""
    tokens = [t for t in tokenize(text, []) if t.text[0].isalnum()]
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


def _speaker_before(tokens: list[Token], cue: int, entities, settings: ClaimsConfig, role_nouns: set[str]):
    """The speaker phrase that ends just before the cue token, as (first, last, type) or None."""
    j = cue - 1
    while j >= 0 and not tokens[j].in_quote and (
            tokens[j].lower in _SKIP_WORDS or tokens[j].lower.endswith("ly")
            or (tokens[j].entity is not None and entities[tokens[j].entity][2] in _SKIP_LABELS)):
        j -= 1
    if j < 0 or tokens[j].in_quote:
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


def find_attribution(text: str, entities: list[tuple[int, int, str]], settings: ClaimsConfig) -> Attribution | None:
    """The speaker and cue of one claim, if a cue outside quotes has a speaker phrase next to it."""
    tokens = tokenize(text, entities)
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
                if person is not None:
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


def _last_person(drafts: list[ClaimDraft], resolver: ArticleActors, before: int | None = None):
    """The person most recently named in `drafts` (in the last one, only before offset `before`)."""
    for position, draft in enumerate(reversed(drafts)):
        limit = before if position == 0 and before is not None else len(draft.text) + 1
        people = []
        for start, end, label in draft.entities:
            if start >= limit or label not in _SPEAKER_LABELS:
                continue
            actor = resolver.resolve(draft.text[start:end], label)
            if actor.type == "person":
                people.append((start, actor))
        if people:
            return people[-1][1]
    return None


def pronoun_mentions(drafts: list[ClaimDraft], resolver: ArticleActors) -> None:
    """Resolve he/him/his/she/her outside quotes to the last person named; fill `draft.pronouns`.

    The speaker pronoun resolves to the claim's resolved speaker. This is a
    light stand-in for coreference: it lets "he called X ..." put the person
    in play as a source or target.
    """
    for index, draft in enumerate(drafts):
        for token in tokenize(draft.text, []):
            if token.in_quote or token.lower not in _PERSON_PRONOUNS:
                continue
            att = draft.attribution
            if att is not None and att.start == token.start:
                if not draft.resolved or draft.resolved_is_role or draft.number != "singular":
                    continue  # "he" of an anonymous official names nobody
                actor = resolver.resolve(draft.resolved, "PERSON")
            else:
                actor = _last_person(drafts[: index + 1], resolver, before=token.start)
            if actor is not None:
                draft.pronouns.append((token.start, token.end, actor.canonical))


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


def build_claims(text: str, parsed: Parsed, settings: ClaimsConfig, dictionary: ActorDictionary,
                 spans: list[tuple[int, int]] | None = None, merge_quotes: bool = True) -> list[ClaimDraft]:
    """Claims of one article: sentence grouping, attribution, kind and speaker resolution.

    `spans` replaces spaCy's sentences (the benchmark passes gold sentences);
    `merge_quotes` groups sentences of one quotation into one claim.
    """
    sentences = sentence_spans(text, parsed.sentences if spans is None else spans)
    sentences = [s for s in sentences if spans is not None or not is_heading(text, *s, settings.heading_max_words)]
    groups = group_quotes(text, sentences, settings.max_quote_sentences) if merge_quotes else [[s] for s in sentences]
    dateline = re.compile(settings.dateline_pattern)
    drafts = []
    for group in groups:
        start, end = group[0][0], group[-1][1]
        match = dateline.match(text, start, end) if (start == 0 or text[start - 1] == "\n") else None
        if match and match.end() < end:
            start = match.end()
        draft = ClaimDraft(start, end, len(group), text[start:end], _claim_entities(parsed.entities, start, end))
        # Dictionary names count as entities for attribution ("the Kremlin said").
        taken = [(s, e) for s, e, _ in draft.entities]
        for s, e, _entry in dictionary.find(draft.text):
            if not any(s < te and ts < e for ts, te in taken):
                draft.entities.append((s, e, "DICT"))
        draft.entities.sort()
        draft.attribution = find_attribution(draft.text, draft.entities, settings)
        drafts.append(draft)
    names = [(d.text[s:e], label) for d in drafts for s, e, label in d.entities if label in _SPEAKER_LABELS]
    resolver = ArticleActors(dictionary, names)
    resolve_speakers(text, drafts, resolver, settings)
    previous: ClaimDraft | None = None
    for draft in drafts:
        share = quoted_share(draft.text)
        if draft.attribution is not None:
            opens_with_quote = draft.text.lstrip()[:1] in {_STRAIGHT, "“"}
            draft.kind = DIRECT if share >= settings.direct_quote_min_share or opens_with_quote else REPORTED
        elif share >= 0.8:
            draft.kind = DIRECT
            # An unattributed quotation continues the speaker of the quotation just before.
            if previous is not None and previous.attribution is not None:
                draft.attribution = Attribution(previous.attribution.speaker, previous.attribution.speaker_type,
                                                -1, -1, "(continued quotation)", previous.attribution.label)
                draft.resolved, draft.affiliation, draft.number = previous.resolved, previous.affiliation, previous.number
                draft.resolved_is_role = previous.resolved_is_role
        else:
            draft.kind = NARRATIVE
        previous = draft
    pronoun_mentions(drafts, resolver)
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
                                   + [[s, e, "PRON", name] for s, e, name in draft.pronouns]),
        })
    return records


def run(config: Config) -> None:
    """Read the articles table, write the claims table (articles without claims as rejects)."""
    from pipeline.ingest.articles import corpus_dir

    out = corpus_dir(config)
    articles = read_table(out / "articles.parquet", "articles")
    settings = config.claims
    nlp = load_nlp(settings.spacy_model)
    dictionary = load_dictionary(config.actors.dictionary)
    began = time.perf_counter()
    parsed = parse_texts(nlp, articles["text"].tolist(), settings.batch_size, settings.n_process, settings.chunk_chars)
    records, rejects = [], []
    for article, parse in zip(articles.itertuples(index=False), parsed):
        drafts = build_claims(article.text, parse, settings, dictionary)
        if not drafts:
            rejects.append({"stage": "claims", "file": article.file, "line": None if pd.isna(article.line) else int(article.line),
                            "reason": f"article {article.article_id}: no claims (only headings)", "raw": article.text[:500]})
            print(f"{article.file}:{1 if pd.isna(article.line) else int(article.line)}: article {article.article_id} has no claims")
        records += claim_records(article.article_id, drafts)
    seconds = time.perf_counter() - began
    write_table(pd.DataFrame(records, columns=SCHEMAS["claims"].names), "claims", out / "claims.parquet")
    write_table(pd.DataFrame(rejects, columns=SCHEMAS["rejects"].names), "rejects", out / "rejects_claims.parquet")
    kinds = pd.Series([r["kind"] for r in records], dtype=object).value_counts().to_dict()
    print(f"claims: read {len(articles)} articles: with claims {len(articles) - len(rejects)}, without {len(rejects)}; "
          f"{len(records)} claims {kinds}; {seconds:.1f}s -> {out / 'claims.parquet'}")
