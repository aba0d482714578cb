"""Command line: ``python -m pipeline STAGE [--config NAME] [key.path=value ...]``."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from pathlib import Path

from pipeline.config import ConfigError, load_config, write_sections

STAGES = {
    "fetch": "pipeline.fetch:run",
    "ingest": "pipeline.ingest:run",
    "examples": "pipeline.examples:run",
    "train": "pipeline.train:run",
    "evaluate": "pipeline.evaluate:run",
    "encoder": "pipeline.encoders:run",
    "articles": "pipeline.ingest.articles:run",
    "claims": "pipeline.claims:run",
    "actors": "pipeline.actors:run",
    "pairs": "pipeline.pairs:run",
    "show-claims": "pipeline.pairs:show",
    "bench-frontend": "pipeline.bench_frontend:run",
    "bench-model": "pipeline.bench_model:run",
    "predict": "pipeline.predict:run",
    "eval-e2e": "pipeline.eval_e2e:run",
}


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, load the config, run one stage."""
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    parser.add_argument("stage", choices=sorted([*STAGES, "config"]),
                        help="a stage, or 'config' to snapshot the resolved config sections for make")
    parser.add_argument("--config", default="default", help="config name in configs/ or a YAML path")
    parser.add_argument("--sections-dir", type=Path, help="with 'config': where the section snapshots go")
    parser.add_argument("overrides", nargs="*", help="key.path=value overrides, e.g. train.seed=7")
    args = parser.parse_intermixed_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config, args.overrides)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.stage == "config":
        if args.sections_dir is None:
            parser.error("config needs --sections-dir")
        changed = write_sections(config, args.sections_dir)
        if changed:
            print(f"config {config.name}: changed sections: {', '.join(changed)}")
        return 0
    module_name, function_name = STAGES[args.stage].split(":")
    try:
        getattr(importlib.import_module(module_name), function_name)(config)
    except Exception as exc:
        from pipeline.server import store_busy_message

        message = store_busy_message(exc, config.tracking_uri)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
