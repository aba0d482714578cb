"""Command line: ``python -m pipeline STAGE [--config NAME] [key.path=value ...]``.

A failure prints one line (what failed, the file, key or URI, what to do) and
exits non-zero; ``--debug`` or ``PIPELINE_DEBUG=1`` shows the traceback.
``make`` passes ``INPUT``, ``ENGINE`` and ``ARGS`` in the environment (``PIPELINE_INPUT``,
``PIPELINE_ENGINE``, ``PIPELINE_ARGS``), never through a shell command line.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import logging
import os
import shlex
import sys
import traceback
from pathlib import Path

import yaml

from pipeline.core.alongside import CommandAlongside
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
    "check-seed": "pipeline.stages.check_seed:run",
    "bench-frontend": "pipeline.bench.frontend:run",
    "bench-model": "pipeline.bench.model:run",
    "eval-e2e": "pipeline.bench.e2e:run",
    "eval-pairs": "pipeline.bench.pairs_given:run",
    "bench-e2e-speed": "pipeline.bench.speed:run",
    "bench-scale": "pipeline.bench.scale:run",
    "seesaw-examples": "pipeline.stages.seesaw_examples:run",
}


#: Environment variables make passes: the user input (``articles.input``), the engine of predict
#: (``predict.engine``) and extra overrides.
INPUT_ENV, ENGINE_ENV, ARGS_ENV, DEBUG_ENV = "PIPELINE_INPUT", "PIPELINE_ENGINE", "PIPELINE_ARGS", "PIPELINE_DEBUG"


def env_overrides(environ: dict[str, str]) -> list[str]:
    """Overrides from the environment: ``PIPELINE_INPUT`` and ``PIPELINE_ENGINE`` as they are,
    ``PIPELINE_ARGS`` split like a shell (no expansion), applied after them."""
    overrides = [f"articles.input={environ[INPUT_ENV]}"] if environ.get(INPUT_ENV) else []
    overrides += [f"predict.engine={environ[ENGINE_ENV]}"] if environ.get(ENGINE_ENV) else []
    try:
        return overrides + shlex.split(environ.get(ARGS_ENV, ""))
    except ValueError as exc:
        raise ConfigError(f"{ARGS_ENV} (make's ARGS) {environ[ARGS_ENV]!r}: {exc}; quote each override whole") from None


def one_line(text: str) -> str:
    """A message on one line: its lines joined, runs of blanks squeezed."""
    return " ".join(" ; ".join(line.strip() for line in str(text).splitlines() if line.strip()).split())


def error_line(exc: BaseException, tracking_uri: str | None = None) -> str:
    """One line that says what failed and where, for the errors a user can meet."""
    module = type(exc).__module__ or ""
    if isinstance(exc, ConfigError):
        return str(exc)
    if module.startswith(("mlflow", "sqlalchemy")):
        message = getattr(exc, "message", None) or str(exc)
        not_found = "RESOURCE_DOES_NOT_EXIST" in str(getattr(exc, "error_code", "")) or "not found" in message
        hint = "train and register a model first (make train)" if not_found else \
            "check mlflow.tracking_uri (or MLFLOW_TRACKING_URI)"
        return f"tracking store {tracking_uri or '?'}: {message.splitlines()[0] if message else type(exc).__name__}; {hint}"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, UnicodeDecodeError):
        return f"cannot decode text as {exc.encoding} (byte {exc.start}): {exc.reason}; save the file as UTF-8"
    if isinstance(exc, yaml.YAMLError):
        return f"not valid YAML: {getattr(exc, 'problem', None) or str(exc).splitlines()[0]}"
    if isinstance(exc, (ValueError, RuntimeError, KeyError, OSError, ImportError, AssertionError)):
        return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc) or type(exc).__name__
    return f"internal error ({type(exc).__name__}: {exc}); rerun with --debug for the traceback"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; turn a failure into one line on stderr (the traceback with --debug)."""
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    context: dict[str, str] = {}
    try:
        return run_command([a for a in argv if a != "--debug"], context)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001  (every failure ends as one line unless debugging)
        if debug:
            traceback.print_exc()
        print(f"error: {one_line(error_line(exc, context.get('tracking_uri')))}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1


def run_command(argv: list[str], context: dict[str, str]) -> int:
    """Parse the command line, load the config, run the stage (or the comma-separated stages, in turn)."""
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    parser.add_argument("stage", help="a stage, or 'config' to print the resolved config (with --sections-dir: "
                                      "snapshot its sections for make); stages joined by commas "
                                      "(articles,claims) run in turn in one process. One of: "
                                      + ", ".join(sorted([*STAGES, "config"])))
    parser.add_argument("--config", default="default", help="config name in configs/ or a YAML path")
    parser.add_argument("--sections-dir", type=Path, help="with 'config': where the section snapshots go")
    parser.add_argument("--family", action="append", dest="families",
                        help="with train or evaluate: this model family only (repeatable)")
    parser.add_argument("--alongside", metavar="COMMAND",
                        help="with predict (local engine): a command run while the model loads, typically make "
                             "building the front half's tables; predict reads them once it has succeeded")
    parser.add_argument("--debug", action="store_true", help="show the traceback of a failure (or PIPELINE_DEBUG=1)")
    parser.add_argument("overrides", nargs="*", help="key.path=value overrides, e.g. train.seed=7")
    args = parser.parse_intermixed_args(argv)
    stages = args.stage.split(",")
    unknown = [name for name in stages if name not in STAGES and not (name == "config" and len(stages) == 1)]
    if unknown:
        parser.error(f"unknown stage {', '.join(map(repr, unknown))}; choose from {', '.join(sorted([*STAGES, 'config']))}")
    if args.families and any(name not in ("train", "evaluate") for name in stages):
        parser.error("--family goes with train or evaluate")
    if args.alongside and stages != ["predict"]:
        parser.error("--alongside goes with predict")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = load_config(args.config, env_overrides(dict(os.environ)) + args.overrides)
    context["tracking_uri"] = config.tracking_uri
    if stages == ["config"]:
        if args.sections_dir is None:
            print(config_to_yaml(config), end="")
            return 0
        changed = write_sections(config, args.sections_dir) + write_plan(config, args.sections_dir)
        if changed:
            print(f"config {config.name}: changed sections: {', '.join(changed)}")
        return 0
    # Started before the stage's module is imported: predict's imports are much of its model's load.
    started = CommandAlongside(args.alongside) if args.alongside else None
    options = {"families": args.families} if args.families else {"alongside": started} if started else {}
    try:
        for name in stages:
            module_name, function_name = STAGES[name].split(":")
            getattr(importlib.import_module(module_name), function_name)(config, **options)
        if started is not None:
            started.wait()  # already ended, unless the stage failed first
    except Exception as exc:
        if started is not None:
            started.wait(check=False)  # the stage's failure is the one to report
        message = store_busy_message(exc, config.tracking_uri)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 1
    return 0


def exit_now(code: int) -> None:
    """Exit with `code` once the exit handlers have run (MLflow's, Ray's, multiprocessing's, logging's,
    temporary files'), skipping the interpreter's teardown of every module: after torch, transformers
    and MLflow are imported that teardown alone takes about 1.5 s, a sixth of `make predict` on one article."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
