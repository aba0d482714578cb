"""pairs: the directed (source, target) actor pairs each claim puts in play.

For each claim: the speaker towards each actor it mentions (origin
``speaker``); for a narrative claim, the author (outlet) towards each actor
(``author``); and each ordered pair of actors mentioned (``mention``).
Issues (mentions of type ``issue``: "impeachment probe", "border wall") are
targets only: the speaker or author and each actor of the claim towards each
issue. Mentions include pronouns and nominals the earlier stages resolved
("he", "the president").

Implicit participants (off by default, knobs of ``pairs``): the article's
most-mentioned actors (``implicit_targets``) and issues
(``implicit_issues``) as targets of the claim's sources even where the claim
does not name them ("I think it's essential" of a speaker on the article's
border wall), and as sources towards the actors the claim names
(``implicit_sources``). They raise recall at a price in candidates; every
pair says how its source and target are present in the claim
(``source_evidence``, ``target_evidence``: named, pronoun, nominal, speaker,
author, implicit) and the target's type (``target_type``; ``issue`` for
issues) so that downstream can filter.

Pairs are deduplicated per claim (first origin wins, in that order) and carry
the text the classifier reads, marked exactly as the gold examples are:
source and target mentions wrapped in their markers; a source not mentioned
in the claim (speaker, author, implicit) is named in a prefix
``<src>Name</src>: ``, an implicit target likewise (``On <tgt>Name</tgt>: ``
or ``<src>A</src> on <tgt>B</tgt>: ``). With ``pairs.one_text_per_claim``
(the default) every pair of a claim is marked in the same reading of it
(:func:`claim_reading`): the participants the claim does not name are all
listed in one prefix (``Sergey Lavrov; NATO: <claim>``), so a one-pass model
encodes the claim once for all its pairs.
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from pipeline.core.config import ExamplesConfig, PairsConfig
from pipeline.core.markers import MarkerError, check_unmarked, mark_pair
from pipeline.frontend.actors import ActorDictionary

SPEAKER, AUTHOR, MENTION = "speaker", "author", "mention"
ISSUE = "issue"
NAMED, IMPLICIT = "named", "implicit"
_EVIDENCE = {"pronoun": "pronoun", "nominal": "nominal"}


def marked_text(text: str, target_span: tuple[int, int] | None, markers: ExamplesConfig,
                source_span: tuple[int, int] | None = None, source_name: str | None = None,
                target_name: str | None = None, source_note: str | None = None,
                target_note: str | None = None) -> str:
    """The claim with source and target marked.

    With both spans, both are wrapped in place (as in the gold examples). A
    source (a speaker or author not mentioned in the claim) without a span is
    named in a prefix: ``<src>Sergey Lavrov</src>: <claim>``; a target
    without a span (an implicit participant) likewise: ``On <tgt>NATO</tgt>:
    <claim>``, or ``<src>A</src> on <tgt>B</tgt>: <claim>`` when neither is
    in the claim. A note (:func:`evidence_note`) follows its entity in
    parentheses: inside the markers of a mention (``<src>he (Joe
    Biden)</src>``), after those of a prefix (``<src>Fox News</src>
    (author): ...``), so that it travels with its entity when a model swaps
    the roles. A text or name that already holds a marker string is
    refused (:class:`MarkerError`): ingest escapes them, so none should reach here.
    """
    if source_span is None and not source_name:
        raise ValueError("a source that is not mentioned in the claim needs a name")
    if target_span is None and not target_name:
        raise ValueError("a target that is not mentioned in the claim needs a name")
    if source_span is not None and target_span is not None and not source_note and not target_note:
        return mark_pair(text, source_span, target_span, markers)
    for part in (text, source_name or "", target_name or "", source_note or "", target_note or ""):
        check_unmarked(part, markers)
    if source_span is not None and target_span is not None and \
            source_span[0] < target_span[1] and target_span[0] < source_span[1]:
        raise MarkerError(f"source span {source_span} and target span {target_span} overlap")
    spans = [(span, op, cl, note) for span, op, cl, note in (
        (source_span, markers.source_open, markers.source_close, source_note),
        (target_span, markers.target_open, markers.target_close, target_note)) if span]
    body = text
    for (start, end), open_, close, note in sorted(spans, reverse=True):
        if not 0 <= start < end <= len(text):
            raise MarkerError(f"span {(start, end)} is empty or outside a text of {len(text)} characters")
        inside = body[start:end] + (f" ({note})" if note else "")
        body = body[:start] + open_ + inside + close + body[end:]
    src = f"{markers.source_open}{source_name}{markers.source_close}" + (f" ({source_note})" if source_note else "")
    tgt = f"{markers.target_open}{target_name}{markers.target_close}" + (f" ({target_note})" if target_note else "")
    if source_span is not None and target_span is not None:
        return body
    if source_span is None and target_span is None:
        return f"{src} on {tgt}: {body}"
    return f"{src}: {body}" if source_span is None else f"On {tgt}: {body}"


def claim_reading(text: str, mentions: list[dict], prefix: list[tuple[str, str | None]],
                  notes: dict[str, str]) -> tuple[str, dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """The one text every pair of a claim is read in, and where each participant sits in it.

    `prefix` lists the participants the claim does not name, as (name, note)
    pairs, in order: ``Sergey Lavrov (speaker); NATO (implicit): <claim>``
    (names only, when the notes are None). `notes` maps a mention id to the
    note that follows the mention in place (``he (Joe Biden)``); a note is
    written once per end position, so nested mentions share it. Returns the
    reading, each mention's span in it (its note included, as
    :func:`marked_text` wraps it) and each prefix name's span.
    """
    head, prefix_spans = "", {}
    for name, note in prefix:
        if name in prefix_spans:
            continue
        head += "; " if head else ""
        prefix_spans[name] = (len(head), len(head) + len(name))
        head += name + (f" ({note})" if note else "")
    head += ": " if head else ""
    inserts: dict[int, str] = {}
    for mention in sorted(mentions, key=lambda m: (m["end"], m["start"])):
        note = notes.get(mention["mention_id"])
        if note and mention["end"] not in inserts:
            inserts[mention["end"]] = f" ({note})"
    ends = sorted(inserts)

    def shift(position: int, inclusive: bool) -> int:
        """Characters the notes add before `position` (at it too, when `inclusive`)."""
        return sum(len(inserts[end]) for end in ends if end < position or (inclusive and end == position))

    body, cursor = [], 0
    for end in ends:
        body += [text[cursor:end], inserts[end]]
        cursor = end
    body.append(text[cursor:])
    offset = len(head)
    mention_spans = {m["mention_id"]: (offset + m["start"] + shift(m["start"], True),
                                       offset + m["end"] + shift(m["end"], bool(notes.get(m["mention_id"]))))
                     for m in mentions}
    return head + "".join(body), mention_spans, prefix_spans


def evidence_note(evidence: str, surface: str | None, canonical: str) -> str | None:
    """What the model is told about one side of a pair beyond the text (``pairs.evidence_in_text``).

    A participant the claim does not name (speaker, author, implicit) is
    named in the prefix and noted by its kind ("speaker"); a pronoun or
    nominal mention by the actor it was resolved to ("Joe Biden"); a named
    mention by its canonical name when the surface differs ("Trump" ->
    "Donald Trump"); else nothing.
    """
    if evidence in (SPEAKER, AUTHOR, IMPLICIT):
        return evidence
    if evidence in _EVIDENCE:
        return canonical
    if surface is not None and not _words(surface) <= _words(canonical):
        return canonical  # a shortened name ("Lavrov" of "Sergey Lavrov", "the Kremlin") needs no note
    return None


def _words(name: str) -> set[str]:
    """The lower-case words of a name, without "the" and possessive s."""
    return set(re.findall(r"[a-z0-9]+", name.lower())) - {"the", "s"}


def salient(mentions: list[dict], k: int, issues: bool) -> list[dict]:
    """The first mention of each of the `k` most-mentioned actors (or issues) of an article.

    Ties go to the actor mentioned first. `mentions` are the article's, in
    article order.
    """
    wanted = [m for m in mentions if (m["actor_type"] == ISSUE) == issues]
    counts = Counter(m["canonical"] for m in wanted)
    first: dict[str, dict] = {}
    for mention in wanted:
        first.setdefault(mention["canonical"], mention)
    ranked = sorted(first, key=lambda name: -counts[name])  # stable: first-mentioned wins ties
    return [first[name] for name in ranked[:k]]


def implicit_participants(present: set[str], article_mentions: list[dict], context: list[dict],
                          settings: PairsConfig) -> tuple[dict[str, dict], dict[str, dict]]:
    """The implicit targets and sources of a claim: name -> the mention it is taken from.

    Targets: the article's `implicit_targets` most-mentioned actors and
    `implicit_issues` most-mentioned issues, and (with `context_window`) the
    actors (and with `context_issues` the issues) of the neighbouring claims
    in `context`, nearest first.
    Sources: the `implicit_sources` most-mentioned actors, and with
    `context_sources` the actors of the neighbouring claims. Actors the claim
    names (`present`) are never implicit.
    """
    context = context if settings.context_window > 0 else []
    targets = salient(article_mentions, settings.implicit_targets, issues=False)
    if settings.issue_targets:
        targets += salient(article_mentions, settings.implicit_issues, issues=True)
    targets += [m for m in context if m["actor_type"] != ISSUE or (settings.issue_targets and settings.context_issues)]
    sources = salient(article_mentions, settings.implicit_sources, issues=False)
    if settings.context_sources:
        sources += [m for m in context if m["actor_type"] != ISSUE]
    implicit_targets, implicit_sources = {}, {}
    for mention in targets:
        if mention["canonical"] not in present:
            implicit_targets.setdefault(mention["canonical"], mention)
    for mention in sources:
        if mention["canonical"] not in present:
            implicit_sources.setdefault(mention["canonical"], mention)
    return implicit_targets, implicit_sources


#: What separates a claim's marked reading from the claims before it (``pairs.preceding_claims``).
PRECEDING = " | Before: "


def with_preceding(text: str, preceding: str | None, markers: ExamplesConfig) -> str:
    """A pair's marked `text` followed by the `preceding` claims' text (unmarked), when there is any."""
    if not preceding or not preceding.strip():
        return text
    check_unmarked(preceding, markers)
    return f"{text}{PRECEDING}{' '.join(preceding.split())}"


def claim_pairs(claim: dict, mentions: list[dict], author: str, author_affiliation: str | None,
                settings: PairsConfig, markers: ExamplesConfig, article_mentions: list[dict] | None = None,
                context: list[dict] | None = None, preceding: str | None = None) -> list[dict]:
    """The `pairs` records of one claim, given its mentions (claim-relative offsets).

    `article_mentions` (all mentions of the article, in order) and `context`
    (the mentions of the claims around this one, nearest first; see
    :func:`context_mentions`) supply the implicit participants when the
    settings ask for them. `preceding`, the text of the claims before this
    one, follows each pair's marked text (:func:`with_preceding`).
    """
    ordered = sorted(mentions, key=lambda m: m["start"])
    actors: dict[str, dict] = {}
    issues: dict[str, dict] = {}
    for mention in ordered:
        if mention.get("actor_type") == ISSUE:
            if settings.issue_targets:
                issues.setdefault(mention["canonical"], mention)
        else:
            actors.setdefault(mention["canonical"], mention)
    names = list(actors)[: settings.max_actors_per_claim]
    issue_names = [n for n in issues if n not in actors][: settings.max_issues_per_claim]
    targets = {**{n: actors[n] for n in names}, **{n: issues[n] for n in issue_names}}
    implicit_targets, implicit_sources = implicit_participants(
        set(actors) | set(issues), article_mentions or [], context or [], settings)
    implicit = {**implicit_sources, **implicit_targets}

    sources: list[tuple[str, str | None, str]] = []
    speaker = claim.get("speaker_resolved")
    if isinstance(speaker, str) and speaker:
        affiliation = claim.get("speaker_affiliation")
        sources.append((speaker, affiliation if isinstance(affiliation, str) else None, SPEAKER))
    elif claim["kind"] == "narrative" and settings.include_author:
        sources.append((author, author_affiliation, AUTHOR))

    planned: list[tuple[str, str | None, str, str]] = []
    for source, affiliation, origin in sources:
        planned += [(source, affiliation, target, origin) for target in targets if target != source]
    if settings.mention_pairs:
        planned += [(a, actors[a]["affiliation"], b, MENTION) for a in names for b in targets if a != b]
    # Implicit participants: after every explicit pair, so that dedup keeps the explicit origin.
    for source, affiliation, origin in sources:
        planned += [(source, affiliation, target, origin) for target in implicit_targets if target != source]
    if settings.implicit_from_mentions:
        planned += [(a, actors[a]["affiliation"], b, MENTION) for a in names for b in implicit_targets if a != b]
    planned += [(a, implicit[a]["affiliation"], b, MENTION) for a in implicit_sources for b in targets if a != b]

    records, seen = [], set()
    for source, source_affiliation, target, origin in planned:
        if (source, target) in seen:
            continue
        seen.add((source, target))
        target_mention = targets.get(target)
        target_span = (target_mention["start"], target_mention["end"]) if target_mention else None
        source_mention = next(
            (m for m in ordered if m["canonical"] == source and (target_span is None
             or not (m["start"] < target_span[1] and target_span[0] < m["end"]))), None)
        source_span = (source_mention["start"], source_mention["end"]) if source_mention else None
        if source_mention is not None and source_affiliation is None:
            source_affiliation = source_mention["affiliation"]
        first = target_mention or implicit[target]
        target_evidence = _EVIDENCE.get(first.get("origin"), NAMED) if target_mention else IMPLICIT
        if source_mention is not None:
            source_evidence = _EVIDENCE.get(source_mention.get("origin"), NAMED)
        else:
            source_evidence = origin if origin in (SPEAKER, AUTHOR) else IMPLICIT
        records.append({
            "pair_id": f"{claim['claim_id']}-p{len(records):02d}", "claim_id": claim["claim_id"],
            "article_id": claim["article_id"], "source": source, "target": target,
            "source_affiliation": source_affiliation, "target_affiliation": first["affiliation"],
            "origin": origin, "source_mention_id": source_mention["mention_id"] if source_mention else None,
            "target_mention_id": first["mention_id"],
            "text": None if settings.one_text_per_claim else marked_text(
                claim["text"], target_span, markers, source_span, source, target,
                *(_notes(claim["text"], source, target, source_span, target_span, source_evidence,
                         target_evidence) if settings.evidence_in_text else ())),
            "target_type": first.get("actor_type") or "other",
            "source_evidence": source_evidence,
            "target_evidence": target_evidence,
        })
    if settings.one_text_per_claim and records:
        _mark_in_shared_reading(records, claim["text"], ordered, settings.evidence_in_text, markers)
    for record in records:
        record["text"] = with_preceding(record["text"], preceding, markers)
    return records


def _mark_in_shared_reading(records: list[dict], text: str, mentions: list[dict], with_notes: bool,
                            markers: ExamplesConfig) -> None:
    """Give every pair record of one claim its text: the pair marked in the claim's one reading
    (:func:`claim_reading`), whose prefix names each participant that some pair needs but the claim
    does not name (speaker or author first, then implicit ones, in pair order)."""
    unnamed = [(record[side], record[f"{side}_evidence"]) for record in records for side in ("source", "target")
               if record[f"{side}_evidence"] in (SPEAKER, AUTHOR, IMPLICIT)]
    unnamed.sort(key=lambda entry: entry[1] == IMPLICIT)  # stable: the speaker or author leads
    prefix = [(name, kind if with_notes else None) for name, kind in unnamed]
    notes = {}
    if with_notes:
        for mention in mentions:
            evidence = _EVIDENCE.get(mention.get("origin"), NAMED)
            note = evidence_note(evidence, text[mention["start"]:mention["end"]], mention["canonical"])
            if note:
                notes[mention["mention_id"]] = note
    reading, mention_spans, prefix_spans = claim_reading(text, mentions, prefix, notes)
    for record in records:
        source_span, target_span = (
            prefix_spans[record[side]] if record[f"{side}_evidence"] in (SPEAKER, AUTHOR, IMPLICIT)
            else mention_spans[record[f"{side}_mention_id"]] for side in ("source", "target"))
        record["text"] = mark_pair(reading, source_span, target_span, markers)


def _notes(text: str, source: str, target: str, source_span: tuple[int, int] | None,
           target_span: tuple[int, int] | None, source_evidence: str, target_evidence: str) -> tuple[str | None, str | None]:
    """The (source, target) notes of a pair: :func:`evidence_note` of each side."""
    surface = lambda span: text[span[0]:span[1]] if span else None  # noqa: E731
    return (evidence_note(source_evidence, surface(source_span), source),
            evidence_note(target_evidence, surface(target_span), target))


def context_mentions(by_claim: list[list[dict]], index: int, window: int) -> list[dict]:
    """The mentions of the `window` claims before and after claim `index`, nearest first (earlier first on ties).

    `by_claim` holds the mentions of each claim of one article, in order.
    """
    found = []
    for distance in range(1, window + 1):
        for neighbour in (index - distance, index + distance):
            if 0 <= neighbour < len(by_claim):
                found += by_claim[neighbour]
    return found


def author_of(outlet: object, unknown: str) -> str:
    """The author actor of an article: its outlet, or the configured unknown-author name."""
    return outlet.strip() if isinstance(outlet, str) and outlet.strip() else unknown


def article_author(outlet: object, unknown: str, dictionary: ActorDictionary) -> tuple[str, str | None]:
    """The author actor of an article and its affiliation.

    The outlet (or `unknown` when there is none) under its dictionary name
    and affiliation when the dictionary lists it ("Xinhua" -> China), else as
    written with no affiliation.
    """
    author = author_of(outlet, unknown)
    entry = dictionary.lookup(author)
    return (entry.name, entry.affiliation) if entry else (author, None)


def claims_table(claims: pd.DataFrame, mentions: pd.DataFrame, pairs: pd.DataFrame, width: int = 70) -> str:
    """A readable table of claims: kind, speaker (as written -> resolved), cue, pairs, actors, issues, text.

    Pairs are counted as explicit + implicit (an implicit participant is not
    named in the claim); issues are listed apart from actors.
    """
    is_issue = mentions["actor_type"] == ISSUE
    join = lambda s: ", ".join(dict.fromkeys(s))  # noqa: E731
    actors = mentions[~is_issue].groupby("claim_id")["canonical"].agg(join)
    issues = mentions[is_issue].groupby("claim_id")["canonical"].agg(join)
    implicit_mask = (pairs["source_evidence"] == IMPLICIT) | (pairs["target_evidence"] == IMPLICIT)
    explicit = pairs[~implicit_mask].groupby("claim_id").size()
    implicit = pairs[implicit_mask].groupby("claim_id").size()
    lines = []
    for article_id, group in claims.groupby("article_id", sort=False):
        lines.append(f"== article {article_id}: {len(group)} claims")
        lines.append(f"{'#':>3}  {'kind':<15}  {'speaker':<36}  {'cue':<20}  {'pairs':>7}  actors [issues] | text")
        for claim in group.sort_values("claim_index").itertuples(index=False):
            speaker = ""
            if isinstance(claim.speaker, str):
                resolved = claim.speaker_resolved if isinstance(claim.speaker_resolved, str) else "?"
                speaker = claim.speaker if claim.speaker == resolved else f"{claim.speaker} -> {resolved}"
            text = " ".join(claim.text.split())
            text = text if len(text) <= width else text[: width - 1] + "…"
            counts = f"{int(explicit.get(claim.claim_id, 0))}+{int(implicit.get(claim.claim_id, 0))}"
            named = actors.get(claim.claim_id, "-")
            topics = f" [{issues[claim.claim_id]}]" if claim.claim_id in issues.index else ""
            lines.append(f"{claim.claim_index:>3}  {claim.kind:<15}  {speaker[:36]:<36}  "
                         f"{(claim.cue if isinstance(claim.cue, str) else '')[:20]:<20}  "
                         f"{counts:>7}  {named}{topics} | {text}")
    lines.append("pairs: explicit + implicit (implicit: a participant the claim does not name; "
                 "pairs.implicit_* and pairs.context_* set them)")
    return "\n".join(lines)

