"""The pure parts of the team server and its client side, without starting anything."""

from __future__ import annotations

import configparser
import os
import socket
from pathlib import Path

import pytest
import sqlalchemy.exc

from pipeline.core.config import load_config
from pipeline.tracking import runs, server


def test_settings_from_the_environment_and_one_line_errors():
    settings = server.settings_from_env({"SERVER_PORT": "5123", "SERVER_HOST": "0.0.0.0", "SERVER_DIR": "x/y"})
    assert settings.port == 5123 and settings.url == "http://127.0.0.1:5123"
    assert settings.root == server.REPO_ROOT / "x" / "y" and settings.pgdata == settings.root / "postgres"
    assert server.settings_from_env({}).root == server.DEFAULT_ROOT and server.settings_from_env({}).port == 5000
    with pytest.raises(server.ServerError, match="SERVER_PORT='http' is not a port"):
        server.settings_from_env({"SERVER_PORT": "http"})
    with pytest.raises(server.ServerError, match="SERVER_DEFAULT_PERMISSION='ALL' is not one of"):
        server.settings_from_env({"SERVER_DEFAULT_PERMISSION": "all"})


def test_no_secret_on_the_command_line_or_in_the_auth_config(tmp_path):
    settings = server.ServerSettings(root=tmp_path / "a b%c", port=5111, pg_port=5999)
    command = server.mlflow_command(settings)
    assert command[command.index("--backend-store-uri") + 1] == server.store_uri(settings)
    assert {"--serve-artifacts", "--app-name", "basic-auth"} <= set(command)
    assert command[command.index("--artifacts-destination") + 1] == str(settings.artifacts)
    assert "@/mlflow?" in server.store_uri(settings) and ":" not in server.store_uri(settings).split("//")[1].split("@")[0]
    parser = configparser.ConfigParser()
    parser.read_string(server.auth_config_text(settings))  # '%' from the quoted path survives interpolation
    assert parser["mlflow"]["database_uri"] == server.store_uri(settings, server.AUTH_DB)
    assert "admin_password" not in parser["mlflow"] and parser["mlflow"]["default_permission"] == "READ"


def test_secrets_are_created_once_with_mode_600(tmp_path):
    path = tmp_path / "secret"
    value, created = server.read_or_create_secret(path)
    assert created and len(value) >= 24 and path.stat().st_mode & 0o777 == 0o600
    assert server.read_or_create_secret(path) == (value, False)
    assert server.read_or_create_secret(path, "from-the-environment") == ("from-the-environment", False)
    assert not list(tmp_path.glob(".*tmp"))


def test_only_recorded_live_processes_of_this_server_count(tmp_path):
    settings = server.ServerSettings(root=tmp_path)
    tmp_path.mkdir(exist_ok=True)
    settings.mlflow_pid_file.write_text(f"{os.getpid()}\n")  # alive, but not an mlflow server of this folder
    settings.postgres_pid_file.write_text("not a pid\n")
    assert server.running_mlflow(settings) is None and server.running_postgres(settings) is None
    assert server.stop(settings, quiet=True) == []
    assert not settings.mlflow_pid_file.exists()


def test_experiments_on_a_server_get_no_local_artifact_location(monkeypatch):
    config = load_config("smoke")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert runs.experiment_artifact_location(config, "dse-stance") is None
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    assert runs.experiment_artifact_location(config, "dse-stance").endswith("/mlruns/dse-stance")


def test_an_unreachable_server_is_one_line_naming_it():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at the end of the block: nothing listens there
    uri = f"http://127.0.0.1:{port}"
    with pytest.raises(SystemExit, match=f"the MLflow tracking server {uri} is not reachable: start it with `make server`"):
        server.check_tracking_server(uri, timeout=2)
    server.check_tracking_server("sqlite:///mlflow.db")  # local stores are not checked


def test_a_locked_sqlite_store_is_one_line():
    try:
        try:
            raise sqlalchemy.exc.OperationalError("INSERT", {}, Exception("database is locked"))
        except sqlalchemy.exc.OperationalError as inner:
            raise RuntimeError("log_batch failed") from inner
    except RuntimeError as exc:
        message = server.store_busy_message(exc, "sqlite:////x/mlflow.db")
    assert message.startswith("error: the SQLite store sqlite:////x/mlflow.db is busy") and "make server" in message
    assert server.store_busy_message(ValueError("database is locked"), "http://h:5000") is None
    assert server.store_busy_message(ValueError("other"), "sqlite:///m.db") is None


def test_postgres_binaries_are_found_or_named():
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        with pytest.raises(server.ServerError, match="make setup-postgres"):
            server.postgres_bin("initdb")
    else:
        assert server.postgres_bin("initdb").name == "initdb"
