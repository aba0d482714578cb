"""actors: the actors each claim names, under canonical names with affiliations.

Mentions come from spaCy NER (stored with each claim by the claims stage, so
spaCy runs once) and from an actor dictionary (``configs/actors.yaml``:
canonical name, aliases, type, affiliation). The dictionary names what NER
misses or mislabels ("the Kremlin", "Kyiv", "Lavrov" tagged ORG). Within an
article a short form merges with the full name it ends ("Lavrov" = "Sergey
Lavrov"). A place or nationality that only qualifies a titled person
("Russian Foreign Minister Sergey Lavrov") gives that person's affiliation and
is not a mention of its own. Every mention carries its canonical actor and
affiliation, so results read at the level of people or of states.

Pronouns ("he", "their") and definite nominals ("the president", "the
committee") that the claims stage resolved become mentions of their actor
(origins ``pronoun`` and ``nominal``). Issues are mentions too (actor type
``issue``, origin ``issue``): laws and events NER finds, and common-noun
phrases (from the tagger) whose head names a policy or issue ("impeachment
probe", "border wall") or recurs in the article; within an article a short
issue ("the wall") takes the name of the longest phrase it ends ("US-Mexico
border wall"). Issues are targets of stance, never speakers. A phrase whose
head names people ("Republican lawmakers", "prosecutors", "the gunman") is a
group actor instead (origin ``phrase``), a source as well as a target.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from pipeline.core.config import CONFIG_DIR, ActorsConfig, LexiconConfig
from pipeline.frontend.drafts import (
    NER_ENTITY,
    NOMINAL_REFERENCE,
    NOUN_PHRASE,
    PRONOUN_REFERENCE,
)

#: spaCy entity label -> actor type when the dictionary does not know the name.
NER_TYPES = {"PERSON": "person", "ORG": "organization", "GPE": "place", "LOC": "place",
             "NORP": "group", "FAC": "place"}
#: Dictionary types that are their own affiliation.
SELF_AFFILIATED = {"state", "bloc", "region"}
#: Labels of mentions that are no NER entity: resolved pronouns and nominals, noun phrases.
PRONOUN_LABEL, NOMINAL_LABEL, PHRASE_LABEL = "PRON", "NOM", "NP"
ISSUE = "issue"

_QUOTES = "\"'“”‘’"


@dataclass(frozen=True)
class ActorEntry:
    """One actor of the dictionary."""

    name: str
    type: str
    affiliation: str | None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Actor:
    """A resolved actor: canonical name, type and affiliation."""

    canonical: str
    type: str
    affiliation: str | None


def normalize_surface(surface: str) -> str:
    """The lookup form of a name: no leading 'the', no possessive, no outer quotes or spaces."""
    s = " ".join(surface.split()).strip(_QUOTES + " ,.;:")
    s = re.sub(r"(?:'s|’s|'|’)$", "", s)
    s = re.sub(r"^(?:the|The|THE)\s+", "", s)
    return s.strip()


def _fold(s: str) -> str:
    """Case- and accent-insensitive key."""
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).lower()


class ActorDictionary:
    """Canonical actors and their aliases; finds them in text."""

    def __init__(self, entries: list[ActorEntry]):
        self.entries = entries
        self._exact: dict[str, ActorEntry] = {}
        self._folded: dict[str, ActorEntry] = {}
        for entry in entries:
            for alias in (entry.name, *entry.aliases):
                self._exact.setdefault(alias, entry)
                # lookup() normalizes the surface first ("U.S." -> "U.S"): key the alias the same way.
                self._exact.setdefault(normalize_surface(alias), entry)
                # All-caps aliases (US, EU, UN) are only matched exactly: "us" is a pronoun.
                if not (alias.isupper() and len(alias) <= 4):
                    self._folded.setdefault(_fold(alias), entry)
        aliases = sorted(self._exact, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![\w-])(?:" + "|".join(re.escape(a) for a in aliases) + r")(?![\w-])") if aliases else None

    @classmethod
    def from_mapping(cls, data: dict) -> "ActorDictionary":
        """Build from the YAML mapping ``{actors: [{name, type, affiliation?, aliases?}]}``."""
        entries = []
        for position, item in enumerate(data.get("actors") or []):
            if not isinstance(item, dict) or not item.get("name") or not item.get("type"):
                raise ValueError(f"actor dictionary entry {position}: needs 'name' and 'type', got {item!r}")
            affiliation = item.get("affiliation")
            if affiliation is None and item["type"] in SELF_AFFILIATED:
                affiliation = item["name"]
            entries.append(ActorEntry(str(item["name"]), str(item["type"]), affiliation,
                                      tuple(str(a) for a in item.get("aliases") or ())))
        return cls(entries)

    @classmethod
    def load(cls, path: Path) -> "ActorDictionary":
        """Read a dictionary file; an error names the file."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            return cls.from_mapping(data)
        except (OSError, yaml.YAMLError, ValueError) as exc:
            raise ValueError(f"{path}: cannot read the actor dictionary: {exc}") from exc

    def lookup(self, surface: str) -> ActorEntry | None:
        """The dictionary actor a surface form names, if any."""
        key = normalize_surface(surface)
        return self._exact.get(key) or self._folded.get(_fold(key))

    def find(self, text: str) -> list[tuple[int, int, ActorEntry]]:
        """Every alias occurrence in `text` (case-sensitive, whole words, longest first)."""
        if self._pattern is None:
            return []
        return [(m.start(), m.end(), self._exact[m.group()]) for m in self._pattern.finditer(text)]


@lru_cache(maxsize=8)
def load_dictionary(path: str) -> ActorDictionary:
    """Load (once per process) the dictionary at `path`, relative to configs/ unless absolute."""
    candidate = Path(path)
    return ActorDictionary.load(candidate if candidate.is_absolute() else CONFIG_DIR / candidate)


class ArticleActors:
    """Resolves surface forms to actors within one article.

    `names` are the (surface, NER label) pairs seen anywhere in the article;
    they let a short form ("Lavrov") find the full name it ends.
    """

    def __init__(self, dictionary: ActorDictionary, names: list[tuple[str, str]]):
        self.dictionary = dictionary
        self.affiliations: dict[str, str] = {}
        self._full_names: list[str] = []
        for surface, label in names:
            entry = dictionary.lookup(surface)
            is_person = (entry is not None and entry.type == "person") or (entry is None and label == "PERSON")
            if is_person and len(normalize_surface(surface).split()) > 1:
                self._full_names.append(normalize_surface(surface))

    def _full_name_for(self, short: str) -> str | None:
        tokens = short.split()
        for full in self._full_names:
            full_tokens = full.split()
            if len(full_tokens) > len(tokens) and full_tokens[-len(tokens):] == tokens:
                return full
        return None

    def resolve(self, surface: str, label: str) -> Actor:
        """The canonical actor of a mention; unknown names keep their cleaned surface."""
        clean = normalize_surface(surface)
        entry = self.dictionary.lookup(clean)
        if entry is None and clean[:1].isupper():
            full = self._full_name_for(clean)
            if full is not None:
                entry = self.dictionary.lookup(full)
                if entry is None:
                    return self._with_affiliation(Actor(full, "person", None))
        if entry is not None:
            return self._with_affiliation(Actor(entry.name, entry.type, entry.affiliation))
        actor_type = NER_TYPES.get(label, "other")
        return self._with_affiliation(Actor(clean, actor_type, clean if actor_type == "place" else None))

    def _with_affiliation(self, actor: Actor) -> Actor:
        if actor.affiliation is None and actor.canonical in self.affiliations:
            return Actor(actor.canonical, actor.type, self.affiliations[actor.canonical])
        return actor


@dataclass
class Span:
    """A candidate mention inside a claim (offsets relative to the claim)."""

    start: int
    end: int
    label: str
    origin: str
    actor: Actor | None = None
    dropped: bool = False
    extra: dict = field(default_factory=dict)


def candidate_spans(text: str, entities: list[tuple[int, int, str]], dictionary: ActorDictionary,
                    ner_labels: list[str]) -> list[Span]:
    """NER spans of the wanted labels plus dictionary matches, overlaps resolved.

    Longer spans win; on equal length the NER span wins but is then canonicalised
    through the dictionary anyway. Spans that cross a line break are cut at it.
    """
    spans = []
    for start, end, label in entities:
        if label not in ner_labels:
            continue
        piece = text[start:end]
        if "\n" in piece:
            end = start + piece.index("\n")
        while start < end and (text[start].isspace() or text[start] in _QUOTES):
            start += 1
        while end > start and (text[end - 1].isspace() or text[end - 1] in _QUOTES + ".,;:"):
            end -= 1
        if end > start:
            spans.append(Span(start, end, label, "ner"))
    for start, end, entry in dictionary.find(text):
        spans.append(Span(start, end, "DICT", "dictionary"))
    spans.sort(key=lambda s: (-(s.end - s.start), s.origin != "ner", s.start))
    kept: list[Span] = []
    for span in spans:
        overlapping = [k for k in kept if span.start < k.end and k.start < span.end]
        if not overlapping:
            kept.append(span)
        elif span.origin == "dictionary":
            for k in overlapping:
                if (k.start, k.end) == (span.start, span.end):
                    k.origin = "ner+dictionary"
    return sorted(kept, key=lambda s: s.start)


def fold_title_modifiers(text: str, spans: list[Span], title_words: frozenset[str]) -> None:
    """Mark a state/nationality span that only qualifies a titled person as dropped.

    "Russian Foreign Minister Sergey Lavrov": 'Russian' is followed by title
    words and then a person, so it becomes Lavrov's affiliation (when Lavrov
    has none) instead of a mention of its own.
    """
    titles = {w.lower() for w in title_words}
    for left, right in zip(spans, spans[1:]):
        if left.actor is None or right.actor is None or right.actor.type != "person":
            continue
        if left.actor.type in {"person", ISSUE}:
            continue
        between = re.findall(r"[\w.-]+", text[left.end:right.start])
        gap_ok = text[left.end:right.start].strip(" ") and not re.search(r"[,;:()\"“”\n]", text[left.end:right.start])
        if between and gap_ok and all(w.lower() in titles for w in between):
            left.dropped = True
            if right.actor.affiliation is None:
                right.extra["affiliation"] = left.actor.affiliation or left.actor.canonical


def article_resolver(claims: list[dict], dictionary: ActorDictionary) -> ArticleActors:
    """An ArticleActors over every entity and dictionary match of an article's claims."""
    names = []
    for claim in claims:
        names += [(claim["text"][e["start"]:e["end"]], e["label"]) for e in claim["entities"] if e["kind"] == NER_ENTITY]
        names += [(claim["text"][s:e], "DICT") for s, e, _ in dictionary.find(claim["text"])]
    return ArticleActors(dictionary, names)


def _words(phrase: str) -> list[str]:
    return re.findall(r"[\w'’-]+", phrase.lower())


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")) else word


def issue_phrases(claims: list[dict], settings: ActorsConfig,
                  lexicon: LexiconConfig) -> dict[str, dict[tuple[int, int], str]]:
    """The issue phrases of an article: claim id -> {(start, end): canonical issue name}.

    A noun phrase from the claims stage is an issue when its head (last word,
    singular) is one of `lexicon.issue_heads`, or recurs as the head of at
    least `settings.issue_min_count` phrases of the article (what the article
    is about), and is not one of `lexicon.issue_stop_heads`. Leading
    quantifiers and vague adjectives ("other", "many") are dropped. The
    canonical name of a phrase is the longest phrase of the article (at most
    `settings.issue_max_words` words) that ends with the same words ("wall"
    -> "border wall").
    """
    heads = {_singular(w) for w in lexicon.issue_heads} | group_heads(lexicon)
    stop = {_singular(w) for w in lexicon.issue_stop_heads}
    drop = lexicon.issue_drop_modifiers
    found: list[tuple[str, int, int, list[str]]] = []
    for claim in claims:
        text = claim["text"]
        for entity in claim["entities"]:
            if entity["kind"] != NOUN_PHRASE:
                continue
            start, end = entity["start"], entity["end"]
            while True:  # drop leading vague modifiers ("many other countries")
                match = re.match(r"[\w'’-]+\s+", text[start:end])
                if not match or match.group().strip().lower() not in drop:
                    break
                start += match.end()
            words = _words(text[start:end])
            if words and len(words[-1]) > 2 and not words[-1].isdigit():
                found.append((claim["claim_id"], start, end, words))
    counts: dict[str, int] = {}
    for *_, words in found:
        counts[_singular(words[-1])] = counts.get(_singular(words[-1]), 0) + 1
    keep = [f for f in found if (_singular(f[3][-1]) not in stop or _singular(f[3][-1]) in heads)
            and (_singular(f[3][-1]) in heads or counts[_singular(f[3][-1])] >= settings.issue_min_count)]
    texts = {c["claim_id"]: c["text"] for c in claims}
    surfaces: dict[tuple[str, ...], str] = {}
    for claim_id, start, end, words in keep:
        if len(words) <= settings.issue_max_words:
            text = texts[claim_id]
            surfaces.setdefault(tuple(words[:-1] + [_singular(words[-1])]), " ".join(text[start:end].split()))
    result: dict[str, dict[tuple[int, int], str]] = {}
    for claim_id, start, end, words in keep:
        key = tuple(words[:-1] + [_singular(words[-1])])
        longer = [k for k in surfaces if len(k) >= len(key) and k[-len(key):] == key]
        best = max(longer, key=len) if longer else None
        name = surfaces[best] if best else " ".join(words)
        result.setdefault(claim_id, {})[(start, end)] = name
    return result


def group_heads(lexicon: LexiconConfig) -> set[str]:
    """Singular head nouns that make a noun phrase a group of people ("Republican lawmakers"), not an issue."""
    return {_singular(w) for w in lexicon.group_heads}


def _trim(span: Span, kept: list[Span], text: str) -> Span | None:
    """`span` cut to the part after any overlapping kept span ("the Trump administration" -> "administration")."""
    for other in kept:
        if span.start < other.end and other.start < span.end:
            if other.end >= span.end:
                return None
            span.start = other.end
            while span.start < span.end and not text[span.start].isalnum():
                span.start += 1
    return span if span.end > span.start else None


def claim_mentions(claim: dict, resolver: ArticleActors, settings: ActorsConfig, lexicon: LexiconConfig,
                   issues: dict[tuple[int, int], str] | None = None) -> list[dict]:
    """The actor (and issue) mentions of one claim as `mentions` records.

    `issues` maps the claim's issue phrases to their canonical names (see
    :func:`issue_phrases`); NER laws and events of `settings.issue_labels`
    are issues under their own name.
    """
    text = claim["text"]
    stored = claim["entities"]
    entities = [(e["start"], e["end"], e["label"]) for e in stored if e["kind"] == NER_ENTITY]
    spans = candidate_spans(text, entities, resolver.dictionary, settings.ner_labels)
    for span in spans:
        span.actor = resolver.resolve(text[span.start:span.end], span.label)
    extra: list[Span] = []
    for entity in stored:
        start, end, kind, label = entity["start"], entity["end"], entity["kind"], entity["label"]
        if kind in (PRONOUN_REFERENCE, NOMINAL_REFERENCE) and entity["resolved_to"]:
            if not (settings.pronoun_mentions if kind == PRONOUN_REFERENCE else settings.nominal_mentions):
                continue
            # Resolved by the claims stage to the last compatible actor named, or so titled.
            actor = resolver.resolve(entity["resolved_to"], "PERSON" if entity["resolved_type"] is None else "")
            if entity["resolved_type"] is not None:
                actor = Actor(actor.canonical, entity["resolved_type"], actor.affiliation)
            if kind == PRONOUN_REFERENCE:
                extra.append(Span(start, end, PRONOUN_LABEL, "pronoun", actor))
            else:
                extra.append(Span(start, end, NOMINAL_LABEL, "nominal", actor))
        elif kind == NER_ENTITY and settings.issue_mentions and label in settings.issue_labels:
            name = normalize_surface(text[start:end])
            extra.append(Span(start, end, label, ISSUE, Actor(name, ISSUE, None)))
    if settings.issue_mentions:
        groups = group_heads(lexicon)
        for (start, end), name in sorted((issues or {}).items()):
            if _singular(_words(name)[-1]) in groups:  # people, not an issue: a source as well as a target
                extra.append(Span(start, end, PHRASE_LABEL, "phrase", Actor(name, "group", None)))
            else:
                extra.append(Span(start, end, PHRASE_LABEL, ISSUE, Actor(name, ISSUE, None)))
    for span in sorted(extra, key=lambda s: (s.label == PHRASE_LABEL, s.start, -(s.end - s.start))):
        trimmed = _trim(span, spans, text)
        if trimmed is not None and trimmed.start < trimmed.end:
            spans.append(trimmed)
    spans.sort(key=lambda s: s.start)
    if settings.fold_title_modifiers:
        fold_title_modifiers(text, spans, lexicon.title_words)
    records = []
    for span in spans:
        if span.dropped:
            continue
        actor = span.actor
        affiliation = actor.affiliation or span.extra.get("affiliation")
        if span.extra.get("affiliation") and actor.affiliation is None:
            resolver.affiliations.setdefault(actor.canonical, span.extra["affiliation"])
        records.append({
            "mention_id": f"{claim['claim_id']}-m{len(records):02d}", "claim_id": claim["claim_id"],
            "article_id": claim["article_id"], "start": span.start, "end": span.end,
            "surface": text[span.start:span.end], "label": span.label, "origin": span.origin,
            "canonical": actor.canonical, "actor_type": actor.type, "affiliation": affiliation,
        })
    return records


def article_mentions(claims: list[dict], dictionary: ActorDictionary, settings: ActorsConfig,
                     lexicon: LexiconConfig) -> list[dict]:
    """Mentions of every claim of one article (claims in article order)."""
    resolver = article_resolver(claims, dictionary)
    issues = issue_phrases(claims, settings, lexicon) if settings.issue_mentions else {}
    mentions = []
    for claim in claims:
        mentions += claim_mentions(claim, resolver, settings, lexicon, issues.get(claim["claim_id"]))
    # Affiliations learnt late ("US envoy X" in claim 3) also reach earlier mentions.
    for mention in mentions:
        if mention["affiliation"] is None and mention["canonical"] in resolver.affiliations:
            mention["affiliation"] = resolver.affiliations[mention["canonical"]]
    return mentions
