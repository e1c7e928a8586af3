"""Settings: the store's time zone and the lock wait, from defaults, environment and overrides."""

from __future__ import annotations

import pytest

from fraudkit.errors import ConfigError
from fraudkit.settings import DEFAULT_LOCK_WAIT_S, Settings, default_timezone, local_timezone


def test_timezone_comes_from_the_environment_else_the_machine(monkeypatch) -> None:
    monkeypatch.delenv("FRAUDKIT_TIMEZONE", raising=False)
    assert Settings().timezone == local_timezone()
    monkeypatch.setenv("FRAUDKIT_TIMEZONE", "Asia/Shanghai")
    assert Settings.from_env().timezone == "Asia/Shanghai" == default_timezone()
    assert Settings.from_env(timezone="UTC").timezone == "UTC"


def test_local_timezone_follows_tz(monkeypatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    assert local_timezone() == "America/New_York"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "+08:00"])
def test_a_zone_that_is_not_iana_is_refused(zone: str) -> None:
    with pytest.raises(ConfigError, match="not a time zone"):
        Settings(timezone=zone)


def test_bad_timezone_in_the_environment_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("FRAUDKIT_TIMEZONE", "Beijing")
    with pytest.raises(ConfigError, match="FRAUDKIT_TIMEZONE 'Beijing'"):
        Settings.from_env()


def test_lock_wait_default_environment_and_bounds(monkeypatch) -> None:
    monkeypatch.delenv("FRAUDKIT_LOCK_WAIT", raising=False)
    assert Settings().lock_wait_s == DEFAULT_LOCK_WAIT_S
    monkeypatch.setenv("FRAUDKIT_LOCK_WAIT", "2.5")
    assert Settings.from_env().lock_wait_s == 2.5
    monkeypatch.setenv("FRAUDKIT_LOCK_WAIT", "soon")
    with pytest.raises(ConfigError, match="not a number"):
        Settings.from_env()
    with pytest.raises(ConfigError, match="between 0 and"):
        Settings(lock_wait_s=-1)


@pytest.mark.parametrize("name", ["data.csv", "data.parquet"])
def test_db_suffix_rule_refuses_data_files(tmp_path, name: str) -> None:
    with pytest.raises(ConfigError, match=r"should end in \.duckdb"):
        Settings(db_path=tmp_path / name)
