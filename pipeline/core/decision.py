"""The decision rule: from a pair's label probabilities to a triplet or none.

A model gives each candidate pair three probabilities (supportive, hostile,
neutral). On whole articles almost every candidate is neutral, so taking the
most probable label is not what maximises end-to-end F1. The rule says a
pair carries a stance when its larger stance probability reaches a threshold,
one for the author's pairs and one for every other pair, and then takes the
larger of the two. :func:`tune_rule` chooses the thresholds on labelled
candidates (SEESAW valid) to maximise the F1 of the triplets they give; the
rule travels with the registered model (a version tag) so that ``make
predict`` and ``eval-e2e`` apply the same one.

An article's stance of one actor on another is a second decision, from all the
claims of the article that pair the two: their stance probabilities are
combined by noisy-or (the chance that at least one claim carries the stance,
:func:`article_evidence`), so a pair that several claims hint at outweighs one
that a single claim hints at equally, and the combined strength is held to an
article threshold per group (:func:`article_labels`), tuned by
:func:`tune_article_rule` on the article-level triplets of SEESAW valid.
Without article thresholds (a rule from before them), an article's stance is
that of the majority of its stanced claims.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from pipeline.core.labels import HOSTILE, LABELS, NEUTRAL, SUPPORTIVE

_SUPPORTIVE, _HOSTILE = LABELS.index(SUPPORTIVE), LABELS.index(HOSTILE)
GROUPS = ("entity", "author")


@dataclass(frozen=True)
class DecisionRule:
    """Thresholds on the larger stance probability; None in a group: the most probable label.

    The ``article_*`` thresholds hold an article's combined strength of a pair's stance (see the module);
    None: the majority of the pair's stanced claims."""

    entity_threshold: float | None = None
    author_threshold: float | None = None
    article_entity_threshold: float | None = None
    article_author_threshold: float | None = None

    def threshold(self, group: str) -> float | None:
        """The threshold of ``entity`` or ``author`` pairs."""
        if group not in GROUPS:
            raise ValueError(f"unknown group {group!r}; expected one of {GROUPS}")
        return self.entity_threshold if group == "entity" else self.author_threshold

    def article_threshold(self, group: str) -> float | None:
        """The article threshold of ``entity`` or ``author`` pairs."""
        if group not in GROUPS:
            raise ValueError(f"unknown group {group!r}; expected one of {GROUPS}")
        return self.article_entity_threshold if group == "entity" else self.article_author_threshold

    def has_article_rule(self) -> bool:
        """Whether an article's stances come from combined strengths (else from its claims' majority)."""
        return self.article_entity_threshold is not None or self.article_author_threshold is not None

    def to_json(self) -> str:
        """The rule as one line of JSON (a version tag, a run parameter)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "DecisionRule":
        """The rule written by :meth:`to_json`; None or an empty text is the argmax rule."""
        if not text:
            return cls()
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"not a decision rule: {text[:200]!r} ({exc})") from None


def apply_rule(proba: np.ndarray, is_author: np.ndarray, rule: DecisionRule) -> np.ndarray:
    """Labels (LABELS names) of pairs with directed probabilities `proba` (n, 3, in LABELS order).

    A group without a threshold takes the most probable label.
    """
    proba = np.asarray(proba, dtype=float)
    is_author = np.asarray(is_author, dtype=bool)
    stance = np.where(proba[:, _SUPPORTIVE] >= proba[:, _HOSTILE], SUPPORTIVE, HOSTILE).astype(object)
    argmax = np.asarray(LABELS, dtype=object)[proba.argmax(axis=1)] if len(proba) else np.array([], dtype=object)
    labels = argmax.copy()
    strength = np.maximum(proba[:, _SUPPORTIVE], proba[:, _HOSTILE]) if len(proba) else np.zeros(0)
    for group, members in (("entity", ~is_author), ("author", is_author)):
        threshold = rule.threshold(group)
        if threshold is not None:
            labels[members] = np.where(strength[members] >= threshold, stance[members], NEUTRAL)
    return labels


def f1_curve(proba: np.ndarray, gold: np.ndarray, n_gold: int, thresholds: np.ndarray) -> np.ndarray:
    """(thresholds, 4) of precision, recall, F1 and predictions of the triplets at each threshold.

    `gold` are the candidates' own-direction gold labels; a candidate above
    the threshold is a predicted triplet, correct when its stance equals its
    gold label. `n_gold` is the number of gold triplets to find (those no
    candidate reaches count as missed).
    """
    proba = np.asarray(proba, dtype=float)
    strength = np.maximum(proba[:, _SUPPORTIVE], proba[:, _HOSTILE])
    stance = np.where(proba[:, _SUPPORTIVE] >= proba[:, _HOSTILE], SUPPORTIVE, HOSTILE)
    return threshold_curve(strength, stance == np.asarray(gold, dtype=object), n_gold, thresholds)


def threshold_curve(strength: np.ndarray, correct: np.ndarray, n_gold: int, thresholds: np.ndarray) -> np.ndarray:
    """(thresholds, 4) of precision, recall, F1 and predictions when every item whose `strength` reaches
    a threshold is predicted, `correct` says which predictions are right, and `n_gold` are to be found."""
    strength, correct = np.asarray(strength, dtype=float), np.asarray(correct, dtype=bool)
    order = np.argsort(-strength, kind="stable")
    sorted_strength, cumulative = strength[order], np.cumsum(correct[order])
    rows = []
    for threshold in thresholds:
        predicted = int(np.searchsorted(-sorted_strength, -threshold, side="right"))
        hits = int(cumulative[predicted - 1]) if predicted else 0
        precision = hits / predicted if predicted else 0.0
        recall = hits / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((precision, recall, f1, predicted))
    return np.asarray(rows, dtype=float).reshape(len(thresholds), 4)


def tune_rule(proba: np.ndarray, gold: np.ndarray, is_author: np.ndarray, n_gold: dict[str, int],
              thresholds: np.ndarray | None = None, tolerance: float = 0.0) -> tuple[DecisionRule, dict[str, float]]:
    """The thresholds that maximise each group's triplet F1 on labelled candidates, and the figures.

    Near the best, F1 is flat over a wide range of thresholds while the
    number of triplets halves; so each group takes the highest threshold
    whose F1 is within `tolerance` of its best (0: the best itself): fewer,
    surer triplets for the same F1, as the one-standard-error rule prefers
    the simpler model. Returns the rule and, per group, the chosen
    threshold's precision, recall, F1 and predictions
    (``{group}_rule_{precision,recall,f1,predicted,threshold}``) and the
    best F1 of the grid (``{group}_rule_best_f1``). A group without
    candidates keeps the argmax rule.
    """
    thresholds = np.round(np.arange(0.05, 0.96, 0.01), 2) if thresholds is None else np.asarray(thresholds)
    proba, gold, is_author = np.asarray(proba, dtype=float), np.asarray(gold, dtype=object), np.asarray(is_author, bool)
    chosen: dict[str, float | None] = {}
    figures: dict[str, float] = {}
    for group, members in (("entity", ~is_author), ("author", is_author)):
        if not members.any():
            chosen[group] = None
            continue
        curve = f1_curve(proba[members], gold[members], n_gold.get(group, 0), thresholds)
        best_f1 = float(curve[:, 2].max())
        near = np.flatnonzero(curve[:, 2] >= best_f1 - tolerance)
        best = int(near[np.argmax(thresholds[near])])
        chosen[group] = float(thresholds[best])
        figures |= {f"{group}_rule_threshold": float(thresholds[best]), f"{group}_rule_precision": curve[best, 0],
                    f"{group}_rule_recall": curve[best, 1], f"{group}_rule_f1": curve[best, 2],
                    f"{group}_rule_predicted": curve[best, 3], f"{group}_rule_best_f1": best_f1}
    return DecisionRule(chosen["entity"], chosen["author"]), figures


#: The columns :func:`article_evidence` gives per article and directed pair, besides the keys.
EVIDENCE_COLUMNS = ["n_claims", "n_supportive", "n_hostile", "support", "hostility"]
_CERTAIN = 1.0 - 1e-6  # a probability of one would make the noisy-or's log infinite


#: What :func:`evidence_sums` adds up per group: sums of several batches of rows add up again.
SUM_COLUMNS = ["n_claims", "n_supportive", "n_hostile", "log_not_support", "log_not_hostility"]


def evidence_sums(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of `keys` (an article and a directed pair), the :data:`SUM_COLUMNS`: the claims, the
    claims labelled supportive and hostile, and the sums of log(1 - p) of the claims' supportive and
    hostile probabilities. `rows` has the `keys`, ``p_supportive``, ``p_hostile`` and ``label`` (a
    claim-level label)."""
    return rows[keys].assign(
        n_claims=1, n_supportive=(rows["label"] == SUPPORTIVE).to_numpy(dtype="int64"),
        n_hostile=(rows["label"] == HOSTILE).to_numpy(dtype="int64"),
        log_not_support=np.log1p(-np.clip(rows["p_supportive"].to_numpy(dtype=float), 0.0, _CERTAIN)),
        log_not_hostility=np.log1p(-np.clip(rows["p_hostile"].to_numpy(dtype=float), 0.0, _CERTAIN)),
    ).groupby(keys, sort=False, dropna=False)[SUM_COLUMNS].sum().reset_index()


def article_evidence(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of `keys` (an article and a directed pair): the claims, the claims labelled supportive
    and hostile, and the noisy-or of the claims' supportive and hostile probabilities
    (:data:`EVIDENCE_COLUMNS`); `rows` as for :func:`evidence_sums`."""
    return combined_evidence(evidence_sums(rows, keys), keys)


def combined_evidence(sums: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """:data:`EVIDENCE_COLUMNS` from the :data:`SUM_COLUMNS` of :func:`evidence_sums` (those of several
    batches of one group added up first, where they came in batches)."""
    return sums[keys].assign(
        n_claims=sums["n_claims"].astype("int64"), n_supportive=sums["n_supportive"].astype("int64"),
        n_hostile=sums["n_hostile"].astype("int64"),
        support=-np.expm1(sums["log_not_support"].to_numpy(dtype=float)),
        hostility=-np.expm1(sums["log_not_hostility"].to_numpy(dtype=float)))


def article_labels(evidence: pd.DataFrame, is_author: np.ndarray, rule: DecisionRule) -> np.ndarray:
    """An article's stance of each pair of :func:`article_evidence` (LABELS names).

    With the group's article threshold: the larger combined strength when it reaches the threshold.
    Without: the stance of most of the pair's stanced claims (ties to the larger strength), neutral
    when none is stanced."""
    support = evidence["support"].to_numpy(dtype=float)
    hostility = evidence["hostility"].to_numpy(dtype=float)
    stance = np.where(support >= hostility, SUPPORTIVE, HOSTILE).astype(object)
    n_supportive, n_hostile = evidence["n_supportive"].to_numpy(), evidence["n_hostile"].to_numpy()
    by_claims = np.where(n_supportive > n_hostile, SUPPORTIVE, np.where(n_hostile > n_supportive, HOSTILE, stance))
    labels = np.where(n_supportive + n_hostile > 0, by_claims, NEUTRAL).astype(object)
    is_author = np.asarray(is_author, dtype=bool)
    for group, members in (("entity", ~is_author), ("author", is_author)):
        threshold = rule.article_threshold(group)
        if threshold is not None:
            labels[members] = np.where(np.maximum(support, hostility)[members] >= threshold, stance[members], NEUTRAL)
    return labels


def tune_article_rule(evidence: pd.DataFrame, gold: pd.Series, is_author: np.ndarray, n_gold: dict[str, int],
                      thresholds: np.ndarray | None = None) -> tuple[dict[str, float | None], dict[str, float]]:
    """The article thresholds that maximise each group's article-level triplet F1.

    `evidence` is :func:`article_evidence` of labelled candidates, `gold` per row the set of gold
    stances (LABELS names) that any of the pair's claims carries, `n_gold` the article-level gold
    triplets per group (a pair with both stances counts twice; one prediction can find only one).
    Returns ``{"entity": t, "author": t}`` (None for a group without pairs) and, per group, the
    chosen threshold's ``article_{group}_{precision,recall,f1,predicted,threshold}``."""
    thresholds = np.round(np.arange(0.05, 1.0, 0.01), 2) if thresholds is None else np.asarray(thresholds)
    strength = np.maximum(evidence["support"].to_numpy(dtype=float), evidence["hostility"].to_numpy(dtype=float))
    stance = np.where(evidence["support"].to_numpy() >= evidence["hostility"].to_numpy(), SUPPORTIVE, HOSTILE)
    correct = np.array([label in stances for label, stances in zip(stance, gold)], dtype=bool)
    is_author = np.asarray(is_author, dtype=bool)
    chosen: dict[str, float | None] = {}
    figures: dict[str, float] = {}
    for group, members in (("entity", ~is_author), ("author", is_author)):
        chosen[group] = None
        if members.any():
            curve = threshold_curve(strength[members], correct[members], n_gold.get(group, 0), thresholds)
            best = int(np.argmax(curve[:, 2]))
            chosen[group] = float(thresholds[best])
            figures |= {f"article_{group}_threshold": float(thresholds[best]),
                        f"article_{group}_precision": curve[best, 0], f"article_{group}_recall": curve[best, 1],
                        f"article_{group}_f1": curve[best, 2], f"article_{group}_predicted": curve[best, 3]}
    return chosen, figures


@dataclass(frozen=True)
class LabelledCandidates:
    """Candidate pairs of whole articles with their own-direction gold labels (SEESAW valid), for
    scoring a model's probabilities as the champion is crowned: triplet F1 under a tuned rule.

    `texts` are the candidates' marked texts, `gold` their LABELS names, `is_author` whether the
    source is the article's author, `n_gold` the gold triplets to find per group (those no
    candidate reaches count as missed)."""

    texts: tuple[str, ...]
    gold: np.ndarray
    is_author: np.ndarray
    n_gold: dict[str, int]

    def digest(self) -> str:
        """A short sha256 of what the rule is tuned and scored on (texts, gold labels, groups, gold counts):
        two runs' whole-article figures are comparable only when their digests agree."""
        hasher = hashlib.sha256(json.dumps(self.n_gold, sort_keys=True).encode())
        for text, gold, author in zip(self.texts, self.gold, self.is_author):
            hasher.update(f"{text}\x1f{gold}\x1f{int(author)}\x1e".encode())
        return hasher.hexdigest()[:16]

    def score(self, proba: np.ndarray) -> dict[str, float]:
        """The rule figures of :func:`tune_rule` for directed probabilities `proba` of the candidates."""
        if len(proba) != len(self.texts):
            raise ValueError(f"{len(proba)} probability rows for {len(self.texts)} candidates")
        return tune_rule(proba, self.gold, self.is_author, self.n_gold)[1]
