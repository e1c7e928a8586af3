"""SynthConfig: validated once at the entry point, with messages naming the bad setting."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from fraudkit.errors import ConfigError
from fraudkit.synth import TYPOLOGIES, SynthConfig


def test_defaults_are_the_documented_demo_world() -> None:
    cfg = SynthConfig()
    assert (cfg.seed, cfg.subscribers, cfg.days) == (7, 20_000, 30)
    assert cfg.start == datetime(2026, 10, 1)
    assert sum(cfg.typology_probabilities()) == pytest.approx(1.0)


def test_config_is_frozen() -> None:
    cfg = SynthConfig()
    with pytest.raises(AttributeError):
        cfg.seed = 3  # type: ignore[misc]


def test_from_dict_round_trips_through_to_dict() -> None:
    cfg = SynthConfig(seed=3, subscribers=5_000, ring_size_range=(5, 9), start=datetime(2027, 1, 1))
    again = SynthConfig.from_dict(cfg.to_dict())
    assert again == cfg
    assert again.ring_size_range == (5, 9)


def test_from_dict_accepts_lists_and_iso_start() -> None:
    cfg = SynthConfig.from_dict({"fee_range": [0.01, 0.02], "start": "2026-11-01T00:00:00"})
    assert cfg.fee_range == (0.01, 0.02)
    assert cfg.start == datetime(2026, 11, 1)


def test_unknown_key_is_named() -> None:
    with pytest.raises(ConfigError, match="'subscriber'"):
        SynthConfig.from_dict({"subscriber": 100})


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"subscribers": 10}, "subscribers"),
        ({"days": 0}, "days"),
        ({"seed": -1}, "seed"),
        ({"report_rate": 1.5}, "report_rate"),
        ({"hook_rate": "high"}, "hook_rate"),
        ({"fee_range": (0.03, 0.01)}, "fee_range"),
        ({"ring_size_range": (2, 5)}, "ring_size_range"),
        ({"dwell_minutes_range": (5,)}, "dwell_minutes_range"),
        ({"typology_weights": {"pyramid": 1.0}}, "pyramid"),
        ({"typology_weights": {"chain": 0.0}}, "typology_weights"),
        ({"typology_weights": {"chain": -1.0}}, "chain"),
        ({"start": datetime(2026, 10, 1).astimezone()}, "naive"),
        ({"subscribers": True}, "subscribers"),
    ],
)
def test_invalid_values_raise_config_error_naming_the_field(changes: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        SynthConfig(**changes)  # type: ignore[arg-type]


def test_from_toml_reads_a_synth_table(tmp_path: Path) -> None:
    path = tmp_path / "world.toml"
    path.write_text(
        "[synth]\nseed = 5\nsubscribers = 3000\nstart = 2026-12-01T00:00:00\n"
        "ring_size_range = [6, 10]\n[synth.typology_weights]\nchain = 1.0\ncycle = 1.0\n",
        encoding="utf-8",
    )
    cfg = SynthConfig.from_toml(path)
    assert (cfg.seed, cfg.subscribers, cfg.start) == (5, 3000, datetime(2026, 12, 1))
    assert cfg.ring_size_range == (6, 10)
    probs = dict(zip(TYPOLOGIES, cfg.typology_probabilities(), strict=True))
    assert probs["chain"] == probs["cycle"] == pytest.approx(0.5)
    assert probs["fan_in"] == 0.0


def test_from_toml_errors_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        SynthConfig.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        SynthConfig.from_toml(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("colour = 'blue'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'colour'"):
        SynthConfig.from_toml(unknown)


def test_presets() -> None:
    default, alt = SynthConfig.preset("default", seed=4), SynthConfig.preset("alt", seed=4, subscribers=3_000)
    assert default == SynthConfig(seed=4)
    assert alt.subscribers == 3_000
    assert alt.typology_probabilities() != default.typology_probabilities()
    assert alt.ring_size_range != default.ring_size_range
    with pytest.raises(ConfigError, match="preset"):
        SynthConfig.preset("nightmare")
    with pytest.raises(ConfigError, match="'bogus'"):
        SynthConfig.preset("alt", bogus=1)


def test_replace_validates() -> None:
    cfg = SynthConfig().replace(days=10)
    assert cfg.days == 10
    with pytest.raises(ConfigError, match="days"):
        cfg.replace(days=1000)


def test_max_flow_hours_grows_with_dwell() -> None:
    slow = SynthConfig(dwell_minutes_range=(3.0, 720.0))
    assert slow.max_flow_hours > SynthConfig().max_flow_hours
