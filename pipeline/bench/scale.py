"""bench-scale: make predict's whole job at corpus scale, per engine, from the input files to the tables.

For each size of ``scale.sizes`` a load corpus is built from SEESAW's
articles of ``scale.splits`` (by default train and valid, 486 articles):
the articles are repeated in order, **each copy under a new id**
(``load-<n>-<original id>``), until the corpus has that many; so a corpus
larger than SEESAW holds the same texts several times (the output and
``docs/scale.md`` say so). It is written as JSONL files of 100 articles.

Each engine then runs the job in subprocesses, as ``make predict`` would:
the local engine the front half's two processes (``articles,claims``,
``actors,pairs``) and ``predict``, once per core count of ``scale.local_cpus``;
the Ray engine ``predict`` alone (``predict.engine=ray``), once per CPU count
of ``scale.ray_cpus`` (the in-process Ray's ``num_cpus``). Every measurement's
processes are pinned to that many cores (spaCy's process count and torch's
threads follow the cores a process may use; Ray's workers inherit the
pinning). Measured: wall time of the job, articles/s and pairs/s, the peak
resident memory of the driver (the stage process) and of the workers (its
descendants: spaCy's processes, Ray's workers; Ray's own daemons apart),
sampled every 0.2 s; each row's speedup over the local engine on one core,
the Ray engine's scaling efficiency (articles/s at *n* CPUs over *n* times
that at its fewest), and how each measurement's tables differ from the
first's on the same corpus (rows differing, largest probability difference). Every measurement is one MLflow run of experiment
``scale``; the figures are printed and written to
``outputs/<config>/bench-scale/scale.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd

from pipeline.core.config import REPO_ROOT, Config, config_to_yaml
from pipeline.core.tables import write_text_atomic
from pipeline.stances.predict import output_differences
from pipeline.tracking.runs import git_commit, use_experiment

ARTICLES_PER_FILE = 100
SUBDIR = "bench-scale"
NOTE = "load corpus: SEESAW {splits} articles repeated in order, each copy under a new id"


# --------------------------------------------------------------- corpus ---

def load_records(articles: pd.DataFrame, size: int, fields: dict[str, str]) -> list[dict]:
    """`size` article records cycling through `articles` (article_id, title, outlet, text), each under a
    new id ``load-<n>-<original id>``; `fields` names the record's id, title, outlet and text keys."""
    if articles.empty:
        raise ValueError("no SEESAW articles to build a load corpus from; run make ingest first")
    rows = articles.to_dict("records")
    records = []
    for n in range(size):
        row = rows[n % len(rows)]
        records.append({fields["id"]: f"load-{n:06d}-{row['article_id']}", fields["title"]: row["title"],
                        fields["outlet"]: row["outlet"], fields["text"]: row["text"]})
    return records


def write_corpus(records: list[dict], folder: Path, per_file: int = ARTICLES_PER_FILE) -> list[Path]:
    """The records as JSONL files of `per_file` articles each in `folder` (emptied first)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.jsonl"):
        old.unlink()
    paths = []
    for start in range(0, len(records), per_file):
        path = folder / f"articles-{start // per_file:05d}.jsonl"
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[start:start + per_file])
        write_text_atomic(path, text)
        paths.append(path)
    return paths


def seesaw_articles(config: Config) -> pd.DataFrame:
    """SEESAW's articles of ``scale.splits`` from the ingest stage's table, in table order."""
    table = pd.read_parquet(config.tables_dir / "seesaw_articles.parquet",
                            columns=["article_id", "split", "title", "outlet", "text"])
    return table[table["split"].isin(config.scale.splits)].reset_index(drop=True)


# --------------------------------------------------------------- memory ---

def process_table() -> dict[int, tuple[int, str]]:
    """Every live process: pid -> (parent pid, its command line, words joined by spaces)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, IndexError):
            continue
        if fields[0] not in ("Z", "X"):
            found[int(stat.parent.name)] = (int(fields[1]), cmdline)
    return found


def descendants(root: int, table: dict[int, tuple[int, str]]) -> list[int]:
    """The processes below `root` in `table` (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


RAY_AGENTS = ("ray::DashboardAgent", "ray::RuntimeEnvAgent")


def is_worker(command: str) -> bool:
    """Whether a descendant does the job's work (a Ray worker, idle ones included, or spaCy's processes),
    not a Ray daemon (raylet, GCS, dashboard and its agents, log monitor, autoscaler)."""
    name = Path(command.split(" ", 1)[0]).name if command else ""
    if command.startswith("ray::"):
        return not command.startswith(RAY_AGENTS)
    return name.startswith("python") and "/ray/" not in command


@dataclass
class MemorySampler:
    """Peak memory of a process tree, sampled every `every_s` seconds in a thread: the root (the
    driver), its largest worker, all workers together, and Ray's daemons together."""

    root: int
    every_s: float = 0.2
    driver_mb: float = 0.0
    worker_mb: float = 0.0
    workers_total_mb: float = 0.0
    daemons_total_mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        """One sample of the tree."""
        table = process_table()
        self.driver_mb = max(self.driver_mb, rss_mb(self.root))
        workers = daemons = 0.0
        for pid in descendants(self.root, table):
            memory = rss_mb(pid)
            if is_worker(table[pid][1]):
                workers += memory
                self.worker_mb = max(self.worker_mb, memory)
            else:
                daemons += memory
        self.workers_total_mb = max(self.workers_total_mb, workers)
        self.daemons_total_mb = max(self.daemons_total_mb, daemons)

    def run(self) -> None:
        """Sample until stopped."""
        while not self._stop.wait(self.every_s):
            self.sample()

    def stop(self) -> None:
        self._stop.set()


def first_cores(n: int) -> set[int]:
    """The first `n` cores this process may run on."""
    return set(sorted(os.sched_getaffinity(0))[:n])


def run_sampled(command: list[str], env: dict[str, str], timeout: float, log,
                cores: set[int] | None = None) -> tuple[float, dict[str, float]]:
    """Run one command, pinned to `cores` (None: this process's), its memory sampled; returns its wall
    seconds and peaks. A failure is an error naming the command and the end of its output."""
    began = time.perf_counter()
    pin = (lambda: os.sched_setaffinity(0, cores)) if cores else None
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               preexec_fn=pin)
    sampler = MemorySampler(process.pid)
    thread = threading.Thread(target=sampler.run, daemon=True)
    thread.start()
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise RuntimeError(f"{' '.join(command[2:4])}: over scale.timeout_s ({timeout:.0f}s)") from None
    finally:
        sampler.stop()
        thread.join()
    seconds = time.perf_counter() - began
    if code != 0:
        raise RuntimeError(f"{' '.join(command[2:])} failed (exit {code}); see {log.name}")
    return seconds, {"driver_peak_mb": sampler.driver_mb, "worker_peak_mb": sampler.worker_mb,
                     "workers_total_peak_mb": sampler.workers_total_mb, "daemons_total_peak_mb": sampler.daemons_total_mb}


# -------------------------------------------------------------- running ---

@dataclass(frozen=True)
class Setup:
    """One measured engine: its name, the CPUs it may use and the label of its outputs."""

    engine: str
    cpus: int

    @property
    def label(self) -> str:
        return f"{self.engine}-{self.cpus}cpu"


def setups(config: Config, cores: int) -> list[Setup]:
    """The engines to measure: the local engine at each of ``local_cpus``, the Ray engine at each of
    ``ray_cpus``; counts above the `cores` this machine has are left out."""
    counts = {"local": config.scale.local_cpus, "ray": config.scale.ray_cpus}
    return [Setup(engine, n) for engine in config.scale.engines for n in counts[engine] if n <= cores]


def job_commands(config_file: Path, setup: Setup, size: int, corpus: Path) -> list[list[str]]:
    """The stage commands of one measurement (the whole job of make predict for that engine), each on
    the resolved config saved in `config_file` (with every override bench-scale was given)."""
    overrides = [f"articles.input={corpus}", f"articles.tables_subdir={SUBDIR}/{size}",
                 f"predict.output_subdir={SUBDIR}/{size}-{setup.label}", f"predict.engine={setup.engine}",
                 "predict.progress=false"]
    if setup.engine == "ray":
        overrides.append(f"predict.ray.num_cpus={setup.cpus}")
    stages = ["articles,claims", "actors,pairs", "predict"] if setup.engine == "local" else ["predict"]
    return [[sys.executable, "-m", "pipeline", stage, "--config", str(config_file), *overrides] for stage in stages]


def measure(config: Config, config_file: Path, setup: Setup, size: int, corpus: Path) -> dict[str, Any]:
    """Run one engine's whole job on one load corpus; its times, throughput and memory."""
    out = config.outputs_dir / SUBDIR
    env = {k: v for k, v in os.environ.items() if k not in ("PIPELINE_INPUT", "PIPELINE_ENGINE")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    seconds, peaks = 0.0, {}
    with open(out / f"{size}-{setup.label}.log", "w", encoding="utf-8") as log:
        for command in job_commands(config_file, setup, size, corpus):
            took, found = run_sampled(command, env, config.scale.timeout_s, log, first_cores(setup.cpus))
            seconds += took
            peaks = {k: max(v, peaks.get(k, 0.0)) for k, v in found.items()}
    summary = json.loads((out / f"{size}-{setup.label}" / "predict_summary.json").read_text(encoding="utf-8"))
    return {"engine": setup.engine, "cpus": setup.cpus, "size": size, "seconds": round(seconds, 2),
            "articles_in": size, "n_articles": summary["n_articles"], "n_pairs": summary["n_pairs"],
            "articles_per_s": summary["n_articles"] / seconds, "pairs_per_s": summary["n_pairs"] / seconds,
            **{k: round(v, 1) for k, v in peaks.items()}}


def same_answer(out: Path, size: int, reference: Setup, setup: Setup) -> dict[str, Any]:
    """How `setup`'s tables differ from `reference`'s on the same corpus (the first measured): stance
    rows and pair-aggregate rows differing in a label, a count or a name, and the largest difference in a
    probability or mean (batches of other shapes round otherwise)."""
    found = output_differences(out / f"{size}-{reference.label}", out / f"{size}-{setup.label}")
    return {"same_as": reference.label,
            "stances_rows_differing": found["stances"]["rows_differing"],
            "stance_pairs_rows_differing": found["stance_pairs"]["rows_differing"],
            "stance_articles_rows_differing": found["stance_articles"]["rows_differing"],
            "max_probability_difference": found["stances"]["max_probability_difference"]}


def with_efficiency(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row with its speedup over the local engine on one core (articles/s over that row's, same
    corpus size), and each Ray row with its scaling efficiency (articles/s at n CPUs over n times that
    at the fewest CPUs measured); None where there is no reference."""
    out = []
    for row in rows:
        same_size = [r for r in rows if r["size"] == row["size"]]
        local_one = next((r for r in same_size if r["engine"] == "local" and r["cpus"] == 1), None)
        speedup = row["articles_per_s"] / local_one["articles_per_s"] if local_one and local_one["articles_per_s"] else None
        reference = [r for r in same_size if r["engine"] == "ray"]
        base = min(reference, key=lambda r: r["cpus"]) if reference else None
        efficiency = None
        if row["engine"] == "ray" and base is not None and base["articles_per_s"] > 0:
            efficiency = (row["articles_per_s"] / row["cpus"]) / (base["articles_per_s"] / base["cpus"])
        out.append({**row, "speedup_over_local_1cpu": speedup, "scaling_efficiency": efficiency})
    return out


def format_table(rows: list[dict[str, Any]]) -> str:
    """The measurements as a fixed-width table."""
    lines = [f"{'size':>6} {'engine':<6} {'cpus':>4} {'seconds':>8} {'art/s':>7} {'pairs/s':>8} "
             f"{'driver MB':>9} {'worker MB':>9} {'workers MB':>10} {'x local1':>8} {'efficiency':>10}"]
    for r in rows:
        speedup = "" if r["speedup_over_local_1cpu"] is None else f"{r['speedup_over_local_1cpu']:.2f}"
        efficiency = "" if r["scaling_efficiency"] is None else f"{r['scaling_efficiency']:.2f}"
        lines.append(f"{r['size']:>6} {r['engine']:<6} {r['cpus']:>4} {r['seconds']:>8.1f} {r['articles_per_s']:>7.2f} "
                     f"{r['pairs_per_s']:>8.1f} {r['driver_peak_mb']:>9.0f} {r['worker_peak_mb']:>9.0f} "
                     f"{r['workers_total_peak_mb']:>10.0f} {speedup:>8} {efficiency:>10}")
    return "\n".join(lines)


def log_runs(config: Config, rows: list[dict[str, Any]], note: str, report: str) -> None:
    """One MLflow run per measurement in experiment ``scale.experiment``."""
    use_experiment(config, config.scale.experiment)
    cores = len(os.sched_getaffinity(0))
    for row in rows:
        with mlflow.start_run(run_name=f"scale-{row['engine']}-{row['cpus']}cpu-{row['size']}-{config.name}"):
            mlflow.set_tags({"git_commit": git_commit(), "corpus": note, "cores": str(cores)})
            mlflow.log_params({"engine": row["engine"], "cpus": row["cpus"], "size": row["size"],
                               "splits": ",".join(config.scale.splits), "tables_compared_with": row["same_as"]})
            mlflow.log_metrics({k: float(v) for k, v in row.items()
                                if isinstance(v, (int, float)) and k not in ("cpus", "size") and v is not None})
            mlflow.log_text(report, "bench_scale.txt")


def run(config: Config) -> None:
    """Build each load corpus, measure each engine on it, print, write and log the figures."""
    out = config.outputs_dir / SUBDIR
    out.mkdir(parents=True, exist_ok=True)
    source = seesaw_articles(config)
    note = NOTE.format(splits="+".join(config.scale.splits)) + f" ({len(source)} distinct articles)"
    fields = {"id": config.articles.id_field, "title": config.articles.title_field,
              "outlet": config.articles.outlet_field, "text": config.articles.text_field}
    print(f"bench-scale: {note}", flush=True)
    config_file = out / "config.yaml"  # the resolved config, overrides included, for the stage processes
    write_text_atomic(config_file, config_to_yaml(config))
    rows = []
    for size in config.scale.sizes:
        corpus = out / f"corpus-{size}"
        files = write_corpus(load_records(source, size, fields), corpus)
        copies = -(-size // len(source))
        print(f"bench-scale: {size} articles in {len(files)} files under {corpus}"
              f"{f' (each text up to {copies} times, under new ids)' if copies > 1 else ''}", flush=True)
        measured = setups(config, len(os.sched_getaffinity(0)))
        for setup in measured:
            row = measure(config, config_file, setup, size, corpus)
            row |= same_answer(out, size, measured[0], setup)
            lost = f"; {size - row['n_articles']} articles LOST" if row["n_articles"] != size else ""
            same = "" if setup == measured[0] else (
                f"; against {row['same_as']}: stances rows differing {row['stances_rows_differing']}, pair rows "
                f"{row['stance_pairs_rows_differing']}, article rows {row['stance_articles_rows_differing']}, "
                f"largest probability difference {row['max_probability_difference']}")
            print(f"bench-scale: {size} articles, {setup.engine} on {setup.cpus} CPU(s): {row['seconds']:.1f}s, "
                  f"{row['articles_per_s']:.2f} articles/s, {row['pairs_per_s']:.1f} pairs/s{lost}{same}", flush=True)
            rows.append(row)
    rows = with_efficiency(rows)
    report = "\n".join([format_table(rows), note])
    print(report)
    path = out / "scale.json"
    write_text_atomic(path, json.dumps({"config": config.name, "corpus": note, "rows": rows}, indent=1) + "\n")
    log_runs(config, rows, note, report)
    print(f"written: {path}; MLflow experiment {config.scale.experiment}")
