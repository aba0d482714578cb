"""ui: serve the MLflow UI over the configured tracking store."""

from __future__ import annotations

import os
import shutil
import sys

from pipeline.core.config import Config
from pipeline.tracking.store import check_store


def ui_command(config: Config) -> list[str]:
    """The ``mlflow ui`` command line for the configured store and port (loopback only)."""
    mlflow = shutil.which("mlflow", path=os.path.dirname(sys.executable)) or "mlflow"
    return [mlflow, "ui", "--backend-store-uri", config.tracking_uri, "--host", "127.0.0.1",
            "--port", str(config.mlflow.ui_port)]


def run(config: Config) -> None:
    """Replace this process with the MLflow UI on http://127.0.0.1:<mlflow.ui_port>."""
    check_store(config.tracking_uri, create=False)
    command = ui_command(config)
    print(f"MLflow UI on http://127.0.0.1:{config.mlflow.ui_port} (store {config.tracking_uri}); Ctrl-C stops it",
          flush=True)
    os.execv(command[0], command)
