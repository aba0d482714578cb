"""A real local Ray cluster for the tests: `ray start --head --block` on free ports in its own session,
stopped by its PIDs (never `ray stop`, which would stop every Ray on the machine).

Every process the cluster runs is in the session `ray start` opened; :func:`stop` ends that session's
processes (SIGTERM, then SIGKILL) and checks that none is left and that its port is closed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ray.util import get_node_ip_address

from pipeline.core.config import REPO_ROOT
from pipeline.tracking.server import free_port, port_in_use, session_members

RAY = Path(sys.executable).with_name("ray")


def command_line(pid: int) -> str:
    """A process's command line ('' once it is gone)."""
    try:
        return (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")).strip()
    except OSError:
        return ""


@dataclass
class RayCluster:
    """One started cluster: its address, its `ray start` process, its temporary folder and log."""

    host: str
    port: int
    process: subprocess.Popen
    temp_dir: Path
    log: Path
    started: list[int] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def members(self) -> list[int]:
        """Every live process of the cluster."""
        return session_members(self.process.pid)

    def workers(self, name: str) -> list[int]:
        """Live worker processes whose title names `name` (e.g. 'FrontHalfBatches')."""
        return [pid for pid in self.members() if command_line(pid).startswith("ray::") and name in command_line(pid)]


def start(cpus: int = 2, timeout: float = 120.0) -> RayCluster:
    """`ray start --head` with `cpus` CPUs on free ports, its state in a fresh temporary folder; returns
    once the cluster answers `ray status`."""
    temp_dir = Path(tempfile.mkdtemp(prefix="rayt", dir="/tmp"))  # short: Ray's socket paths have a length limit
    host = get_node_ip_address()  # the address Ray listens on (it does not take 127.0.0.1 for a head)
    port = free_port()
    log = temp_dir / "ray-start.log"
    command = [str(RAY), "start", "--head", "--block", f"--port={port}", f"--num-cpus={cpus}", "--num-gpus=0",
               f"--temp-dir={temp_dir}", f"--node-ip-address={host}", "--include-dashboard=false",
               "--disable-usage-stats",
               f"--dashboard-agent-listen-port={free_port()}", f"--dashboard-agent-grpc-port={free_port()}",
               f"--metrics-export-port={free_port()}", f"--runtime-env-agent-port={free_port()}",
               f"--node-manager-port={free_port()}", f"--object-manager-port={free_port()}",
               f"--min-worker-port={20000}", f"--max-worker-port={20999}"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    client_env = {**env, "RAY_AUTH_MODE": "token"}  # the head uses token authentication (Ray's default)
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=temp_dir, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    cluster = RayCluster(host, port, process, temp_dir, log)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"ray start exited {process.returncode}: {log.read_text()[-3000:]}")
            if port_in_use(host, port) and subprocess.run(
                    [str(RAY), "status", f"--address={cluster.address}"], capture_output=True, env=client_env,
                    timeout=60).returncode == 0:
                cluster.started = cluster.members()
                return cluster
            time.sleep(1.0)
        raise RuntimeError(f"the Ray cluster did not answer within {timeout:.0f}s: {log.read_text()[-3000:]}")
    except BaseException:
        stop(cluster)
        raise


def stop(cluster: RayCluster, patience: float = 15.0) -> list[int]:
    """Stop the cluster: SIGTERM to `ray start`, which stops its processes; then SIGTERM and at last
    SIGKILL to any process of its session left. Check none is left and the port is closed; remove its
    folder. Returns the PIDs ended."""
    sid = cluster.process.pid
    ended = set(session_members(sid))
    if cluster.process.poll() is None:
        cluster.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + patience
        while session_members(sid) and time.monotonic() < deadline:
            cluster.process.poll()
            time.sleep(0.2)
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        if not session_members(sid):
            break
        for pid in session_members(sid):
            ended.add(pid)
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while session_members(sid) and time.monotonic() < deadline:
            cluster.process.poll()
            time.sleep(0.2)
        if not session_members(sid):
            break
    cluster.process.poll()
    left = session_members(sid)
    assert not left, f"Ray processes left running: {[command_line(p) for p in left]}"
    assert not port_in_use(cluster.host, cluster.port), f"port {cluster.port} still open"
    shutil.rmtree(cluster.temp_dir, ignore_errors=True)
    return sorted(ended)
