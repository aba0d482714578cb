"""Command line: ``python -m pipeline STAGE [--config NAME] [key.path=value ...]``."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from pipeline.core.config import (
    ConfigError,
    config_to_yaml,
    load_config,
    write_sections,
)
from pipeline.stages.plan import write_plan
from pipeline.tracking.server import store_busy_message

STAGES = {
    "fetch": "pipeline.stages.fetch:run",
    "ingest": "pipeline.stages.ingest:run",
    "examples": "pipeline.stages.examples:run",
    "train": "pipeline.stages.train:run",
    "evaluate": "pipeline.stages.evaluate:run",
    "champion": "pipeline.stages.evaluate:champion",
    "promote": "pipeline.stages.evaluate:promote",
    "ui": "pipeline.stages.ui:run",
    "encoder": "pipeline.stages.encoder:run",
    "articles": "pipeline.stages.frontend:articles",
    "claims": "pipeline.stages.frontend:claims",
    "actors": "pipeline.stages.frontend:actors",
    "pairs": "pipeline.stages.frontend:pairs",
    "show-claims": "pipeline.stages.frontend:show",
    "predict": "pipeline.stages.predict:run",
    "bench-frontend": "pipeline.bench.frontend:run",
    "bench-model": "pipeline.bench.model:run",
    "eval-e2e": "pipeline.bench.e2e:run",
    "seesaw-examples": "pipeline.stages.seesaw_examples:run",
}


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, load the config, run one stage."""
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    parser.add_argument("stage", choices=sorted([*STAGES, "config"]),
                        help="a stage, or 'config' to print the resolved config (with --sections-dir: "
                             "snapshot its sections for make)")
    parser.add_argument("--config", default="default", help="config name in configs/ or a YAML path")
    parser.add_argument("--sections-dir", type=Path, help="with 'config': where the section snapshots go")
    parser.add_argument("--family", action="append", dest="families",
                        help="with train or evaluate: this model family only (repeatable)")
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
            print(config_to_yaml(config), end="")
            return 0
        changed = write_sections(config, args.sections_dir) + write_plan(config, args.sections_dir)
        if changed:
            print(f"config {config.name}: changed sections: {', '.join(changed)}")
        return 0
    module_name, function_name = STAGES[args.stage].split(":")
    stage = getattr(importlib.import_module(module_name), function_name)
    if args.families and args.stage not in ("train", "evaluate"):
        parser.error("--family goes with train or evaluate")
    try:
        stage(config, families=args.families) if args.families else stage(config)
    except Exception as exc:
        message = store_busy_message(exc, config.tracking_uri)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
