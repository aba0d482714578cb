"""runner: the one front half, articles -> claims -> mentions -> pairs, for every caller.

:class:`FrontHalf` loads spaCy and the actor dictionary once and runs the
per-article work over a batch of articles: the stages (which write one table
each), ``bench-frontend`` and ``eval-e2e`` all go through it, so that they
parse with the same spaCy settings and resolve the author the same way.

An article may come with its own sentence spans (a gold corpus): then each
sentence is one claim (quotations are not merged, but the sentences of one
quotation share its speaker) and headings are kept; otherwise spaCy's
sentences, cut at line breaks, are grouped into claims.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from pipeline.core.config import (
    ActorsConfig,
    ClaimsConfig,
    Config,
    ExamplesConfig,
    LexiconConfig,
    PairsConfig,
)
from pipeline.core.progress import progress
from pipeline.frontend.actors import ActorDictionary, article_mentions, load_dictionary
from pipeline.frontend.claims import build_claims, claim_records
from pipeline.frontend.nlp import Parsed, load_nlp, parse_texts
from pipeline.frontend.pairs import article_author, claim_pairs, context_mentions


@dataclass(frozen=True)
class Article:
    """One article for the front half; `sentences` are given sentence spans (gold corpora), else None."""

    article_id: str
    text: str
    outlet: str | None = None
    sentences: list[tuple[int, int]] | None = None
    file: str | None = None  # where the article came from, for rejects
    line: int | None = None


@dataclass
class FrontHalfResult:
    """Claims, mentions and pairs records of a batch of articles (table schemas), and the rejects."""

    claims: list[dict] = field(default_factory=list)
    mentions: list[dict] = field(default_factory=list)
    pairs: list[dict] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)


def articles_from_table(articles: pd.DataFrame) -> list[Article]:
    """Rows of an `articles` table (or any frame with its article_id, text, outlet, file and line) as
    front-half articles."""
    return [Article(a.article_id, a.text, outlet=a.outlet if isinstance(a.outlet, str) else None, file=a.file,
                    line=None if pd.isna(a.line) else int(a.line)) for a in articles.itertuples(index=False)]


def _reject(stage: str, article: Article | None, article_id: str, reason: str, raw: str = "") -> dict:
    file = article.file if article is not None and article.file else article_id
    line = article.line if article is not None else None
    return {"stage": stage, "file": file, "line": line, "reason": reason, "raw": raw}


def cap_records(records: list, cap: int, what: str, key: str, article: Article | None,
                article_id: str) -> tuple[list, list[dict]]:
    """The first `cap` of one article's records, and a reject naming how many were dropped (none if not cut).

    `what` names the records ("claims", "pairs", also the reject's stage) and
    `key` the config key of the cap.
    """
    if len(records) <= cap:
        return records, []
    reason = (f"article {article_id}: {len(records):,} {what}, the {len(records) - cap:,} after the first "
              f"{cap:,} dropped ({key})")
    return records[:cap], [_reject(what, article, article_id, reason)]


def group_by_article(records: list[dict]) -> dict[str, list[dict]]:
    """Records of several articles grouped by `article_id`, in their first-seen order."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        grouped[record["article_id"]].append(record)
    return dict(grouped)


def article_pairs(claims: list[dict], mentions: list[dict], author: tuple[str, str | None],
                  settings: PairsConfig, markers: ExamplesConfig) -> list[dict]:
    """The pairs records of one article: its claims in order, their mentions, its author and affiliation.

    Each claim sees the article's mentions (for the most-mentioned actors) and
    those of its neighbouring claims (``settings.context_window``), and its
    pairs' texts hold the ``settings.preceding_claims`` claims before it.
    """
    by_claim: dict[str, list[dict]] = defaultdict(list)
    for mention in mentions:
        by_claim[mention["claim_id"]].append(mention)
    per_claim = [by_claim.get(claim["claim_id"], []) for claim in claims]
    in_order = [m for found in per_claim for m in found]
    records = []
    for index, claim in enumerate(claims):
        before = claims[max(0, index - settings.preceding_claims):index] if settings.preceding_claims else []
        records += claim_pairs(claim, per_claim[index], author[0], author[1], settings, markers, in_order,
                               context_mentions(per_claim, index, settings.context_window),
                               " ".join(str(c["text"]) for c in before) or None)
    return records


class FrontHalf:
    """The front half with its spaCy pipeline and actor dictionary loaded once.

    `claims`, `actors`, `pairs`, `examples` and `lexicon` are the config
    sections of the same names (``examples`` gives the markers of the pairs'
    text, ``lexicon`` the word lists).
    """

    def __init__(self, claims: ClaimsConfig, actors: ActorsConfig, pairs: PairsConfig, examples: ExamplesConfig,
                 lexicon: LexiconConfig):
        self.claims_settings, self.actors_settings = claims, actors
        self.pairs_settings, self.markers, self.lexicon = pairs, examples, lexicon
        self.dictionary: ActorDictionary = load_dictionary(actors.dictionary)

    @property
    def nlp(self):
        """The spaCy pipeline, loaded once on first use (finding mentions and pairs needs none)."""
        return load_nlp(self.claims_settings.spacy_model, self.claims_settings.noun_phrases)

    @classmethod
    def from_config(cls, config: Config) -> "FrontHalf":
        """A front half with the sections of a whole config."""
        return cls(config.claims, config.actors, config.pairs, config.examples, config.lexicon)

    def parse(self, texts: list[str]) -> list[Parsed]:
        """spaCy's sentences, entities and noun phrases of each text, in one pass over all of them."""
        settings = self.claims_settings
        return parse_texts(self.nlp, texts, settings.batch_size, settings.n_process, settings.chunk_chars)

    def author(self, outlet: object) -> tuple[str, str | None]:
        """The author actor of an article with this outlet, and its affiliation."""
        return article_author(outlet, self.actors_settings.author_unknown, self.dictionary)

    def claims(self, articles: list[Article], parsed: list[Parsed] | None = None) -> tuple[list[dict], list[dict]]:
        """Claims records of the articles, and a reject for each article without claims.

        `parsed` are the articles' parses when the caller has them already (see :meth:`parse`).
        """
        parsed = self.parse([a.text for a in articles]) if parsed is None else parsed
        records, rejects = [], []
        for article, parse in zip(articles, parsed):
            drafts = build_claims(article.text, parse, self.claims_settings, self.lexicon, self.dictionary,
                                  spans=article.sentences, merge_quotes=article.sentences is None)
            if not drafts:
                rejects.append(_reject("claims", article, article.article_id,
                                       f"article {article.article_id}: no claims (only headings)", article.text[:500]))
            drafts, cut = cap_records(drafts, self.claims_settings.max_claims_per_article, "claims",
                                      "claims.max_claims_per_article", article, article.article_id)
            rejects += cut
            records += claim_records(article.article_id, drafts)
        return records, rejects

    def mentions(self, claims: list[dict]) -> tuple[list[dict], list[dict]]:
        """Mentions records of claims (several articles, each article's claims in order), and a reject
        for each article without actors."""
        records, rejects = [], []
        groups = group_by_article(claims)
        for article_id, group in progress(groups.items(), "actors", total=len(groups), unit="article",
                                          enabled=len(groups) > 1):
            found = article_mentions(group, self.dictionary, self.actors_settings, self.lexicon)
            if not found:
                rejects.append(_reject("actors", None, str(article_id), "no actors found: the article yields no pairs"))
            records += found
        return records, rejects

    def pairs(self, claims: list[dict], mentions: list[dict], outlets: dict[str, object],
              settings: PairsConfig | None = None) -> list[dict]:
        """Pairs records of claims (each article's in order) given their mentions and the articles' outlets.

        `settings` replaces the configured pairs section (the benchmark tries several). An article's
        pairs beyond ``max_pairs_per_article`` are dropped (see :meth:`pairs_and_rejects`).
        """
        return self.pairs_and_rejects(claims, mentions, outlets, settings)[0]

    def pairs_and_rejects(self, claims: list[dict], mentions: list[dict], outlets: dict[str, object],
                          settings: PairsConfig | None = None) -> tuple[list[dict], list[dict]]:
        """Pairs records as :meth:`pairs`, and a reject for each article whose pairs were cut at
        ``max_pairs_per_article`` (naming how many were dropped)."""
        settings = settings or self.pairs_settings
        by_article = group_by_article(mentions)
        records, rejects = [], []
        groups = group_by_article(claims)
        for article_id, group in progress(groups.items(), "pairs", total=len(groups), unit="article",
                                          enabled=len(groups) > 1):
            found = article_pairs(group, by_article.get(article_id, []), self.author(outlets.get(article_id)),
                                  settings, self.markers)
            found, cut = cap_records(found, settings.max_pairs_per_article, "pairs", "pairs.max_pairs_per_article",
                                     None, str(article_id))
            records += found
            rejects += cut
        return records, rejects

    def run(self, articles: list[Article]) -> FrontHalfResult:
        """Claims, mentions and pairs of a batch of articles, with the rejects of each step."""
        claims, claim_rejects = self.claims(articles)
        mentions, mention_rejects = self.mentions(claims)
        pairs, pair_rejects = self.pairs_and_rejects(claims, mentions, {a.article_id: a.outlet for a in articles})
        return FrontHalfResult(claims, mentions, pairs, claim_rejects + mention_rejects + pair_rejects)
