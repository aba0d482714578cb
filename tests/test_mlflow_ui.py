"""The MLflow UI in a real browser: a tracking server over the smoke run's store, its REST API, and
headless Chromium rendering the experiment's runs page. The server and all its workers are stopped.

Chromium and chromedriver are the Debian packages `make setup-browser` installs (`make test` does it
first); nothing is downloaded by the test. Without them the test fails, saying so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from pipeline.tracking.server import end_group, free_port, group_members, port_in_use

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,900"]



def get_json(url: str, **query) -> dict:
    """GET a REST endpoint, return its JSON."""
    full = f"{url}?{urllib.parse.urlencode(query)}" if query else url
    with urllib.request.urlopen(full, timeout=30) as response:
        return json.loads(response.read())


def post_json(url: str, body: dict) -> dict:
    """POST JSON to a REST endpoint, return its JSON."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def tracking_server(smoke_run, tmp_path):
    """`mlflow server` over the smoke run's store on a free local port, in its own process group;
    stopped at teardown, every worker with it, and the port checked closed."""
    port = free_port()
    mlflow_bin = Path(sys.executable).parent / "mlflow"
    log_path = tmp_path / "server.log"
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [str(mlflow_bin), "server", "--backend-store-uri", smoke_run["tracking_uri"], "--host", "127.0.0.1",
             "--port", str(port), "--workers", "1", "--artifacts-destination", str(tmp_path / "mlartifacts")],
            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    pgid = server.pid  # start_new_session: the server leads its own process group
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                pytest.fail(f"mlflow server exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"mlflow server not up after 120 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield {"base": base, "port": port, "pgid": pgid, "log": log_path}
    finally:
        end_group(pgid, 20, server.poll)
        server.wait(timeout=10)
        assert not group_members(pgid), f"server processes left running: {group_members(pgid)}"
        assert not port_in_use("127.0.0.1", port), f"port {port} still open after the server was stopped"


def test_rest_api_and_runs_page_in_headless_chromium(smoke_run, tracking_server, tmp_path):
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.fail(f"{CHROMIUM} or {CHROMEDRIVER} missing: run `make setup-browser` (Debian packages chromium, "
                    "chromium-driver; `make test` runs it first) or set CHROMIUM= and CHROMEDRIVER=")
    api = f"{tracking_server['base']}/api/2.0/mlflow"
    config = smoke_run["config"]

    # REST: the experiment, its runs with their metrics, the registered model's champion alias.
    experiment = get_json(f"{api}/experiments/get-by-name", experiment_name=config.mlflow.experiment)["experiment"]
    runs = post_json(f"{api}/runs/search", {"experiment_ids": [experiment["experiment_id"]], "max_results": 100})["runs"]
    names = {r["info"]["run_name"]: r for r in runs}
    assert {f"{config.name}-majority", f"{config.name}-tfidf"} <= set(names)
    metrics = {m["key"]: m["value"] for m in names[f"{config.name}-tfidf"]["data"]["metrics"]}
    assert 0.0 < metrics["test_macro_f1"] <= 1.0 and 0.0 < metrics["valid_macro_f1"] <= 1.0
    champion = get_json(f"{api}/registered-models/alias", name=config.mlflow.registered_model,
                        alias=config.mlflow.champion_alias)["model_version"]
    assert champion["run_id"] in {r["info"]["run_id"] for r in runs}

    # The browser: the experiment's runs page, rendered late by the single-page app, so wait for the table.
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}"]:
        options.add_argument(flag)
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager must not fetch anything
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    run_name = f"{config.name}-tfidf"
    try:
        driver.set_page_load_timeout(60)
        driver.get(f"{tracking_server['base']}/#/experiments/{experiment['experiment_id']}/runs")
        body = lambda d: d.find_element(By.TAG_NAME, "body").text  # noqa: E731
        try:
            WebDriverWait(driver, 120, poll_frequency=0.5).until(
                lambda d: config.mlflow.experiment in body(d) and run_name in body(d))
        except TimeoutException:
            driver.save_screenshot(str(tmp_path / "runs_page_timeout.png"))
            pytest.fail(f"the runs page did not show {config.mlflow.experiment!r} and {run_name!r} in 120 s; "
                        f"it showed: {body(driver)[:1000]!r}")
        text = body(driver)
        screenshot = tmp_path / "mlflow_runs_page.png"
        assert driver.save_screenshot(str(screenshot))
    finally:
        driver.quit()
    assert config.mlflow.experiment in text and run_name in text and f"{config.name}-majority" in text
    data = screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
