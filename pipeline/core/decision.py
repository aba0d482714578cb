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
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np

from pipeline.core.labels import HOSTILE, LABELS, NEUTRAL, SUPPORTIVE

_SUPPORTIVE, _HOSTILE = LABELS.index(SUPPORTIVE), LABELS.index(HOSTILE)
GROUPS = ("entity", "author")


@dataclass(frozen=True)
class DecisionRule:
    """Thresholds on the larger stance probability; None in a group: the most probable label."""

    entity_threshold: float | None = None
    author_threshold: float | None = None

    def threshold(self, group: str) -> float | None:
        """The threshold of ``entity`` or ``author`` pairs."""
        if group not in GROUPS:
            raise ValueError(f"unknown group {group!r}; expected one of {GROUPS}")
        return self.entity_threshold if group == "entity" else self.author_threshold

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
    correct = stance == np.asarray(gold, dtype=object)
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
