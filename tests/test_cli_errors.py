"""The command line's failures: one line naming the file, key or URI, no traceback unless asked for."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.__main__ import env_overrides, error_line, main, one_line
from pipeline.core.config import REPO_ROOT, ConfigError, load_config, parse_override
from pipeline.tracking.store import StoreError, check_store


@pytest.mark.parametrize("value", ["dir #1.txt", "*x.txt", "[d].txt", "{a}.txt", "x: y.txt", "&a", "!!python/name:os.system",
                                   "x; touch /tmp/p #", "'unbalanced", "-", "~", "null", "yes", "1.5", "%percent"])
def test_a_path_is_taken_as_written_never_parsed(value):
    assert parse_override(f"articles.input={value}") == (["articles", "input"], value)
    assert load_config("default", [f"articles.input={value}"]).articles.input == value


def test_a_text_value_in_quotes_loses_them():
    assert parse_override("examples.source_close=' '") == (["examples", "source_close"], " ")
    assert parse_override('articles.input="a b"') == (["articles", "input"], "a b")


def test_a_non_text_value_is_still_yaml():
    assert parse_override("train.tfidf.c_grid=[1, 2]")[1] == [1, 2]
    assert parse_override("train.seed=7")[1] == 7


@pytest.mark.parametrize("override", ["train.tfidf.c_grid=[1,", "train.seed={", "train.models=[a, b"])
def test_an_override_that_is_not_yaml_is_one_line_naming_it(override):
    with pytest.raises(ConfigError, match="is not valid YAML") as error:
        load_config("default", [override])
    assert override in str(error.value) and "\n" not in str(error.value)


def test_overrides_from_make_come_through_the_environment_without_a_shell():
    env = {"PIPELINE_INPUT": "x; touch /tmp/p #", "PIPELINE_ARGS": "train.seed=7 'articles.id_field=my id'"}
    assert env_overrides(env) == ["articles.input=x; touch /tmp/p #", "train.seed=7", "articles.id_field=my id"]
    with pytest.raises(ConfigError, match="PIPELINE_ARGS"):
        env_overrides({"PIPELINE_ARGS": "train.seed='7"})
    engine = env_overrides({"PIPELINE_ENGINE": "ray", "PIPELINE_ARGS": "predict.ray.num_cpus=1"})
    assert engine == ["predict.engine=ray", "predict.ray.num_cpus=1"]  # make's ENGINE, then ARGS
    assert load_config("default", engine).predict.engine == "ray"
    with pytest.raises(ConfigError, match="predict.engine"):
        load_config("default", env_overrides({"PIPELINE_ENGINE": "ray; touch /tmp/p"}))


def _cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    environ.pop("PIPELINE_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO_ROOT, env=environ,
                          capture_output=True, text=True, timeout=timeout)


def _config_file(tmp_path: Path, content: bytes) -> str:
    path = tmp_path / f"broken{len(list(tmp_path.iterdir()))}.yaml"
    path.write_bytes(content)
    return str(path)


def test_config_mistakes_are_one_line_without_a_traceback(tmp_path, capsys):
    cases = [
        (["config", "train.tfidf.c_grid=[1,"], "train.tfidf.c_grid=[1,"),
        (["config", "--config", _config_file(tmp_path, b"train: \xff\xfe\n")], "not UTF-8"),
        (["config", "--config", str(tmp_path / "missing.yaml")], "missing.yaml"),
        (["config", "--config", _config_file(tmp_path, b"train: [\n")], "not valid YAML at line"),
        (["config", "train.seed=abc"], "train.seed"),
        (["config", "nosuchkey=1"], "nosuchkey"),
    ]
    for args, named in cases:
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and named in err and err.count("\n") == 1, err


def test_a_stage_error_is_one_line_and_debug_shows_the_traceback(tmp_path):
    args = ["articles", f"articles.input={tmp_path / 'no such dir #1'}", f"paths.tables_dir={tmp_path}"]
    plain = _cli(*args)
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert plain.stderr.count("\n") == 1 and "no such dir #1" in plain.stderr
    debug = _cli(*args, "--debug")
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_pipeline_debug_env_shows_the_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pipeline", "articles", f"articles.input={tmp_path / 'nope'}",
                             f"paths.tables_dir={tmp_path}"], cwd=REPO_ROOT, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PIPELINE_DEBUG": "1"}, timeout=120)
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_stages_joined_by_commas_are_each_checked_and_alongside_is_for_predict(capsys):
    for args, named in ((["articles,nonsense"], "unknown stage 'nonsense'"), (["config,articles"], "unknown stage 'config'"),
                        (["pairs", "--alongside", "true"], "--alongside goes with predict"),
                        (["articles,train", "--family", "tfidf"], "--family goes with train or evaluate")):
        with pytest.raises(SystemExit) as exit_:
            main(args)
        assert exit_.value.code == 2 and named in capsys.readouterr().err


def test_the_command_line_exits_with_its_code_after_the_exit_handlers_ran(tmp_path):
    """exit_now skips the interpreter's teardown, not the exit handlers: an atexit hook still writes."""
    marker = tmp_path / "handler-ran"
    code = ("import atexit, pathlib, sys\n"
            "from pipeline.__main__ import exit_now\n"
            f"atexit.register(lambda: pathlib.Path(r'{marker}').write_text('yes'))\n"
            "print('out', end='')\n"
            "exit_now(3)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3 and done.stdout == "out" and marker.read_text() == "yes"


def test_an_unforeseen_error_is_still_one_line():
    line = error_line(ZeroDivisionError("division by zero"))
    assert "internal error (ZeroDivisionError" in line and "--debug" in line
    assert one_line("a\n  b\n\nc") == "a ; b ; c"


# ------------------------------------------------------------ the store ---

def test_read_only_commands_never_create_a_store(tmp_path):
    missing = tmp_path / "typo.db"
    with pytest.raises(StoreError, match="does not exist, and this command does not create one"):
        check_store(f"sqlite:///{missing}", create=False)
    check_store(f"sqlite:///{missing}", create=True)  # train may create it
    assert not missing.exists()


@pytest.mark.parametrize("make_uri, message", [
    (lambda d: f"sqlite:///{d / 'no' / 'such' / 'm.db'}", "folder .* does not exist"),
    (lambda d: f"sqlite:///{d}", "is a folder"),
    (lambda d: f"sqlite:///{_text_file(d)}", "is not an SQLite database"),
    (lambda d: "http://127.0.0.1:9", "cannot connect"),
])
def test_a_store_that_cannot_work_fails_at_once(tmp_path, make_uri, message):
    started = time.perf_counter()
    with pytest.raises(StoreError, match=message):
        check_store(make_uri(tmp_path), create=True)
    assert time.perf_counter() - started < 5


def _text_file(folder: Path) -> Path:
    path = folder / "notes.txt"
    path.write_text("not a database\n")
    return path


def test_predict_against_a_store_that_is_not_a_database_is_one_line_in_under_5_s(tmp_path):
    uri = f"sqlite:///{_text_file(tmp_path)}"
    started = time.perf_counter()
    result = _cli("predict", env={"MLFLOW_TRACKING_URI": uri})
    assert time.perf_counter() - started < 5 + 10  # the interpreter's imports, then the check
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == f"error: tracking store {uri}: {tmp_path / 'notes.txt'} is not an SQLite database; " \
                            "check mlflow.tracking_uri (or MLFLOW_TRACKING_URI)\n"


# ------------------------------------------------------------------ make ---

def test_make_passes_input_and_args_without_a_shell(tmp_path):
    marker = tmp_path / "pwned"
    state = tmp_path / "state"
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "predict", f"STATE={state}",
         f"INPUT=x; touch {marker} #", f"ARGS=paths.tables_dir={tmp_path}/t; touch {marker}"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert not marker.exists()
    assert str(marker) not in result.stdout  # the dry run's recipes do not carry the values
    real = subprocess.run(
        ["make", "--no-print-directory", "pairs", f"STATE={state}", f"INPUT=x; touch {marker} #",
         f"ARGS=paths.tables_dir={tmp_path}/t"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert real.returncode != 0 and not marker.exists()
    assert f"x; touch {marker} #" in real.stderr and "Traceback" not in real.stderr
