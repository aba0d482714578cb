"""gold: a gold corpus's articles through the one front half, and gold entity names matched to actors.

Shared by the benchmarks (``bench-frontend``, ``eval-e2e``) and the
``seesaw-examples`` stage, so that every one of them runs SEESAW the same
way: each article's gold sentences joined with one space and given to
:class:`~pipeline.frontend.runner.FrontHalf` as its sentence spans (one claim
per sentence), and a gold entity denotes a predicted actor when
:func:`name_matches` holds for any name the actor goes by in the article.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from pipeline.core.config import LexiconConfig
from pipeline.frontend.actors import ActorDictionary
from pipeline.frontend.runner import Article, FrontHalf, group_by_article
from pipeline.frontend.sentences import sentence_spans


def name_tokens(name: str) -> list[str]:
    """Lower-case, accent-free word tokens of a name; possessives and plural -s dropped."""
    name = unicodedata.normalize("NFKD", name)
    name = "".join(c for c in name if not unicodedata.combining(c)).lower()
    name = re.sub(r"['’]s\b", "", name)
    tokens = re.findall(r"[a-z0-9]+", name.replace(".", ""))
    return [t[:-1] if len(t) > 3 and t.endswith("s") and not t.endswith("ss") else t for t in tokens]


def name_matches(gold: str, candidate: str, lexicon: LexiconConfig) -> bool:
    """Whether a gold entity name and a predicted actor name denote the same actor.

    Rules, in order: (1) equal token lists after :func:`name_tokens`;
    (2) equal after dropping `lexicon.honorifics` ("President Obama" =
    "Obama"); (3) the shorter name's tokens all occur in the longer one and
    include a distinctive token, not of `lexicon.generic_name_words`
    ("Obama" in "Barack Obama", "Republican" in "Republican Party", but not
    "Party" in "Democratic Party"); (4) one is the acronym of the other
    ("FBI" = "Federal Bureau of Investigation", `lexicon.acronym_stop_words`
    skipped).
    """
    g, c = name_tokens(gold), name_tokens(candidate)
    if not g or not c:
        return False
    if g == c:
        return True
    g2 = [t for t in g if t not in lexicon.honorifics] or g
    c2 = [t for t in c if t not in lexicon.honorifics] or c
    if g2 == c2:
        return True
    short, long_ = (g2, c2) if len(g2) <= len(c2) else (c2, g2)
    if set(short) <= set(long_) and any(t not in lexicon.generic_name_words and len(t) > 2 for t in short):
        return True
    for a, b in ((gold, candidate), (candidate, gold)):
        letters = re.sub(r"[^A-Za-z]", "", a)
        words = [w for w in re.findall(r"[A-Za-z]+", b) if w.lower() not in lexicon.acronym_stop_words]
        if len(letters) >= 2 and letters.isupper() and len(words) >= 2 and "".join(w[0] for w in words).upper() == letters:
            return True
    return False


def any_match(gold: str, names: set[str], lexicon: LexiconConfig) -> bool:
    """Whether `gold` matches any of `names` (see :func:`name_matches`)."""
    return any(name_matches(gold, name, lexicon) for name in names)


def actor_names(mentions: list[dict], dictionary: ActorDictionary) -> dict[str, set[str]]:
    """Every name an actor goes by in an article: canonical, surfaces and dictionary aliases."""
    names: dict[str, set[str]] = defaultdict(set)
    for mention in mentions:
        entry = dictionary.lookup(mention["canonical"])
        names[mention["canonical"]] |= {mention["canonical"], mention["surface"]}
        if entry is not None:
            names[mention["canonical"]] |= {entry.name, *entry.aliases}
    return names


def joined_article(sentences: list[tuple[int, str]]) -> tuple[str, dict[int, tuple[int, int]]]:
    """Gold sentences joined with one space, and each non-empty sentence's span in the result."""
    parts, spans, position = [], {}, 0
    for sentence_id, text in sentences:
        text = " ".join(text.split())
        if not text:
            continue
        if parts:
            position += 1
        spans[sentence_id] = (position, position + len(text))
        parts.append(text)
        position += len(text)
    return " ".join(parts), spans


@dataclass
class GoldArticle:
    """One SEESAW article run through the front half with its gold sentences as claims."""

    article_id: str
    outlet: str | None
    text: str  # the gold sentences joined with one space
    spans: dict[int, tuple[int, int]]  # gold sentence id -> its span in `text`
    predicted_sentences: list[tuple[int, int]]  # spaCy's sentences of `text`, cut at line breaks
    claims: list[dict]  # claims records, one per gold sentence
    sentence_ids: list[int]  # the gold sentence of each claim
    mentions: list[dict]
    names: dict[str, set[str]]  # actor -> every name it goes by (speakers included, by their resolved name)


def sentence_of(start: int, spans: dict[int, tuple[int, int]]) -> int:
    """The gold sentence a claim starting at `start` belongs to (a dateline cut may move its start)."""
    return next(sid for sid, (a, b) in spans.items() if a <= start < b)


def gold_articles(front: FrontHalf, seesaw: dict[str, pd.DataFrame]) -> list[GoldArticle]:
    """Each SEESAW article's gold sentences joined and run through the front half, one claim per sentence.

    spaCy parses the joined texts once; the same parses give the predicted
    sentence boundaries.
    """
    sentences = seesaw["sentences"].sort_values(["article_id", "sentence_id"])
    by_article = {a: list(zip(g["sentence_id"], g["text"])) for a, g in sentences.groupby("article_id", sort=False)}
    outlets = dict(zip(seesaw["articles"]["article_id"], seesaw["articles"]["outlet"]))
    article_ids = [a for a in seesaw["articles"]["article_id"] if a in by_article]
    joined = {a: joined_article(by_article[a]) for a in article_ids}
    inputs = [Article(a, joined[a][0], outlets.get(a), sorted(joined[a][1].values())) for a in article_ids]
    parsed = front.parse([article.text for article in inputs])
    claims, _ = front.claims(inputs, parsed)
    mentions, _ = front.mentions(claims)
    claims_of, mentions_of = group_by_article(claims), group_by_article(mentions)
    result = []
    for article, parse in zip(inputs, parsed):
        spans = joined[article.article_id][1]
        records, found = claims_of.get(article.article_id, []), mentions_of.get(article.article_id, [])
        names = actor_names(found, front.dictionary)
        for claim in records:
            if claim["speaker_resolved"]:
                names[claim["speaker_resolved"]].add(claim["speaker_resolved"])
        result.append(GoldArticle(article.article_id, article.outlet, article.text, spans,
                                  sentence_spans(article.text, parse.sentences), records,
                                  [sentence_of(claim["start"], spans) for claim in records], found, names))
    return result
