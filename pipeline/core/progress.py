"""Progress of a long loop: a tqdm bar with an ETA on a terminal, a line every N seconds otherwise.

Every stage that may run over ten seconds (spaCy over a corpus, labelling
candidate pairs, predict) wraps its main loop in :func:`progress`. On a
terminal the bar goes to stderr; when stderr is not a terminal (make's logs,
CI) one line ``<desc>: n/total (p%), elapsed, ETA`` is logged every
``PIPELINE_PROGRESS_EVERY_S`` seconds (default 30). ``PIPELINE_PROGRESS=0``
turns both off.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")
log = logging.getLogger("pipeline.progress")
ENABLED_ENV, EVERY_ENV = "PIPELINE_PROGRESS", "PIPELINE_PROGRESS_EVERY_S"


def progress_enabled(enabled: bool = True) -> bool:
    """Whether to show progress: the caller's flag, unless ``PIPELINE_PROGRESS=0``."""
    return enabled and os.environ.get(ENABLED_ENV, "1") not in ("0", "false", "no")


def plural(unit: str) -> str:
    """The English plural of a unit name ("batch" -> "batches", "text" -> "texts")."""
    return unit + ("es" if unit.endswith(("s", "x", "ch", "sh")) else "s")


def eta_line(desc: str, done: int, total: int | None, elapsed: float, unit: str) -> str:
    """``desc: 120/400 articles (30%), 12s elapsed, ETA 28s``; without a total, the count and the rate."""
    if not total:
        return f"{desc}: {done} {plural(unit)}, {elapsed:.0f}s elapsed, {done / max(elapsed, 1e-9):.1f} {unit}/s"
    eta = elapsed / done * (total - done) if done else float("nan")
    eta_text = f"{eta:.0f}s" if done else "unknown"
    return f"{desc}: {done}/{total} {plural(unit)} ({100 * done / total:.0f}%), {elapsed:.0f}s elapsed, ETA {eta_text}"


def throughput_line(desc: str, articles: int, total: int, pairs: int, elapsed: float) -> str:
    """``desc: 120/400 articles (30%), 3,412 pairs; 4.00 articles/s, 113.7 pairs/s; 30s elapsed, ETA 70s``:
    a long predict job's articles and pairs done, its throughput and the time left at that pace."""
    rate = articles / max(elapsed, 1e-9)
    share = f" ({100 * articles / total:.0f}%)" if total else ""
    eta = f"{(total - articles) / rate:.0f}s" if articles and total else "unknown"
    return (f"{desc}: {articles:,}/{total:,} articles{share}, {pairs:,} pairs; {rate:.2f} articles/s, "
            f"{pairs / max(elapsed, 1e-9):.1f} pairs/s; {elapsed:.0f}s elapsed, ETA {eta}")


def _periodic(items: Iterable[T], desc: str, total: int | None, unit: str, every_s: float) -> Iterator[T]:
    began = last = time.monotonic()
    done = 0
    for item in items:
        yield item
        done += 1
        now = time.monotonic()
        if now - last >= every_s:
            log.info(eta_line(desc, done, total, now - began, unit))
            last = now


def progress(items: Iterable[T], desc: str, total: int | None = None, unit: str = "item",
             enabled: bool = True) -> Iterator[T]:
    """`items`, reporting progress to stderr as they are consumed (see the module docstring)."""
    if not progress_enabled(enabled):
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    if sys.stderr.isatty():
        from tqdm import tqdm

        yield from tqdm(items, desc=desc, total=total, unit=unit, file=sys.stderr, mininterval=1.0)
        return
    yield from _periodic(items, desc, total, unit, float(os.environ.get(EVERY_ENV, "30")))
