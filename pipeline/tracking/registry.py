"""The model registry: registering versions, crowning champions, finding the model a stage serves.

Every config writes to the same store and the same registered model. Champions
are therefore like-for-like:

- each config keeps its own alias, ``<champion_alias>-<config name>``, on the
  best of its versions validated on the same data as its latest run;
- the shared alias (``champion``, the one ``make predict`` serves) moves only
  to a version validated on the same data as the version holding it, so a
  smoke run with a row limit, or a config with another valid set, cannot
  displace it. ``promote_champion(config, force=True)`` (``make promote``)
  moves it on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from pipeline.core.config import Config
from pipeline.tracking.runs import use_experiment
from pipeline.tracking.server import check_tracking_server
from pipeline.tracking.store import open_store

#: Version tags copied from the run at registration: what a version is and what it was validated on.
VERSION_TAGS = ("model_family", "config_name", "valid_digest", "decision_rule")
#: Run tag: the digest of the SEESAW valid candidate pairs a decision rule was tuned and scored on.
E2E_DIGEST_TAG = "valid_e2e_digest"


def champion_uri(config: Config) -> str:
    """``models:/<registered_model>@<champion_alias>``."""
    return f"models:/{config.mlflow.registered_model}@{config.mlflow.champion_alias}"


def config_alias(config: Config) -> str:
    """The alias of the best version of this config alone."""
    return f"{config.mlflow.champion_alias}-{config.name}"


def model_uri(config: Config) -> str:
    """The model predict applies: ``predict.model_uri``, else the registered champion."""
    return config.predict.model_uri or champion_uri(config)


def alias_holder(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version an alias points at, or None when the alias is not set."""
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def registered_version(uri: str) -> ModelVersion | None:
    """The registered version a ``models:/<name>/<version>`` or ``models:/<name>@<alias>`` URI names;
    None for any other URI (a run's or a path's model, which carries no decision rule)."""
    if not uri.startswith("models:/"):
        return None
    reference = uri[len("models:/"):]
    client = MlflowClient()
    if "@" in reference:
        name, alias = reference.split("@", 1)
        return client.get_model_version_by_alias(name, alias)
    name, _, number = reference.rpartition("/")
    return client.get_model_version(name, number) if name and number.isdigit() else None


def stance_model_provenance(config: Config) -> dict[str, Any]:
    """What predict will apply, without loading it: the model URI, the store and, for a registered
    version, its number, run, family, config and decision rule. A missing champion is a clear error."""
    open_store(config, create=False)
    check_tracking_server(config.tracking_uri)
    uri = model_uri(config)
    provenance: dict[str, Any] = {"model_uri": uri, "tracking_uri": config.tracking_uri}
    try:
        version = registered_version(uri)
    except MlflowException as exc:
        raise RuntimeError(f"cannot load the stance model {uri} from {config.tracking_uri}: {exc.message}. "
                           "Train and register one first: make train") from None
    if version is not None:
        provenance |= {"model_version": version.version, "run_id": version.run_id,
                       "model_family": version.tags.get("model_family"),
                       "config_name": version.tags.get("config_name"),
                       "decision_rule": version.tags.get("decision_rule")}
    return provenance


def pinned_model_uri(provenance: dict[str, Any]) -> str:
    """The model URI of a provenance with an alias replaced by the version it named
    (``models:/m@champion`` -> ``models:/m/7``): workers that load the model later load that version,
    even if the alias moves meanwhile."""
    uri = provenance["model_uri"]
    if "model_version" not in provenance or not uri.startswith("models:/") or "@" not in uri:
        return uri
    name = uri[len("models:/"):].split("@", 1)[0]
    return f"models:/{name}/{provenance['model_version']}"


def load_model_at(uri: str, tracking_uri: str) -> Any:
    """The pyfunc model at `uri` in the store at `tracking_uri` (a worker's load of a pinned URI)."""
    mlflow.set_tracking_uri(tracking_uri)
    try:
        return mlflow.pyfunc.load_model(uri)
    except MlflowException as exc:
        raise RuntimeError(f"cannot load the stance model {uri} from {tracking_uri}: {exc.message}") from None


def load_stance_model(config: Config) -> tuple[Any, dict[str, Any]]:
    """Load the configured model once; returns (model, provenance). A missing champion is a clear error."""
    provenance = stance_model_provenance(config)
    uri = provenance["model_uri"]
    try:
        model = mlflow.pyfunc.load_model(uri)
    except MlflowException as exc:
        raise RuntimeError(f"cannot load the stance model {uri} from {config.tracking_uri}: {exc.message}. "
                           "Train and register one first: make train") from None
    return model, provenance


def family_version(config: Config, family: str, config_name: str | None = None) -> ModelVersion:
    """The latest registered version of `family` trained by config `config_name` (default: this config)."""
    name, trained_by = config.mlflow.registered_model, config_name or config.name
    versions = [v for v in MlflowClient().search_model_versions(f"name = '{name}'")
                if v.tags.get("model_family") == family and v.tags.get("config_name") == trained_by]
    if not versions:
        raise RuntimeError(f"no registered version of {name!r} is a {family} model of config {trained_by!r}; "
                           f"run make train CONFIG={trained_by}")
    return max(versions, key=lambda v: int(v.version))


def register_once(name: str, run_info: dict[str, Any]) -> str:
    """Register a run's model as a version of `name`, unless that run already has one.

    The version carries the run's family, config name and valid digest as tags,
    so promotion and lookups need not open the runs.
    """
    client = MlflowClient()
    existing = [v for v in client.search_model_versions(f"name = '{name}'") if v.run_id == run_info["run_id"]]
    if existing:
        return existing[0].version
    run_tags = client.get_run(run_info["run_id"]).data.tags
    tags = {tag: run_info["family"] if tag == "model_family" else run_tags.get(tag) for tag in VERSION_TAGS}
    # The tags travel with the creation: a version never exists without them.
    return mlflow.register_model(run_info["model_uri"], name,
                                 tags={k: v for k, v in tags.items() if v is not None}).version


@dataclass
class Champion:
    """The outcome of a promotion: this config's best version, and who holds the shared alias."""

    version: str
    family: str
    score: float
    promoted: bool  # whether the shared alias now points at `version`
    holder: str | None = None  # the version holding the shared alias afterwards
    reason: str = ""


@dataclass(frozen=True)
class Candidate:
    """A registered version with the run facts promotion compares."""

    version: str
    family: str
    config_name: str | None
    valid_digest: str | None
    score: float | None
    start_time: int


def choose_best(candidates: list[Candidate], digest: str | None) -> Candidate | None:
    """The best-scoring candidate validated on `digest` (ties: the later run)."""
    comparable = [c for c in candidates if c.valid_digest == digest and c.score is not None]
    return max(comparable, key=lambda c: (c.score, c.start_time)) if comparable else None


def decide_promotion(best: Candidate, holder: Candidate | None, force: bool) -> tuple[bool, str]:
    """Whether `best` takes the shared alias from `holder`, and why (pure: the rule itself)."""
    if force:
        return True, "promotion forced"
    if holder is None:
        return True, "no champion yet"
    if holder.valid_digest != best.valid_digest:
        return False, (f"the champion (version {holder.version}, config {holder.config_name}) was validated on "
                       "other data; scores are not comparable")
    if holder.version == best.version:
        return True, "the champion is still the best"
    better = holder.score is None or best.score >= holder.score
    return better, "better on the same valid data" if better else "the champion scores higher"


def compared_digest(tags: dict[str, str], metric: str) -> str | None:
    """What a run's `metric` was measured on: its DSE valid digest, and for a whole-article metric
    (``valid_e2e_*``) also the digest of the SEESAW valid candidate pairs it was scored on, so that a
    change of the front half, which changes the candidates, never compares scores across them."""
    digest = tags.get("valid_digest")
    if not metric.startswith("valid_e2e_") or digest is None:
        return digest
    return f"{digest}+{tags.get(E2E_DIGEST_TAG, 'unknown')}"


def _candidates(client: MlflowClient, name: str, metric: str) -> list[Candidate]:
    found = []
    for version in client.search_model_versions(f"name = '{name}'"):
        if not version.run_id:
            continue
        run = client.get_run(version.run_id)
        found.append(Candidate(version.version, run.data.tags.get("model_family", "?"),
                               run.data.tags.get("config_name"), compared_digest(run.data.tags, metric),
                               run.data.metrics.get(metric), run.info.start_time))
    return found


def promote_champion(config: Config, force: bool = False, rounds: int = 50) -> Champion | None:
    """Alias this config's best version, and move the shared champion alias like-for-like (see module doc).

    Safe when several trainings finish together: each re-reads the registry after its own write and
    writes again until the aliases already name the choice computed from a read made after the
    aliases were read. The last write is therefore followed, in its writer, by a read that saw every
    version registered before it, and every version registered later is checked by its own trainer,
    so the aliases end on the best versions, not on whichever run finished last. None when no
    version of this config has the champion metric (then no alias moves).
    """
    use_experiment(config)
    client = MlflowClient()
    name, metric, alias = config.mlflow.registered_model, config.mlflow.champion_metric, config.mlflow.champion_alias
    first_reason = None
    for _ in range(rounds):
        candidates = _candidates(client, name, metric)
        mine = [c for c in candidates if c.config_name == config.name and c.score is not None]
        if not mine:
            # A config of families without the metric (majority alone, say) crowns nothing: no error.
            return None
        best = choose_best(mine, max(mine, key=lambda c: c.start_time).valid_digest)
        mine_held = alias_holder(client, name, config_alias(config))
        held = alias_holder(client, name, alias)
        holder = next((c for c in candidates if held is not None and c.version == held.version), None)
        promote, reason = decide_promotion(best, holder, force)
        first_reason = first_reason or reason
        settled = (mine_held is not None and mine_held.version == best.version
                   and (not promote or (held is not None and held.version == best.version)))
        if settled:
            return Champion(best.version, best.family, best.score, promote,
                            best.version if promote else (holder.version if holder else None), first_reason)
        if mine_held is None or mine_held.version != best.version:
            client.set_registered_model_alias(name, config_alias(config), best.version)
        if promote and (held is None or held.version != best.version):
            client.set_registered_model_alias(name, alias, best.version)
        force = False  # once moved on purpose, the alias is held like for like
    raise RuntimeError(f"the aliases of {name} did not settle after {rounds} rounds of concurrent updates")
