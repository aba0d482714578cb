"""Progress lines: an ETA on long loops, periodic lines when stderr is not a terminal, off on request."""

from __future__ import annotations

import logging

from pipeline.core.progress import EVERY_ENV, eta_line, progress, progress_enabled


def test_the_eta_comes_from_the_rate_so_far():
    assert eta_line("spaCy", 100, 400, 10.0, "text") == "spaCy: 100/400 texts (25%), 10s elapsed, ETA 30s"
    assert eta_line("spaCy", 0, 400, 1.0, "text").endswith("ETA unknown")
    assert eta_line("e2e", 50, None, 10.0, "batch") == "e2e: 50 batches, 10s elapsed, 5.0 batch/s"


def test_off_a_terminal_a_line_is_logged_every_n_seconds(monkeypatch, caplog):
    monkeypatch.setenv(EVERY_ENV, "0")
    with caplog.at_level(logging.INFO, logger="pipeline.progress"):
        assert list(progress(range(3), "e2e labels", unit="batch")) == [0, 1, 2]
    assert [r.getMessage().split(",")[0] for r in caplog.records] == [
        "e2e labels: 1/3 batches (33%)", "e2e labels: 2/3 batches (67%)", "e2e labels: 3/3 batches (100%)"]


def test_progress_can_be_turned_off(monkeypatch, caplog):
    monkeypatch.setenv(EVERY_ENV, "0")
    monkeypatch.setenv("PIPELINE_PROGRESS", "0")
    assert not progress_enabled()
    with caplog.at_level(logging.INFO, logger="pipeline.progress"):
        assert list(progress(iter("ab"), "x")) == ["a", "b"]
    assert caplog.records == []
