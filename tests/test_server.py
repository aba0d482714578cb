"""The team tracking server for real: PostgreSQL and `mlflow server` with logins and the artifact proxy,
started by pipeline/tracking/server.py in a temporary folder on free ports; `make train` and `make predict`
against it; logins and permissions; two trainings at once (server and SQLite); moving a SQLite store
into a server; the MLflow UI logged in. Everything started is stopped and its PIDs checked gone.

Needs Debian's postgresql (`make setup-postgres`; `make test` runs it first). Select with `-m server`.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from pipeline.core.config import REPO_ROOT, load_config
from pipeline.tracking import server

pytestmark = pytest.mark.server
TRAIN_TIMEOUT = 600



def children(pid: int) -> list[int]:
    """Live direct children of a process."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            found.append(int(stat.parent.name))
    return found


def started_pids(settings: server.ServerSettings) -> list[int]:
    """Every process the server runs now: mlflow's process group and the postmaster with its children."""
    mlflow_pid, postgres_pid = server.running_mlflow(settings), server.running_postgres(settings)
    assert mlflow_pid and postgres_pid
    return sorted({*server.group_members(mlflow_pid), postgres_pid, *children(postgres_pid)})


def start_server(prefix: str) -> tuple[server.ServerSettings, dict, Path]:
    """A server in a fresh temporary folder the `postgres` user can traverse, on free ports."""
    top = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    top.chmod(0o711)
    settings = server.ServerSettings(root=top / "server", port=server.free_port(), pg_port=server.free_port(), workers=2)
    try:
        info = server.start(settings, quiet=True)
    except BaseException:
        server.stop(settings, quiet=True)
        shutil.rmtree(top, ignore_errors=True)
        raise
    return settings, info, top


def stop_server(settings: server.ServerSettings, top: Path) -> None:
    """Stop it and check that every process it ran is gone and the port is closed."""
    pids = started_pids(settings)
    ended = server.stop(settings, quiet=True)
    assert set(pids) <= set(ended) | {p for p in pids if not server.process_cmdline(p)}
    assert not [p for p in pids if server.process_cmdline(p)], "server processes left running"
    assert not server.port_in_use(settings.host, settings.port)
    assert not settings.mlflow_pid_file.exists() and not settings.postgres_pid_file.exists()
    shutil.rmtree(top, ignore_errors=True)


def request(url: str, body: dict | None = None, auth: tuple[str, str] | None = None,
            method: str | None = None) -> tuple[int, dict]:
    """(status, JSON) of a REST call, with basic auth when given."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"),
                                 headers={"Content-Type": "application/json"})
    if auth:
        req.add_header("Authorization", server.basic_auth_header(*auth))
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {}


def make_train(smoke_run: dict, root: Path, env: dict, extra: list[str], background: bool = False):
    """`make train CONFIG=smoke` on the session smoke run's tables, with its own name (so its own
    outputs), its own make state, `extra` overrides and `env` (the tracking store).

    The data stages (fetch, ingest, examples) are the smoke run's: its make state is copied with
    the tables' times, so make runs train, evaluate and champion, the stages that talk to MLflow,
    and nothing is rebuilt under the shared tables folder."""
    state = root / "state"
    shutil.copytree(smoke_run["root"] / "state", state)
    (state / "champion.done").unlink(missing_ok=True)
    overrides = [*smoke_run["overrides"], *extra]
    command = ["make", "--no-print-directory", "train", "CONFIG=smoke", f"STATE={state}", f"ARGS={' '.join(overrides)}"]
    if background:
        return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True), overrides
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=TRAIN_TIMEOUT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "pipeline fetch" not in done.stdout and "pipeline train" in done.stdout
    return done, overrides


@contextmanager
def tracking_at(uri: str, username: str | None = None, password: str | None = None):
    """This process's MLflow pointed at `uri` (with credentials) for a while; the environment and
    MLflow's global tracking URI restored afterwards."""
    import mlflow
    from mlflow.tracking._tracking_service import utils

    names = ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")
    saved_env, saved_uri = {k: os.environ.get(k) for k in names}, utils._tracking_uri
    for key, value in zip(names, (uri, username, password)):
        os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(saved_uri)
        for key, value in saved_env.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


def client_env(url: str, username: str, password: str) -> dict:
    return {**os.environ, "MLFLOW_TRACKING_URI": url, "MLFLOW_TRACKING_USERNAME": username,
            "MLFLOW_TRACKING_PASSWORD": password}


@pytest.fixture(scope="session")
def team_server():
    """PostgreSQL + MLflow (basic-auth, artifact proxy) for the session; stopped, PIDs checked, at the end."""
    settings, info, top = start_server("stance-server-")
    try:
        yield {"settings": settings, "url": info["url"], "admin": (info["username"], info["password"]),
               "top": top, "env": client_env(info["url"], info["username"], info["password"])}
    finally:
        stop_server(settings, top)


@pytest.fixture(scope="session")
def server_smoke(team_server, smoke_run):
    """`make train CONFIG=smoke` against the server, as its admin (runs named smoke-server-*)."""
    root = team_server["top"] / "smoke"
    started = time.perf_counter()
    done, overrides = make_train(smoke_run, root, team_server["env"], ["name=smoke-server", "train.tfidf.c_grid=[16.0]"])
    return {"root": root, "overrides": overrides, "config": load_config("smoke", overrides), "stdout": done.stdout,
            "seconds": time.perf_counter() - started}


def test_start_is_idempotent_and_keeps_secrets_private(team_server):
    settings = team_server["settings"]
    before = server.running_mlflow(settings), server.running_postgres(settings)
    again = server.start(settings, quiet=True)  # a second start finds both running and starts nothing
    assert (again["mlflow_pid"], again["postgres_pid"]) == before and all(before)
    for secret in (settings.admin_password_file, settings.db_password_file, settings.flask_secret_file):
        assert secret.stat().st_mode & 0o777 == 0o600
    assert settings.admin_password_file.read_text().strip() == team_server["admin"][1]
    assert team_server["admin"][1] not in settings.auth_config.read_text()
    owner = (settings.pgdata / "PG_VERSION").stat().st_uid
    assert owner != 0 or os.geteuid() != 0, "the cluster must not belong to root"
    status = server.status(settings)
    assert status["healthy"] and status["postgres_pid"] and status["mlflow_pid"]


def test_make_train_logs_runs_models_and_champion_on_the_server(team_server, server_smoke):
    import mlflow
    from mlflow.tracking import MlflowClient

    config = server_smoke["config"]
    with tracking_at(team_server["url"], *team_server["admin"]):
        client = MlflowClient(tracking_uri=team_server["url"], registry_uri=team_server["url"])
        experiment = client.get_experiment_by_name(config.mlflow.experiment)
        assert experiment.artifact_location.startswith("mlflow-artifacts:")
        runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
        assert set(runs) == {f"{config.name}-majority", f"{config.name}-tfidf"}
        tfidf = runs[f"{config.name}-tfidf"]
        assert tfidf.info.status == "FINISHED" and 0 < tfidf.data.metrics["test_macro_f1"] <= 1
        assert {d.dataset.name for d in tfidf.inputs.dataset_inputs} == {"dse-train", "dse-valid", "dse-test"}
        search = client.get_metric_history(tfidf.info.run_id, "search_valid_macro_f1")
        assert [m.step for m in search] == list(range(len(server_smoke["config"].train.tfidf.c_grid)))
        versions = client.search_model_versions(f"name = '{config.mlflow.registered_model}'")
        assert {v.tags["model_family"] for v in versions} == {"majority", "tfidf"}
        champion = client.get_model_version_by_alias(config.mlflow.registered_model, config.mlflow.champion_alias)
        assert champion.run_id == tfidf.info.run_id  # tfidf beats the majority class on valid macro-F1

        # An artifact through the proxy equals the file the evaluate stage wrote; nothing local under mlruns.
        local = Path(client.download_artifacts(tfidf.info.run_id, "evaluation/test_metrics.json",
                                               str(team_server["top"] / "download")))
        written = config.outputs_dir / "reports" / "tfidf" / "test_metrics.json"
        assert json.loads(local.read_text()) == json.loads(written.read_text())
        assert list(team_server["settings"].artifacts.rglob("test_metrics.json"))
        assert tfidf.info.artifact_uri.startswith("mlflow-artifacts:")
        assert not list(Path(config.mlflow.artifact_location).rglob(tfidf.info.run_id))  # nothing written locally
        model = mlflow.pyfunc.load_model(f"models:/{config.mlflow.registered_model}@{config.mlflow.champion_alias}")
        out = model.predict(pd.DataFrame({"text": ["<src>Alice</src> praised <tgt>Bob</tgt>."]}))
        assert list(out.columns[:2]) == ["label", "confidence"]


def test_make_predict_reads_the_champion_from_the_server(team_server, server_smoke):
    overrides = [*server_smoke["overrides"], "predict.progress=false"]
    done = subprocess.run(["make", "--no-print-directory", "predict", "CONFIG=smoke",
                           f"STATE={server_smoke['root'] / 'state'}", f"ARGS={' '.join(overrides)}"],
                          cwd=REPO_ROOT, env=team_server["env"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    config = load_config("smoke", overrides)
    out = config.outputs_dir / config.predict.output_subdir
    summary = json.loads((out / "predict_summary.json").read_text())
    assert summary["tracking_uri"] == team_server["url"] and summary["model_family"] == "tfidf"
    stances = pd.read_parquet(out / "stances.parquet")
    assert len(stances) > 0 and set(stances["label"]) <= {"supportive", "hostile", "neutral"}


def test_without_a_login_the_api_answers_401_and_a_reader_cannot_write(team_server, server_smoke):
    api = f"{team_server['url']}/api/2.0/mlflow"
    admin = team_server["admin"]
    config = server_smoke["config"]
    assert request(f"{api}/experiments/search?max_results=5")[0] == 401
    assert request(f"{api}/runs/search", {"experiment_ids": ["1"]})[0] == 401
    assert request(f"{api}/experiments/search?max_results=5", auth=(admin[0], "wrong-password-123"))[0] == 401

    reader = ("reader", "reader-password-0123")
    status, _ = request(f"{api}/users/create", {"username": reader[0], "password": reader[1]}, auth=admin)
    assert status == 200
    name = config.mlflow.registered_model
    # READ is the server's default permission; granted explicitly too, as docs/server.md shows.
    grant = f"{team_server['url']}/api/3.0/mlflow/users/permissions/grant"
    assert request(grant, {"username": reader[0], "resource_type": "registered_model", "resource_id": name,
                           "permission": "READ"}, auth=admin)[0] == 200
    status, experiment = request(f"{api}/experiments/get-by-name?experiment_name={config.mlflow.experiment}",
                                 auth=reader)
    assert status == 200
    status, found = request(f"{api}/runs/search", {"experiment_ids": [experiment["experiment"]["experiment_id"]]},
                            auth=reader)
    assert status == 200 and {f"{config.name}-majority", f"{config.name}-tfidf"} <= {
        r["info"]["run_name"] for r in found["runs"]}
    status, champion = request(f"{api}/registered-models/alias?name={name}&alias=champion", auth=reader)
    assert status == 200
    version = champion["model_version"]
    assert request(f"{api}/model-versions/create", {"name": name, "source": version["source"],
                                                    "run_id": version["run_id"]}, auth=reader)[0] == 403
    assert request(f"{api}/registered-models/alias", {"name": name, "alias": "champion", "version": "1"},
                   auth=reader)[0] == 403
    assert request(f"{api}/runs/create", {"experiment_id": experiment["experiment"]["experiment_id"]},
                   auth=reader)[0] == 403
    # Nothing changed: same champion, same number of versions.
    assert request(f"{api}/registered-models/alias?name={name}&alias=champion", auth=admin)[1] == champion
    assert len(request(f"{api}/model-versions/search?filter=name%3D%27{name}%27", auth=admin)[1]["model_versions"]) == 2


def _two_trainings_at_once(smoke_run: dict, root: Path, env: dict, extra: list[str] = ()) -> tuple[list[str], dict]:
    """Two `make train CONFIG=smoke` started together, one TF-IDF (the better), one majority class,
    into their own experiment and registered model; returns their outputs and the resolved names."""
    names = ["mlflow.experiment=concurrent", "mlflow.registered_model=concurrent-stance",
             "train.tfidf.c_grid=[16.0]", "evaluate.bootstrap_samples=50", *extra]
    jobs = [make_train(smoke_run, root / tag, env, [*names, f"name=conc-{tag}", f"model={family}"], background=True)
            for tag, family in (("good", "tfidf"), ("poor", "majority"))]
    outputs = [job.communicate(timeout=TRAIN_TIMEOUT)[0] for job, _ in jobs]
    for (job, _), output in zip(jobs, outputs):
        assert job.returncode == 0, output[-4000:]
    return outputs, load_config("smoke", jobs[0][1]).mlflow


def _check_two_whole_runs_and_the_better_champion(tracking_uri: str, settings) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    experiment = client.get_experiment_by_name(settings.experiment)
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 2
    for run in runs:
        assert run.info.status == "FINISHED"
        assert {"valid_macro_f1", "test_macro_f1", "test_macro_f1_ci_low"} <= set(run.data.metrics)
        assert len(run.inputs.dataset_inputs) == 3
        assert {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")} >= {
            "evaluation/test_metrics.json", "evaluation/test_predictions.parquet"}
    versions = client.search_model_versions(f"name = '{settings.registered_model}'")
    assert sorted(v.run_id for v in versions) == sorted(r.info.run_id for r in runs)
    assert sorted(v.tags.get("model_family") for v in versions) == ["majority", "tfidf"]
    best = max(runs, key=lambda r: r.data.metrics["valid_macro_f1"])
    worst = min(runs, key=lambda r: r.data.metrics["valid_macro_f1"])
    assert best.data.metrics["valid_macro_f1"] > worst.data.metrics["valid_macro_f1"]
    champion = client.get_model_version_by_alias(settings.registered_model, settings.champion_alias)
    assert champion.run_id == best.info.run_id


def test_two_trainings_at_once_against_the_server(team_server, smoke_run):
    root = team_server["top"] / "concurrent"
    _, settings = _two_trainings_at_once(smoke_run, root, team_server["env"])
    with tracking_at(team_server["url"], *team_server["admin"]):
        _check_two_whole_runs_and_the_better_champion(team_server["url"], settings)


def test_two_trainings_at_once_against_sqlite(smoke_run, tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    _, settings = _two_trainings_at_once(smoke_run, tmp_path, env, [f"mlflow.artifact_location={tmp_path / 'mlruns'}"])
    with tracking_at(uri):
        _check_two_whole_runs_and_the_better_champion(uri, settings)


def test_migrate_a_sqlite_store_into_a_server(smoke_run):
    """`make migrate-store` copies the smoke run's SQLite store into a fresh server; a second call copies
    nothing; the server stopped and started again still has it all."""
    import mlflow
    from mlflow.tracking import MlflowClient

    settings, info, top = start_server("stance-migrate-")
    try:
        env = client_env(info["url"], info["username"], info["password"])
        command = ["make", "--no-print-directory", "migrate-store", f"FROM={smoke_run['tracking_uri']}"]
        first = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        second = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0 and " 0 runs copied" in second.stdout and " 0 model versions" in second.stdout

        with tracking_at(info["url"], info["username"], info["password"]):
            source = MlflowClient(tracking_uri=smoke_run["tracking_uri"], registry_uri=smoke_run["tracking_uri"])
            target = MlflowClient(tracking_uri=info["url"], registry_uri=info["url"])
            name = smoke_run["config"].mlflow.experiment
            src_exp, dst_exp = source.get_experiment_by_name(name), target.get_experiment_by_name(name)
            assert dst_exp.artifact_location.startswith("mlflow-artifacts:")
            src_runs = {r.info.run_id: r for r in source.search_runs([src_exp.experiment_id])}
            dst_runs = {r.data.tags["migrated_from_run_id"]: r for r in target.search_runs([dst_exp.experiment_id])}
            assert set(dst_runs) == set(src_runs)
            for run_id, src in src_runs.items():
                dst = dst_runs[run_id]
                assert dst.info.run_name == src.info.run_name and dst.info.status == src.info.status
                assert (dst.info.start_time, dst.info.end_time) == (src.info.start_time, src.info.end_time)
                assert dst.data.params == src.data.params and dst.data.metrics == src.data.metrics
                assert {k: v for k, v in dst.data.tags.items() if not k.startswith("migrat")} == src.data.tags
                for key in src.data.metrics:
                    copied_steps = [(m.step, m.value, m.timestamp)
                                    for m in target.get_metric_history(dst.info.run_id, key)]
                    source_steps = [(m.step, m.value, m.timestamp)
                                    for m in source.get_metric_history(run_id, key)]
                    assert sorted(copied_steps) == sorted(source_steps) != []
                digests = lambda r: sorted((d.dataset.name, d.dataset.digest) for d in r.inputs.dataset_inputs)  # noqa: E731
                assert digests(dst) == digests(src) and len(digests(src)) == 3
                listing = lambda c, r: sorted(a.path for a in c.list_artifacts(r, "evaluation"))  # noqa: E731
                assert listing(target, dst.info.run_id) == listing(source, run_id) != []
            model = smoke_run["config"].mlflow.registered_model
            src_versions = {str(v.version): v for v in source.search_model_versions(f"name = '{model}'")}
            dst_versions = {v.tags["migrated_from_version"]: v for v in target.search_model_versions(f"name = '{model}'")}
            assert set(dst_versions) == set(src_versions)
            for number, src in src_versions.items():
                dst = dst_versions[number]
                assert dst_runs[src.run_id].info.run_id == dst.run_id
                assert {k: v for k, v in dst.tags.items() if k != "migrated_from_version"} == src.tags
            src_alias = source.get_model_version_by_alias(model, "champion")
            dst_alias = target.get_model_version_by_alias(model, "champion")
            assert dst_alias.tags["migrated_from_version"] == str(src_alias.version)
            # The migrated champion loads through the server's proxy and predicts like the original.
            sample = pd.DataFrame({"text": ["<src>Alice</src> condemned <tgt>Bob</tgt> over the leak."]})
            migrated = mlflow.pyfunc.load_model(f"models:/{model}@champion").predict(sample)
        with tracking_at(smoke_run["tracking_uri"]):
            original = mlflow.pyfunc.load_model(f"models:/{model}@champion").predict(sample)
        pd.testing.assert_frame_equal(migrated, original)

        # Stopped and started again, the server has kept everything: same cluster, artifacts, login.
        server.stop(settings, quiet=True)
        assert server.running_mlflow(settings) is None and server.running_postgres(settings) is None
        assert server.start(settings, quiet=True)["password"] == info["password"]
        with tracking_at(info["url"], info["username"], info["password"]):
            target = MlflowClient(tracking_uri=info["url"], registry_uri=info["url"])
            assert len(target.search_runs([dst_exp.experiment_id])) == len(src_runs)
            assert target.get_model_version_by_alias(model, "champion").version == dst_alias.version
            assert target.list_artifacts(dst_alias.run_id, "evaluation")
    finally:
        stop_server(settings, top)


def test_the_runs_page_renders_logged_in(team_server, server_smoke, tmp_path):
    """The MLflow UI of the server in headless Chromium, logged in with an Authorization header."""
    from test_mlflow_ui import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS

    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.fail(f"{CHROMIUM} or {CHROMEDRIVER} missing: run `make setup-browser`")
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    config = server_smoke["config"]
    from mlflow.tracking import MlflowClient

    with tracking_at(team_server["url"], *team_server["admin"]):
        experiment_id = MlflowClient(team_server["url"]).get_experiment_by_name(config.mlflow.experiment).experiment_id
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}"]:
        options.add_argument(flag)
    os.environ.setdefault("SE_OFFLINE", "true")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    token = base64.b64encode(":".join(team_server["admin"]).encode()).decode()
    try:
        driver.set_page_load_timeout(60)
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {token}"}})
        driver.get(f"{team_server['url']}/#/experiments/{experiment_id}/runs")
        body = lambda d: d.find_element(By.TAG_NAME, "body").text  # noqa: E731
        try:
            WebDriverWait(driver, 120, poll_frequency=0.5).until(
                lambda d: f"{config.name}-tfidf" in body(d) and f"{config.name}-majority" in body(d))
        except TimeoutException:
            pytest.fail(f"the runs page did not show the runs in 120 s; it showed: {body(driver)[:1000]!r}")
        text = body(driver)
    finally:
        driver.quit()
    assert config.mlflow.experiment in text and f"{config.name}-tfidf" in text and f"{config.name}-majority" in text
