"""The champion alias under concurrent trainings: the interleaving that used to leave the alias on a
worse version (a trainer's stale write landing after a better version was aliased) is replayed on
an in-memory registry; promote_champion must end on the best version."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from mlflow.exceptions import MlflowException

from pipeline.core.config import load_config
from pipeline.tracking import registry as registry_module


class Registry:
    """Just enough of MlflowClient for promote_champion: versions, runs, one alias."""

    def __init__(self):
        self.versions, self.runs, self.aliases, self.writes = [], {}, {}, []
        self.before_write = None

    @property
    def alias(self) -> str | None:
        """The shared champion alias."""
        return self.aliases.get("champion")

    @alias.setter
    def alias(self, version: str) -> None:
        self.aliases["champion"] = version

    def add(self, score: float, start: int, digest: str = "d1") -> str:
        number = str(len(self.versions) + 1)
        run_id = f"run{number}"
        self.runs[run_id] = SimpleNamespace(data=SimpleNamespace(metrics={load_config("smoke").mlflow.champion_metric: score},
                                                                 tags={"valid_digest": digest, "model_family": "tfidf",
                                                                       "config_name": "smoke"}),
                                            info=SimpleNamespace(start_time=start))
        self.versions.append(SimpleNamespace(version=number, run_id=run_id, tags={}))
        return number

    def search_model_versions(self, _filter):
        return list(self.versions)

    def get_run(self, run_id):
        return self.runs[run_id]

    def get_model_version_by_alias(self, _name, alias):
        if alias not in self.aliases:
            raise MlflowException("no alias")
        return next(v for v in self.versions if v.version == self.aliases[alias])

    def set_registered_model_alias(self, _name, alias, version):
        if alias == "champion":  # the race is on the shared alias; writes of it are recorded
            hook, self.before_write = self.before_write, None
            if hook:
                hook()
            self.writes.append(version)
        self.aliases[alias] = version


@pytest.fixture
def registry(monkeypatch):
    reg = Registry()
    monkeypatch.setattr(registry_module, "MlflowClient", lambda *a, **k: reg)
    monkeypatch.setattr(registry_module, "use_experiment", lambda *a, **k: "0")
    return reg


def test_a_stale_write_is_corrected(registry):
    registry.add(0.5, start=1)
    registry.alias = "1"
    registry.add(0.6, start=2)  # this trainer's version: better than 1, so it writes "2"

    def other_trainer_finishes():  # between this trainer's read and its write
        registry.add(0.9, start=3)
        registry.alias = "3"

    registry.before_write = other_trainer_finishes
    champion = registry_module.promote_champion(load_config("smoke"))
    assert registry.writes == ["2", "3"]  # the stale write landed after the better alias, then was corrected
    assert registry.alias == "3" and champion.version == "3" and champion.score == 0.9


def test_no_write_when_the_alias_is_already_right(registry):
    registry.add(0.4, start=1)
    registry.add(0.6, start=2)
    registry.alias = "2"
    assert registry_module.promote_champion(load_config("smoke")).version == "2"
    assert registry.writes == []


def test_only_versions_validated_on_the_newest_data_compete(registry):
    registry.add(0.9, start=1, digest="old")
    registry.add(0.4, start=2, digest="new")
    registry.add(0.5, start=3, digest="new")
    assert registry_module.promote_champion(load_config("smoke")).version == "3"
