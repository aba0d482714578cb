"""The directed stance label scheme, defined once.

Stance is directed: the pair (source, target) asks what source thinks of
target. A DSE row with entities p and q yields two directed examples,
(p -> q) and (q -> p); its five classes map onto the two directed labels and
onto pair classes read relative to a marked source and target, so that
predictions can be scored like for like with published DSE results.
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


def five_to_directed(dse_class: int) -> tuple[str, str]:
    """Map a DSE class to (label of p -> q, label of q -> p)."""
    try:
        return _FIVE_TO_DIRECTED[int(dse_class)]
    except (KeyError, ValueError) as exc:
        raise ValueError(f"not a DSE class: {dse_class!r} (expected one of {DSE_CLASSES})") from exc


def encode_labels(labels: Sequence[str]) -> np.ndarray:
    """Label names to ids; an unknown name raises ValueError naming it."""
    unknown = sorted(set(labels) - set(LABEL2ID))
    if unknown:
        raise ValueError(f"unknown stance labels {unknown}; expected {list(LABELS)}")
    return np.array([LABEL2ID[label] for label in labels], dtype=np.int64)


# Pair classes: DSE's five classes read relative to a marked (source, target)
# pair instead of the (p, q) mention order. Models predict these; the directed
# label of (source -> target) and the DSE class of a row both derive from them.
PAIR_CLASS_NAMES: tuple[str, ...] = (
    "neutral",
    "source supports target",
    "target supports source",
    "source opposes target",
    "target opposes source",
)
#: The pair class of the same sentence with source and target swapped.
SWAP_PAIR_CLASS: np.ndarray = np.array([0, 2, 1, 4, 3])
_PAIR_CLASS_TO_LABEL = np.array([LABEL2ID[NEUTRAL], LABEL2ID[SUPPORTIVE], LABEL2ID[NEUTRAL],
                                 LABEL2ID[HOSTILE], LABEL2ID[NEUTRAL]])


def pair_class(dse_class: int, direction: str) -> int:
    """The pair class of a directed example: the DSE class, swapped for (q -> p)."""
    if direction not in ("pq", "qp"):
        raise ValueError(f"direction must be 'pq' or 'qp', got {direction!r}")
    five_to_directed(dse_class)  # validates
    return int(dse_class) if direction == "pq" else int(SWAP_PAIR_CLASS[int(dse_class)])


def directed_proba(pair_proba: np.ndarray) -> np.ndarray:
    """Pair-class probabilities (n, 5) -> directed label probabilities (n, 3), in LABELS order."""
    pair_proba = np.asarray(pair_proba, dtype=float)
    out = np.zeros((pair_proba.shape[0], len(LABELS)))
    for pair_cls, label_id in enumerate(_PAIR_CLASS_TO_LABEL):
        out[:, label_id] += pair_proba[:, pair_cls]
    return out
