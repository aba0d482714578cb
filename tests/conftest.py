"""Shared fixtures: tiny tables built in the tests, and one smoke run of `make train` per session."""

from __future__ import annotations

import os
import subprocess
import time

import pandas as pd
import pytest

from pipeline.core.config import REPO_ROOT, ClaimsConfig, load_config
from pipeline.frontend.actors import load_dictionary
from pipeline.frontend.nlp import load_nlp


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


@pytest.fixture(scope="session")
def nlp():
    """The spaCy pipeline the front half uses by default, loaded once."""
    return load_nlp(ClaimsConfig().spacy_model)


@pytest.fixture(scope="session")
def dictionary():
    """The default actor dictionary."""
    return load_dictionary(load_config("default").actors.dictionary)


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


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """Run `make train CONFIG=smoke` once, with every output under a temporary folder."""
    root = tmp_path_factory.mktemp("smoke")
    tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
    overrides = [f"paths.raw_dir={root / 'raw'}", f"paths.tables_dir={root / 'tables'}",
                 f"paths.outputs_dir={root / 'outputs'}", f"mlflow.artifact_location={root / 'mlruns'}"]
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri}
    command = ["make", "--no-print-directory", "train", "CONFIG=smoke", f"STATE={root / 'state'}",
               f"ARGS={' '.join(overrides)}"]
    started = time.perf_counter()
    first = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    second = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr[-3000:]
    config = load_config("smoke", overrides)
    return {"root": root, "tracking_uri": tracking_uri, "config": config, "seconds": seconds,
            "first": first.stdout, "second": second.stdout, "overrides": overrides, "env": env}


@pytest.fixture(scope="session")
def smoke_predict(smoke_run):
    """`make predict` on the seed with the smoke run's champion, outputs under the smoke folder."""
    overrides = [*smoke_run["overrides"], "predict.progress=false"]
    command = ["make", "--no-print-directory", "predict", "CONFIG=smoke", f"STATE={smoke_run['root'] / 'state'}",
               f"ARGS={' '.join(overrides)}"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, env=smoke_run["env"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    config = load_config("smoke", overrides)
    return {"config": config, "out": config.outputs_dir / config.predict.output_subdir, "stdout": done.stdout,
            "seconds": time.perf_counter() - started}


@pytest.fixture(scope="session")
def smoke_e2e(smoke_run):
    """`make eval-e2e` on the first SEESAW valid articles with the smoke run's models."""
    overrides = [*smoke_run["overrides"], "e2e.limit_articles=4"]
    command = ["make", "--no-print-directory", "eval-e2e", "CONFIG=smoke", f"STATE={smoke_run['root'] / 'state'}",
               f"ARGS={' '.join(overrides)}"]
    done = subprocess.run(command, cwd=REPO_ROOT, env=smoke_run["env"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {"config": load_config("smoke", overrides), "stdout": done.stdout}


#: Fixtures that run `make train` (or build on its run): their tests are marked `train`.
_TRAIN_FIXTURES = {"smoke_run", "smoke_predict", "smoke_e2e"}


def pytest_collection_modifyitems(config, items):
    """Mark the tests that need the smoke run `train`, so `make test-fast` can leave them out."""
    for item in items:
        if _TRAIN_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.train)
