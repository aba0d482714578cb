"""examples: gold corpus rows become directed examples the classifiers read.

A DSE-style row with entities p and q yields two directed examples, (p -> q)
and (q -> p), whose labels come from the five-class label by the fixed mapping
in :mod:`pipeline.core.labels`. The text marks the source and the target. Every
corpus adapter that provides gold examples gives them per split; the splits of
all such corpora are concatenated into ``examples_<split>``.
"""

from __future__ import annotations

import pandas as pd

from pipeline.core.config import ExamplesConfig
from pipeline.core.labels import five_to_directed
from pipeline.core.markers import mark_pair


def directed_examples(rows: pd.DataFrame, markers: ExamplesConfig) -> pd.DataFrame:
    """Two directed examples per DSE row, in row order, (p -> q) first."""
    records = []
    for row in rows.itertuples(index=False):
        p_span, q_span = (row.p_start, row.p_end), (row.q_start, row.q_end)
        label_pq, label_qp = five_to_directed(row.dse_label)
        for direction, source, target, spans, label in (
            ("pq", row.p, row.q, (p_span, q_span), label_pq),
            ("qp", row.q, row.p, (q_span, p_span), label_qp),
        ):
            records.append({
                "example_id": f"{row.row_id}-{direction}", "row_id": row.row_id, "split": row.split,
                "direction": direction, "source": source, "target": target,
                "text": mark_pair(row.text, *spans, markers), "label": label, "dse_label": int(row.dse_label),
            })
    return pd.DataFrame(records, columns=["example_id", "row_id", "split", "direction", "source",
                                          "target", "text", "label", "dse_label"])


def limit_rows(rows: pd.DataFrame, limit: int | None, seed: int) -> pd.DataFrame:
    """A seeded random subset of `limit` rows, in file order (DSE files are sorted by label,
    so the first rows alone would hold one class)."""
    if limit is None or limit >= len(rows):
        return rows
    return rows.sample(n=limit, random_state=seed).sort_index()


def merge_examples(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Examples per split from several corpora -> one table per split, corpora in order."""
    frames: dict[str, list[pd.DataFrame]] = {}
    for part in parts:
        for split, examples in part.items():
            frames.setdefault(split, []).append(examples)
    return {split: pd.concat(split_frames, ignore_index=True) for split, split_frames in frames.items()}
