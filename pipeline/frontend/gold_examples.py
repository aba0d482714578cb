"""gold_examples: the front half's candidate pairs of gold articles labelled from gold stance triplets.

A gold triplet (sentence, subject, object, POS | NEG) labels a candidate
pair of its sentence when the pair's source denotes the subject and its
target the object (:func:`pipeline.frontend.gold.name_matches` over every
name the actor goes by, the rule ``eval-e2e`` scores by); an author triplet
(subject ``None``: the outlet's own stance) labels the author pairs
(origin ``author``) whose target denotes the object. POS makes the pair
supportive, NEG hostile; a pair no triplet joins is neutral.

The models learn pair classes (:mod:`pipeline.core.labels`): the stance
read relative to the marked source and target, in both directions ("source
supports target", "target supports source", ...). So a candidate's class
also takes the gold stance of its target towards its source in the same
sentence; its own direction wins when both hold one (counted as
``mutual``). ``direction`` says which reading the text is: ``pq`` when the
source is marked first (the canonical reading the models train on), ``qp``
otherwise; ``dse_label`` is the five-class code of that reading, so that
``pair_class(dse_label, direction)`` is the candidate's pair class.

A gold triplet that no candidate matches is never dropped silently: it is
returned with its reason (:data:`REASONS`), and the counts reconcile (gold
read = matched + unmatched).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from pipeline.core.config import ExamplesConfig, LexiconConfig
from pipeline.core.labels import HOSTILE, NEUTRAL, SUPPORTIVE, SWAP_PAIR_CLASS
from pipeline.core.markers import escape_markers, marker_strings
from pipeline.frontend.gold import GoldArticle, name_matches, name_tokens
from pipeline.frontend.pairs import AUTHOR, marked_text

NOT_LISTED = "Not in the list"
POLARITY_LABEL = {"POS": SUPPORTIVE, "NEG": HOSTILE}
#: Pair class of a stance of the source on the target, and of the target on the source.
OWN_CLASS = {SUPPORTIVE: 1, HOSTILE: 3}
REVERSE_CLASS = {SUPPORTIVE: 2, HOSTILE: 4}

DUPLICATE = "duplicate"
SUBJECT_NOT_LISTED = "subject not in the list"
OBJECT_NOT_LISTED = "object not in the list"
NO_AUTHOR_PAIR = "author triplet: no author pair in the sentence"
SUBJECT_NOT_NAMED = "subject not named in the sentence"
OBJECT_NOT_NAMED = "object not named in the sentence"
SUBJECT_NOT_FOUND = "subject named in the sentence, no actor found for it"
OBJECT_NOT_FOUND = "object named in the sentence, no actor found for it"
NAME_UNMATCHED = "both named, no candidate pair joins them"
#: Why a gold triplet matched no candidate, in the order they are tested.
REASONS = (DUPLICATE, SUBJECT_NOT_LISTED, OBJECT_NOT_LISTED, NO_AUTHOR_PAIR, SUBJECT_NOT_NAMED, SUBJECT_NOT_FOUND,
           OBJECT_NOT_NAMED, OBJECT_NOT_FOUND, NAME_UNMATCHED)
#: Reasons that leave a triplet out of the candidate-recall figures (eval-e2e does not score them either).
UNSCORED = (DUPLICATE, SUBJECT_NOT_LISTED, OBJECT_NOT_LISTED)

Denotes = Callable[[str, str], bool]  # (actor, gold name) -> does the actor denote the gold entity?


@dataclass(frozen=True)
class GoldTriplet:
    """One gold stance triplet of a sentence; subject None for the author."""

    sentence_id: int
    subject: str | None
    object: str
    polarity: str  # POS | NEG


@dataclass
class Labelled:
    """The labelling of one article or split: example records, unmatched gold, and counts."""

    examples: list[dict] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def add(self, other: "Labelled") -> None:
        """Append another article's records and add its counts."""
        self.examples += other.examples
        self.unmatched += other.unmatched
        self.counts.update(other.counts)


def name_denoter(names: dict[str, set[str]], lexicon: LexiconConfig) -> Denotes:
    """(actor, gold name) -> whether any name the actor goes by matches the gold name; cached."""
    cache: dict[tuple[str, str], bool] = {}

    def denotes(actor: str, gold: str) -> bool:
        key = (actor, gold)
        if key not in cache:
            cache[key] = any(name_matches(gold, alias, lexicon) for alias in names.get(actor, set()) | {actor})
        return cache[key]
    return denotes


def joins(pair: dict, triplet: GoldTriplet, denotes: Denotes) -> bool:
    """Whether a triplet labels a candidate pair of its sentence (source = subject, target = object)."""
    if pair["sentence_id"] != triplet.sentence_id:
        return False
    if triplet.subject is None:
        return pair["origin"] == AUTHOR and denotes(pair["target"], triplet.object)
    return pair["origin"] != AUTHOR and denotes(pair["source"], triplet.subject) and denotes(pair["target"], triplet.object)


def joins_reversed(pair: dict, triplet: GoldTriplet, denotes: Denotes) -> bool:
    """Whether a triplet is the stance of the pair's target towards its source (same sentence)."""
    return (pair["sentence_id"] == triplet.sentence_id and triplet.subject is not None and pair["origin"] != AUTHOR
            and denotes(pair["target"], triplet.subject) and denotes(pair["source"], triplet.object))


def pair_class_of(own: set[str], reverse: set[str]) -> int | None:
    """The pair class of a candidate from the gold labels of its own and its reverse direction.

    Own stance first (1 supports, 3 opposes), else the target's (2, 4), else
    0; None when one direction holds both polarities (the gold conflicts).
    """
    if len(own) > 1 or (not own and len(reverse) > 1):
        return None
    if own:
        return OWN_CLASS[next(iter(own))]
    return REVERSE_CLASS[next(iter(reverse))] if reverse else 0


def reading(text: str, pair_cls: int, markers: ExamplesConfig) -> tuple[str, int]:
    """(direction, dse_label) of a marked text with this pair class: ``pq`` when the source is marked
    first, and the five-class code of the reading whose p is the first-marked entity."""
    source_at, target_at = text.find(markers.source_open), text.find(markers.target_open)
    if source_at == -1 or target_at == -1:
        raise ValueError(f"text lacks a source or target marker: {text[:120]!r}")
    return ("pq", pair_cls) if source_at < target_at else ("qp", int(SWAP_PAIR_CLASS[pair_cls]))


def named_in_text(gold: str, text: str, lexicon: LexiconConfig) -> bool:
    """Whether a distinctive word of a gold name (no title, no generic word) occurs in the text."""
    words = {t for t in name_tokens(gold) if len(t) > 2 and t not in lexicon.honorifics
             and t not in lexicon.generic_name_words}
    return bool(words & set(name_tokens(text)))


def unmatched_reason(triplet: GoldTriplet, pairs: list[dict], present: set[str], text: str, denotes: Denotes,
                     lexicon: LexiconConfig) -> str:
    """Why a (not duplicate) gold triplet matched no candidate pair of its sentence.

    `pairs` are the sentence's candidates, `present` the actors its claim
    names (mentions, pronouns and nominals resolved, its speaker), `text` the
    sentence.
    """
    if triplet.subject == NOT_LISTED:
        return SUBJECT_NOT_LISTED
    if triplet.object == NOT_LISTED:
        return OBJECT_NOT_LISTED
    if triplet.subject is None and not any(p["origin"] == AUTHOR for p in pairs):
        return NO_AUTHOR_PAIR
    for gold, not_named, not_found in ((triplet.subject, SUBJECT_NOT_NAMED, SUBJECT_NOT_FOUND),
                                       (triplet.object, OBJECT_NOT_NAMED, OBJECT_NOT_FOUND)):
        if gold is not None and not any(denotes(actor, gold) for actor in present):
            return not_found if named_in_text(gold, text, lexicon) else not_named
    return NAME_UNMATCHED


def label_article(article_id: str, split: str, pairs: list[dict], triplets: list[GoldTriplet], present: dict[int, set[str]],
                  texts: dict[int, str], denotes: Denotes, lexicon: LexiconConfig, markers: ExamplesConfig,
                  neutral_sentences: str = "annotated_only") -> Labelled:
    """Example records for the candidate pairs of one article, and its unmatched gold triplets.

    `pairs` are the article's candidates (pairs records plus ``sentence_id``),
    `present` the actors each sentence's claim names, `texts` the sentences.
    A candidate of a sentence without any triplet is an example only with
    ``neutral_sentences="all"``; one whose gold conflicts (both polarities in
    one direction) is left out, counted as ``conflicting``.
    """
    out = Labelled()
    annotated = {t.sentence_id for t in triplets}
    scored, seen = [], set()
    for triplet in triplets:
        out.counts["gold_read"] += 1
        if triplet in seen:
            out.unmatched.append(_unmatched(article_id, triplet, DUPLICATE))
            continue
        seen.add(triplet)
        scored.append(triplet)
    matched: set[GoldTriplet] = set()
    by_sentence: dict[int, list[GoldTriplet]] = {}
    for triplet in scored:
        by_sentence.setdefault(triplet.sentence_id, []).append(triplet)
    for pair in pairs:
        out.counts["candidates"] += 1
        sentence = by_sentence.get(pair["sentence_id"], [])
        own = [t for t in sentence if joins(pair, t, denotes)]
        reverse = [t for t in sentence if joins_reversed(pair, t, denotes)]
        matched.update(own)
        if pair["sentence_id"] not in annotated:
            out.counts["candidates_unannotated_sentence"] += 1
            if neutral_sentences != "all":
                out.counts["candidates_unannotated_left_out"] += 1
                continue
        own_labels = {POLARITY_LABEL[t.polarity] for t in own}
        pair_cls = pair_class_of(own_labels, {POLARITY_LABEL[t.polarity] for t in reverse})
        if pair_cls is None:
            out.counts["candidates_conflicting"] += 1
            continue
        out.counts["candidates_mutual"] += bool(own_labels and reverse)
        direction, dse_label = reading(pair["text"], pair_cls, markers)
        row_id = f"seesaw-{pair['pair_id']}"
        out.examples.append({
            "example_id": f"{row_id}-{direction}", "row_id": row_id, "split": split, "direction": direction,
            "source": pair["source"], "target": pair["target"], "text": pair["text"],
            "label": next(iter(own_labels)) if own_labels else NEUTRAL, "dse_label": dse_label,
            "origin": pair["origin"], "source_evidence": pair["source_evidence"],
            "target_evidence": pair["target_evidence"], "article_id": article_id,
            "sentence_id": int(pair["sentence_id"]), "sentence_annotated": pair["sentence_id"] in annotated,
        })
    for triplet in scored:
        if triplet in matched:
            out.counts["gold_matched_author" if triplet.subject is None else "gold_matched_entity"] += 1
            continue
        sentence_pairs = [p for p in pairs if p["sentence_id"] == triplet.sentence_id]
        reason = unmatched_reason(triplet, sentence_pairs, present.get(triplet.sentence_id, set()),
                                  texts.get(triplet.sentence_id, ""), denotes, lexicon)
        out.unmatched.append(_unmatched(article_id, triplet, reason))
    for row in out.unmatched:
        out.counts[f"unmatched_{'author' if row['subject'] is None else 'entity'}"] += row["reason"] not in UNSCORED
    return out


def _unmatched(article_id: str, triplet: GoldTriplet, reason: str) -> dict:
    return {"article_id": article_id, "sentence_id": triplet.sentence_id, "subject": triplet.subject,
            "object": triplet.object, "polarity": triplet.polarity, "reason": reason}


def article_inputs(article: GoldArticle, pairs: list[dict]) -> tuple[list[dict], dict[int, set[str]]]:
    """An article's candidate pairs with their gold sentence, and the actors each sentence's claim names."""
    sentence_of_claim = dict(zip((c["claim_id"] for c in article.claims), article.sentence_ids))
    present: dict[int, set[str]] = {}
    for claim, sentence_id in zip(article.claims, article.sentence_ids):
        if claim["speaker_resolved"]:
            present.setdefault(sentence_id, set()).add(claim["speaker_resolved"])
    for mention in article.mentions:
        present.setdefault(sentence_of_claim[mention["claim_id"]], set()).add(mention["canonical"])
    return [pair | {"sentence_id": int(sentence_of_claim[pair["claim_id"]])} for pair in pairs], present


def gold_of(triplets: pd.DataFrame) -> dict[str, list[GoldTriplet]]:
    """Rows of the ``seesaw_triplets`` table as gold triplets per article, in table order."""
    found: dict[str, list[GoldTriplet]] = {}
    for row in triplets.itertuples(index=False):
        subject = None if row.subject_is_author else str(row.subject)
        found.setdefault(row.article_id, []).append(
            GoldTriplet(int(row.sentence_id), subject, str(row.object), str(row.sentiment)))
    return found


def sample_neutrals(examples: pd.DataFrame, per_positive: float | None, seed: int) -> pd.DataFrame:
    """Every example with a gold stance either way (pair class not 0), and at most `per_positive` times
    as many of the others, drawn with `seed`; the table order kept. None keeps every example."""
    if per_positive is None:
        return examples
    stanced = examples["dse_label"] != 0  # pair class 0 in either reading
    neutral = examples[~stanced]
    keep = min(len(neutral), int(round(per_positive * int(stanced.sum()))))
    chosen = neutral.sample(n=keep, random_state=seed).index
    return examples[stanced | examples.index.isin(chosen)]


def reconciles(labelled: Labelled) -> bool:
    """Whether every gold triplet read is matched or unmatched with a reason, exactly once."""
    counts = labelled.counts
    return counts["gold_read"] == counts["gold_matched_entity"] + counts["gold_matched_author"] + len(labelled.unmatched)


def recall_report(counts: Counter) -> dict:
    """Candidate recall: the share of scored gold triplets (not duplicate, both listed) that some
    candidate matches, for entity and author triplets apart and together."""
    report = {}
    for group in ("entity", "author"):
        matched, missed = counts[f"gold_matched_{group}"], counts[f"unmatched_{group}"]
        report[group] = {"scored": matched + missed, "matched": matched,
                         "recall": matched / (matched + missed) if matched + missed else 0.0}
    matched = report["entity"]["matched"] + report["author"]["matched"]
    scored = report["entity"]["scored"] + report["author"]["scored"]
    report["all"] = {"scored": scored, "matched": matched, "recall": matched / scored if scored else 0.0}
    return report


# --------------------------------------------------- a gold pair as text ---

Span = tuple[int, int]


def _word_spans(pattern: str, text: str) -> list[Span]:
    """Spans of every whole-word, case-insensitive match of a regex in the text."""
    return [m.span() for m in re.finditer(rf"(?<!\w)(?:{pattern})(?!\w)", text, flags=re.IGNORECASE)]


def distinctive_words(name: str, lexicon: LexiconConfig) -> list[str]:
    """The name's words that can stand for it alone (as ``named_in_text`` reads them: more than two
    letters, no title, no generic name word), most distinctive first: capitalised words before the
    others, and within each the last first ("Donald Trump" -> trump, donald; "Republican lawmakers"
    -> republican, lawmaker)."""
    ranked = []
    for position, word in enumerate(name.split()):
        for token in name_tokens(word):
            if len(token) > 2 and token not in lexicon.honorifics and token not in lexicon.generic_name_words:
                ranked.append((not word[:1].isupper(), -position, token))
    return list(dict.fromkeys(token for *_, token in sorted(ranked)))


def name_spans(name: str, text: str, lexicon: LexiconConfig) -> list[Span]:
    """Where the text names an entity, best first: every occurrence of the full name, else of its
    distinctive words (:func:`distinctive_words` order, so a person is found by the surname; plural -s allowed)."""
    spans = _word_spans(re.escape(name.strip()), text) if name.strip() else []
    if spans:
        return spans
    found: list[Span] = []
    for word in distinctive_words(name, lexicon):
        found += _word_spans(rf"{re.escape(word)}(?:s|es)?(?:['’]s)?", text)
    return found


def _overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def locate_pair(text: str, subject: str, object_: str, lexicon: LexiconConfig) -> tuple[Span | None, Span | None]:
    """Non-overlapping spans of the subject and the object in the text (None where not found).

    The longer name is placed first, at its first occurrence; the other at its
    first occurrence that does not overlap it ("Trump" next to "the Trump
    administration").
    """
    subject_spans, object_spans = name_spans(subject, text, lexicon), name_spans(object_, text, lexicon)
    first, second = (subject_spans, object_spans) if len(subject) >= len(object_) else (object_spans, subject_spans)
    placed = first[0] if first else None
    other = next((s for s in second if placed is None or not _overlap(s, placed)), None)
    return (placed, other) if len(subject) >= len(object_) else (other, placed)


def pair_text(sentence: str, subject: str, object: str, markers: ExamplesConfig,  # noqa: A002 (the brief's name)
              lexicon: LexiconConfig) -> str:
    """The text the model reads for (subject -> object) in the sentence, in the project's marked format:
    both marked in place where found, an entity not found named in a prefix (:func:`marked_text`)."""
    text, _ = escape_markers(sentence, marker_strings(markers))
    source_name, _ = escape_markers(subject, marker_strings(markers))
    target_name, _ = escape_markers(object, marker_strings(markers))
    source_span, target_span = locate_pair(text, subject, object, lexicon)
    return marked_text(text, target_span, markers, source_span=source_span,
                       source_name=source_name, target_name=target_name)


#: The gold polarities of a stance triplet.
POLARITIES = ("POS", "NEG")
#: Why ``eval-pairs`` leaves a gold triplet out (:func:`pair_given_triplets`), in the order they are tested.
PAIR_GIVEN_REASONS = ("author", "not_listed", "duplicate")


def pair_given_triplets(triplets: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The gold triplets scored with the pair given, and how many were left out and why.

    Reasons, each triplet counted once in this order: ``author`` (the
    outlet's own stance), ``not_listed`` (subject or object "Not in the
    list"), ``duplicate`` (an exact repeat of a kept triplet). Returns
    (article_id, sentence_id, subject, object, sentiment) rows and counts
    ``n_read = n_kept + n_author + n_not_listed + n_duplicate``.
    """
    unknown = sorted(set(triplets["sentiment"]) - set(POLARITIES))
    if unknown:
        raise ValueError(f"gold triplets with unknown sentiments {unknown}; expected {list(POLARITIES)}")
    author = triplets["subject_is_author"].astype(bool)
    not_listed = ~author & ((triplets["subject"] == NOT_LISTED) | (triplets["object"] == NOT_LISTED))
    rest = triplets[~author & ~not_listed]
    kept = pd.DataFrame({
        "article_id": rest["article_id"].astype(str), "sentence_id": rest["sentence_id"].astype("int64"),
        "subject": rest["subject"].astype(str), "object": rest["object"].astype(str),
        "sentiment": rest["sentiment"].astype(str),
    })
    deduplicated = kept.drop_duplicates(ignore_index=True)
    counts = {"n_read": len(triplets), "n_kept": len(deduplicated), "n_author": int(author.sum()),
              "n_not_listed": int(not_listed.sum()), "n_duplicate": len(kept) - len(deduplicated)}
    assert counts["n_read"] == counts["n_kept"] + sum(counts[f"n_{r}"] for r in PAIR_GIVEN_REASONS)
    return deduplicated, counts


def article_gold_counts(triplets: pd.DataFrame) -> dict[str, int]:
    """The article-level gold triplets to find, entity and author apart: distinct (article, subject,
    object, sentiment) of the triplets whose entities are listed (the author's count by object alone),
    which is what ``eval-e2e``'s lenient scheme scores against."""
    author = triplets["subject_is_author"].astype(bool)
    listed = (triplets["object"] != NOT_LISTED) & (author | (triplets["subject"] != NOT_LISTED))
    kept = triplets[listed].assign(subject=triplets["subject"].where(~author, ""), is_author=author)
    distinct = kept.drop_duplicates(["article_id", "subject", "object", "sentiment", "is_author"])
    return {"entity": int((~distinct["is_author"]).sum()), "author": int(distinct["is_author"].sum())}


def sentence_texts(sentences: pd.DataFrame) -> dict[tuple[str, int], str]:
    """The text of every (article_id, sentence_id) of a sentences table."""
    return {(a, int(s)): t for a, s, t in sentences[["article_id", "sentence_id", "text"]].itertuples(index=False)}


def sentence_text(text_of: dict[tuple[str, int], str], article_id: str, sentence_id: int) -> str:
    """The sentence a gold triplet names; a clear error when the sentences table lacks it."""
    key = (article_id, int(sentence_id))
    if key not in text_of:
        raise ValueError(f"gold triplet of article {article_id} names sentence {sentence_id}, "
                         "which the sentences table lacks")
    return text_of[key]


def gold_pair_examples(triplets: pd.DataFrame, sentences: pd.DataFrame, split: str, markers: ExamplesConfig,
                       lexicon: LexiconConfig) -> tuple[pd.DataFrame, dict[str, int]]:
    """A split's gold triplets read with the pair given, as labelled examples (``seesaw_examples`` columns
    that :func:`pipeline.corpora.examples.in_domain_examples` reads), and how many were used or left out.

    The candidates of the front half reach only the triplets whose entities it
    finds in the sentence; this view teaches the rest too. Each listed, non-author
    triplet (subject -> object) is its sentence marked by :func:`pair_text`: both
    entities marked in place where named, one not named given in a prefix, as
    ``eval-pairs`` reads them. Its pair class also takes the object's gold stance
    on the subject in the same sentence (:func:`pair_class_of`); a direction with
    both polarities is left out (``conflicting``). Author triplets, "Not in the
    list" entities and exact duplicates are left out as ``eval-pairs`` leaves them
    out, and counted; read = used + author + not_listed + duplicate + conflicting.
    """
    kept, left_out = pair_given_triplets(triplets[triplets["split"] == split])
    counts = {"read": left_out["n_read"], **{reason: left_out[f"n_{reason}"] for reason in PAIR_GIVEN_REASONS},
              "conflicting": 0, "used": 0}
    text_of = sentence_texts(sentences)
    stances: dict[tuple, set[str]] = {}
    for t in kept.itertuples(index=False):
        stances.setdefault((t.article_id, t.sentence_id, t.subject, t.object), set()).add(POLARITY_LABEL[t.sentiment])
    records = []
    for (article_id, sentence_id, subject, object_), own in stances.items():
        pair_cls = pair_class_of(own, stances.get((article_id, sentence_id, object_, subject), set()))
        if pair_cls is None:
            counts["conflicting"] += len(own)
            continue
        text = pair_text(sentence_text(text_of, article_id, sentence_id), subject, object_, markers, lexicon)
        direction, dse_label = reading(text, pair_cls, markers)
        row_id = f"seesaw-gold-{article_id}-{sentence_id}-{len(records)}"
        records.append({"example_id": f"{row_id}-{direction}", "row_id": row_id, "split": split,
                        "direction": direction, "source": subject, "target": object_, "text": text,
                        "label": next(iter(own)), "dse_label": int(dse_label)})
        counts["used"] += 1
    assert counts["read"] == sum(counts[k] for k in ("used", "author", "not_listed", "duplicate", "conflicting"))
    columns = ["example_id", "row_id", "split", "direction", "source", "target", "text", "label", "dse_label"]
    return pd.DataFrame(records, columns=columns), counts
