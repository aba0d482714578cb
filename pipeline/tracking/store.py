"""The tracking store: checked before MLflow touches it, so a wrong URI fails at once and names itself.

MLflow creates a SQLite store wherever a URI points, and retries a file that
is not a database for well over a minute before raising SQLAlchemy's errors.
Commands that only read (predict, ui, the notebook) must find an existing
store; commands that create runs (train, evaluate, champion, promote, the
benchmarks) may create one, but only in a folder that exists. An HTTP store
must answer a TCP connect within a few seconds.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import mlflow

from pipeline.core.config import Config

SQLITE_MAGIC = b"SQLite format 3\x00"
CONNECT_TIMEOUT_S = 3.0


class StoreError(RuntimeError):
    """The tracking store cannot be used as configured; the message names the URI and what to do."""


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI; None for another scheme or an in-memory database."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri[len("sqlite:///"):].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def check_sqlite(uri: str, path: Path, create: bool) -> None:
    """A read-only command needs an existing SQLite file; a creating one needs at least its folder."""
    hint = "check mlflow.tracking_uri (or MLFLOW_TRACKING_URI)"
    if path.is_dir():
        raise StoreError(f"tracking store {uri}: {path} is a folder, not a database file; {hint}")
    if not path.exists():
        if not create:
            raise StoreError(f"tracking store {uri}: {path} does not exist, and this command does not create one; "
                             f"{hint}, or run make train first")
        if not path.parent.is_dir():
            raise StoreError(f"tracking store {uri}: folder {path.parent} does not exist; {hint}")
        return
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head and head != SQLITE_MAGIC:
        raise StoreError(f"tracking store {uri}: {path} is not an SQLite database; {hint}")


def check_http(uri: str) -> None:
    """An HTTP(S) tracking server must accept a TCP connection within CONNECT_TIMEOUT_S."""
    parsed = urlparse(uri)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname or "", port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise StoreError(f"tracking store {uri}: cannot connect to {parsed.hostname}:{port} ({exc}); "
                         "start the server or check mlflow.tracking_uri (or MLFLOW_TRACKING_URI)") from None
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")


def check_store(uri: str, create: bool) -> None:
    """Refuse a tracking URI that cannot work, in well under a second (a few for HTTP)."""
    path = sqlite_path(uri)
    if path is not None:
        check_sqlite(uri, path, create)
    elif uri.startswith(("http://", "https://")):
        check_http(uri)
    elif "://" not in uri or uri.startswith("file:"):
        folder = Path(urlparse(uri).path if uri.startswith("file:") else uri)
        if not create and not folder.is_dir():
            raise StoreError(f"tracking store {uri}: folder {folder} does not exist, and this command does not "
                             "create one; check mlflow.tracking_uri (or MLFLOW_TRACKING_URI)")


def open_store(config: Config, create: bool) -> str:
    """Check the configured store and point MLflow at it; return its URI."""
    uri = config.tracking_uri
    check_store(uri, create)
    mlflow.set_tracking_uri(uri)
    return uri
