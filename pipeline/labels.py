"""The directed stance label scheme, defined once.

Stance is directed: the pair (source, target) asks what source thinks of
target. A DSE row with entities p and q yields two directed examples,
(p -> q) and (q -> p); its five classes map onto the two directed labels and
back, so that predictions can be scored like for like with published DSE
results.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

SUPPORTIVE = "supportive"
HOSTILE = "hostile"
NEUTRAL = "neutral"

LABELS: tuple[str, ...] = (SUPPORTIVE, HOSTILE, NEUTRAL)
LABEL2ID: dict[str, int] = {label: i for i, label in enumerate(LABELS)}
ID2LABEL: dict[int, str] = {i: label for label, i in LABEL2ID.items()}

#: DSE's five upstream classes, in their numeric order.
DSE_CLASSES: tuple[int, ...] = (0, 1, 2, 3, 4)
DSE_CLASS_NAMES: tuple[str, ...] = (
    "0 neutral",
    "1 p+q",
    "2 q+p",
    "3 p-q",
    "4 q-p",
)

#: DSE class -> (label of p -> q, label of q -> p).
_FIVE_TO_DIRECTED: dict[int, tuple[str, str]] = {
    0: (NEUTRAL, NEUTRAL),
    1: (SUPPORTIVE, NEUTRAL),
    2: (NEUTRAL, SUPPORTIVE),
    3: (HOSTILE, NEUTRAL),
    4: (NEUTRAL, HOSTILE),
}
_DIRECTED_TO_FIVE: dict[tuple[str, str], int] = {v: k for k, v in _FIVE_TO_DIRECTED.items()}


def five_to_directed(dse_class: int) -> tuple[str, str]:
    """Map a DSE class to (label of p -> q, label of q -> p)."""
    try:
        return _FIVE_TO_DIRECTED[int(dse_class)]
    except (KeyError, ValueError) as exc:
        raise ValueError(f"not a DSE class: {dse_class!r} (expected one of {DSE_CLASSES})") from exc


def directed_to_five(label_pq: str, label_qp: str) -> int:
    """Map the two directed labels of a DSE row back to its five-class label.

    Only the five combinations DSE can express are accepted; a pair in which
    both directions are non-neutral has no DSE class and raises ValueError
    (use :func:`decode_five` to resolve predicted probabilities).
    """
    try:
        return _DIRECTED_TO_FIVE[(label_pq, label_qp)]
    except KeyError as exc:
        raise ValueError(
            f"({label_pq!r}, {label_qp!r}) has no DSE class: at most one direction may be non-neutral"
        ) from exc


def decode_five(proba_pq: np.ndarray, proba_qp: np.ndarray) -> np.ndarray:
    """Joint five-class decision from the directed probabilities of both directions.

    Each of the five DSE configurations is scored as the product of its two
    directed probabilities, and the best valid configuration wins, so a model
    that is unsure about one direction cannot produce an impossible pair.
    Returns the scores, shape (n, 5), normalised to sum to one per row.
    """
    proba_pq = np.asarray(proba_pq, dtype=float)
    proba_qp = np.asarray(proba_qp, dtype=float)
    if proba_pq.shape != proba_qp.shape or proba_pq.ndim != 2 or proba_pq.shape[1] != len(LABELS):
        raise ValueError(f"expected two arrays of shape (n, {len(LABELS)}), got {proba_pq.shape} and {proba_qp.shape}")
    scores = np.empty((proba_pq.shape[0], len(DSE_CLASSES)))
    for dse_class, (label_pq, label_qp) in _FIVE_TO_DIRECTED.items():
        scores[:, dse_class] = proba_pq[:, LABEL2ID[label_pq]] * proba_qp[:, LABEL2ID[label_qp]]
    totals = scores.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    return scores / totals


def encode_labels(labels: Sequence[str]) -> np.ndarray:
    """Label names to ids; an unknown name raises ValueError naming it."""
    unknown = sorted(set(labels) - set(LABEL2ID))
    if unknown:
        raise ValueError(f"unknown stance labels {unknown}; expected {list(LABELS)}")
    return np.array([LABEL2ID[label] for label in labels], dtype=np.int64)
