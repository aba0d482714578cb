"""Shared fixtures: tiny tables built in the tests."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.config import load_config


@pytest.fixture
def config():
    """The default config, as a stage would see it."""
    return load_config("default")


def dse_row(row_id: str, text: str, p: str, q: str, label: int, split: str = "train") -> dict:
    """A dse_rows record for `text`, locating p and q by their first occurrences."""
    p_start = text.index(p)
    q_start = text.index(q, p_start + len(p))
    return {"row_id": row_id, "split": split, "line_no": int(row_id.rsplit("-", 1)[-1]), "text": text,
            "p": p, "q": q, "p_start": p_start, "p_end": p_start + len(p),
            "q_start": q_start, "q_end": q_start + len(q), "dse_label": label}


@pytest.fixture
def tiny_rows() -> pd.DataFrame:
    """A handful of DSE rows, one per class, with telling words."""
    texts = [
        ("Alice met Bob in Paris on Monday.", "Alice", "Bob", 0),
        ("Alice praised Bob for his courage.", "Alice", "Bob", 1),
        ("Alice was praised by Bob for her work.", "Alice", "Bob", 2),
        ("Alice condemned Bob over the attack.", "Alice", "Bob", 3),
        ("Alice was condemned by Bob over the leak.", "Alice", "Bob", 4),
    ]
    return pd.DataFrame([dse_row(f"dse-train-{i:05d}", t, p, q, y) for i, (t, p, q, y) in enumerate(texts, 1)])
