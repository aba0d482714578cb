"""claims: articles become claims, each with its kind, speaker and cue.

A claim is a sentence, or a quotation that runs over several sentences of one
paragraph (:mod:`pipeline.frontend.sentences`); a dateline ("BERLIN — ") is
not part of the first claim. Each claim gets its attribution and resolved
speaker (:mod:`pipeline.frontend.attribution`). Kind: direct quote when
enough of the claim's words are inside quotes, reported speech when
attributed otherwise, narrative when not attributed. The sentences of one
quotation share its speaker even when each is a claim (the benchmark's gold
sentences), and a quotation followed by a bare attribution ("he tweeted.")
takes that speaker.

For the actors stage the claims also carry light coreference
(:mod:`pipeline.frontend.coreference`: pronouns and definite nominals
resolved to an actor) and common-noun phrases from the tagger (issue
candidates), all stored in the claim's `entities`.
"""

from __future__ import annotations

import re

from pipeline.core.config import ClaimsConfig, LexiconConfig
from pipeline.frontend.actors import ActorDictionary, ArticleActors
from pipeline.frontend.attribution import find_attribution, resolve_speakers
from pipeline.frontend.coreference import nominal_mentions, pronoun_mentions
from pipeline.frontend.drafts import (
    DIRECT,
    NARRATIVE,
    NER_ENTITY,
    NOMINAL_REFERENCE,
    NOUN_PHRASE,
    PRONOUN_REFERENCE,
    REPORTED,
    Attribution,
    ClaimDraft,
)
from pipeline.frontend.nlp import SPEAKER_LABELS, STRAIGHT_QUOTE, Parsed, quoted_share
from pipeline.frontend.sentences import group_quotes, is_heading, sentence_spans


def _entities_within(entities: list[tuple[int, int, str]], start: int, end: int) -> list[tuple[int, int, str]]:
    """The entities that start inside start..end, relative to start (cut at end)."""
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


def build_claims(text: str, parsed: Parsed, settings: ClaimsConfig, lexicon: LexiconConfig,
                 dictionary: ActorDictionary, spans: list[tuple[int, int]] | None = None,
                 merge_quotes: bool = True) -> list[ClaimDraft]:
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
        draft = ClaimDraft(start, end, len(group), text[start:end], _entities_within(parsed.entities, start, end),
                           opens_in_quote=opens_in_quote, group=group_index,
                           phrases=[(a - start, b - start) for a, b in parsed.phrases if a >= start and b <= end])
        # Dictionary names count as entities for attribution ("the Kremlin said").
        taken = [(s, e) for s, e, _ in draft.entities]
        for s, e, _entry in dictionary.find(draft.text):
            if not any(s < te and ts < e for ts, te in taken):
                draft.entities.append((s, e, "DICT"))
        draft.entities.sort()
        draft.attribution = find_attribution(draft.text, draft.entities, lexicon, opens_in_quote)
        drafts.append(draft)
    names = [(d.text[s:e], label) for d in drafts for s, e, label in d.entities if label in SPEAKER_LABELS]
    resolver = ArticleActors(dictionary, names)
    resolve_speakers(drafts, resolver, lexicon)
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
            opens_with_quote = draft.opens_in_quote or draft.text.lstrip()[:1] in {STRAIGHT_QUOTE, "“"}
            draft.kind = DIRECT if share >= settings.direct_quote_min_share or opens_with_quote else REPORTED
        elif share >= 0.8:
            draft.kind = DIRECT
            # An unattributed quotation continues the speaker of the quotation just before.
            if previous is not None and previous.attribution is not None:
                _continue_speaker(draft, previous)
        else:
            draft.kind = NARRATIVE
        previous = draft
    pronoun_mentions(drafts, resolver, lexicon)
    if settings.nominal_mentions:
        nominal_mentions(drafts, resolver, lexicon)
    return drafts


def _entity(draft: ClaimDraft, start: int, end: int, kind: str, label: str | None = None,
            resolved_to: str | None = None, resolved_type: str | None = None) -> dict:
    return {"start": start, "end": end, "kind": kind, "label": label, "text": draft.text[start:end],
            "resolved_to": resolved_to, "resolved_type": resolved_type}


def claim_entities(draft: ClaimDraft) -> list[dict]:
    """What the actors stage needs of a claim, as ``CLAIM_ENTITY`` records.

    Named entities (dictionary matches left out: the actors stage finds them
    again), pronouns and nominals resolved to an actor, and noun phrases.
    """
    return ([_entity(draft, s, e, NER_ENTITY, label) for s, e, label in draft.entities if label != "DICT"]
            + [_entity(draft, s, e, PRONOUN_REFERENCE, None, name, kind) for s, e, name, kind in draft.pronouns]
            + [_entity(draft, s, e, NOMINAL_REFERENCE, None, name, kind) for s, e, name, kind in draft.nominals]
            + [_entity(draft, s, e, NOUN_PHRASE) for s, e in draft.phrases])


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
            "entities": claim_entities(draft),
        })
    return records
