"""The long-running loop's champion against a real local MLflow registry: the model in hand is kept
between checks, a promotion is picked up at the next check without a restart, and a registry
that cannot be reached (or a new version that cannot be loaded) never stops the loop.

Each test gets its own copy of the live world's registry (the session's stays as it is) and a
second version registered there from the first one's logged model: no training."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveWorld

from fraudkit.live.champion import Champion
from fraudkit.model import registry
from fraudkit.model.registry import LoadedModel, load_model, model_name, promote
from fraudkit.settings import Settings


@pytest.fixture(scope="module")
def first(live_world: LiveWorld) -> LoadedModel:
    """The champion the world's registry starts with (version 1), loaded once."""
    return load_model(live_world.settings, "victim")


@pytest.fixture
def settings(live_world: LiveWorld, tmp_path: Path) -> Settings:
    """A private copy of the registry (its artifacts stay where the world's run logged them)."""
    source = Path(live_world.settings.resolved_tracking_uri.removeprefix("sqlite:///"))
    shutil.copy(source, tmp_path / "mlflow.db")
    return Settings(threads=1, tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", mlruns_dir=tmp_path)


def second_version(settings: Settings) -> str:
    """Register version 2 of the victim model (the same logged model) and make it champion."""
    client = registry._client(settings)
    name = model_name("victim")
    one = client.get_model_version(name, "1")
    two = client.create_model_version(name, source=one.source, run_id=one.run_id, model_id=one.model_id)
    promote(settings, "victim", str(two.version), force=True)
    return str(two.version)


def counting_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every question the champion asks the registry, recorded."""
    asked: list[str] = []
    real: Callable[[Any, str], str | None] = registry._champion_version

    def recorded(client: Any, name: str) -> str | None:
        asked.append(name)
        return real(client, name)

    monkeypatch.setattr(registry, "_champion_version", recorded)
    return asked


def test_the_model_in_hand_is_kept_until_check_every_has_passed(
    settings: Settings, first: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    champion = Champion(settings, first, check_every=60.0)
    second_version(settings)
    asked = counting_checks(monkeypatch)
    assert champion.current() == (first, False)
    assert champion.current()[0] is first
    assert asked == [], "no registry query before check_every"

    champion.checked_at -= 61.0  # a minute has passed
    model, reloaded = champion.current()
    assert (model.version, reloaded) == ("2", True)
    assert asked == ["fraudkit-victim"]
    assert champion.current() == (model, False)
    assert asked == ["fraudkit-victim"], "the next check is a minute after this one"


def test_a_promotion_is_picked_up_at_the_next_check_and_loaded_once(settings: Settings, first: LoadedModel) -> None:
    champion = Champion(settings, first, check_every=0.0)
    assert champion.current() == (first, False), "the champion has not moved: nothing to load"
    version = second_version(settings)
    model, reloaded = champion.current()
    assert (model.version, reloaded) == (version, True)
    assert model.run_id == first.run_id and model.features == first.features
    assert champion.model is model
    again, reloaded = champion.current()
    assert again is model and not reloaded


def test_a_registry_that_fails_keeps_the_model_in_hand(
    settings: Settings, first: LoadedModel, caplog: pytest.LogCaptureFixture
) -> None:
    champion = Champion(settings, first, check_every=0.0)
    second_version(settings)
    client = registry._client(settings)

    def down(*_args: object, **_kwargs: object) -> None:
        raise ConnectionError("registry unreachable")

    client.get_model_version_by_alias = down
    champion.client = client
    with caplog.at_level(logging.WARNING, logger="fraudkit.watch"):
        assert champion.current() == (first, False)
    assert "champion check failed (ConnectionError): keeping version 1" in caplog.text


def test_a_registry_that_cannot_be_opened_keeps_the_model_in_hand(tmp_path: Path, first: LoadedModel) -> None:
    (tmp_path / "not-a-folder").write_text("", encoding="utf-8")
    broken = Settings(tracking_uri=f"sqlite:///{tmp_path / 'not-a-folder' / 'mlflow.db'}", mlruns_dir=tmp_path)
    champion = Champion(broken, first, check_every=0.0)
    assert champion.current() == (first, False)
    assert champion.current() == (first, False), "and again at the next check"


def test_a_new_version_that_cannot_be_loaded_keeps_the_model_in_hand(
    settings: Settings, first: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The alias answers, but the artifact store does not: the loop goes on with the old model,
    and loads the new one at a later check."""
    champion = Champion(settings, first, check_every=0.0)
    second_version(settings)
    real = registry.load_model

    def artifacts_down(*_args: object, **_kwargs: object) -> LoadedModel:
        raise OSError("artifact store unreachable")

    monkeypatch.setattr(registry, "load_model", artifacts_down)
    assert champion.current() == (first, False)
    monkeypatch.setattr(registry, "load_model", real)
    model, reloaded = champion.current()
    assert (model.version, reloaded) == ("2", True)
