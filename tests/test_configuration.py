"""The configuration tree (fraudkit.config): defaults from the stages, a TOML file, the environment
and typed options, in that order; one-line errors naming the file and the key; `fraudkit config
show`; and settings from a file changing what a command does, typed as a user types them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fraudkit import config
from fraudkit.cli import app
from fraudkit.errors import ConfigError
from fraudkit.store import open_store
from fraudkit.synth import SynthConfig, generate_world, store_world

runner = CliRunner(env={"COLUMNS": "200", "FRAUDKIT_CONFIG": None, "FRAUDKIT_DB": None, "FRAUDKIT_LOCK_WAIT": None})
NO_ENV: dict[str, str] = {}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four days of a small world with enough rings for a scan to find clusters, in a UTC store."""
    db = tmp_path_factory.mktemp("config_world") / "s.duckdb"
    with open_store(db, timezone="UTC", create=True):
        pass
    cfg = SynthConfig(seed=3, subscribers=1000, days=4, fraud_operations_per_100k=400.0)
    store_world(generate_world(cfg), db, db.parent / "truth")
    return db


# ---- defaults, declared once -------------------------------------------------------------------


def test_defaults_are_the_stages_own() -> None:
    from fraudkit.features.params import FeatureParams
    from fraudkit.live.config import WatchConfig
    from fraudkit.model.params import ContactParams, TrainParams
    from fraudkit.scan.scan import ScanParams
    from fraudkit.scan.trace import DEFAULT_HOPS

    tree = config.defaults()
    assert config.scan_params(tree) == ScanParams()
    assert config.feature_params(tree) == FeatureParams()
    assert config.train_params(tree) == TrainParams()
    assert config.contact_params(tree) == ContactParams()
    assert config.watch_config(tree) == WatchConfig()
    assert tree.get("trace.hops") == DEFAULT_HOPS


def test_short_and_long_calls_have_one_definition(tmp_path: Path) -> None:
    """The victim model's contacts take the features' call lengths: one key each, not two."""
    tree = config.load(write(tmp_path / "f.toml", "[features]\nshort_call_s = 20\nlong_call_s = 240\n"), env=NO_ENV)
    assert config.feature_params(tree).short_call_s == config.contact_params(tree).short_call_s == 20
    assert config.feature_params(tree).long_call_s == config.contact_params(tree).long_call_s == 240
    assert "short_call_s" not in {key.name for key in config.section_keys("contacts")}


def test_what_counts_as_cash_out_has_one_definition_that_the_scan_reads(tmp_path: Path) -> None:
    tree = config.load(write(tmp_path / "f.toml", '[features]\ncash_out_channels = ["atm"]\n'), env=NO_ENV)
    assert config.feature_params(tree).cash_out_channels == ("atm",)
    assert config.scan_params(tree).signals.cash_out_channels == ("atm",)


def test_team_capacity_is_one_number(tmp_path: Path) -> None:
    tree = config.load(write(tmp_path / "f.toml", "[warn]\ncapacity = 42\n"), env=NO_ENV)
    assert config.train_params(tree).capacity == 42
    assert config.watch_config(tree).calls_per_day == 42
    assert tree.setting("watch.capacity.calls_per_day").source == "default ([warn] capacity)"


def test_the_mule_models_rows_and_folds_come_from_the_file(tmp_path: Path) -> None:
    text = '[mule]\nhistory = "60d"\nwindow = "14d"\nfolds = 4\nno_life_share = 0.1\n'
    mule = config.train_params(config.load(write(tmp_path / "f.toml", text), env=NO_ENV)).mule
    assert (mule.history.days, mule.window.days, mule.folds, mule.no_life_share) == (60, 14, 4, 0.1)
    bad = write(tmp_path / "g.toml", '[mule]\nhistory = "7d"\nwindow = "14d"\n')
    with pytest.raises(ConfigError, match=re.escape(f"{bad}: [mule] need 0 < mule window <= mule history")):
        config.train_params(config.load(bad, env=NO_ENV))


# ---- sources and precedence ----------------------------------------------------------------------


def test_file_then_environment_then_options(tmp_path: Path) -> None:
    path = write(tmp_path / "f.toml", '[store]\ndb = "file.duckdb"\nlock_wait = 5\n[scan]\nwindow = "3d"\n')
    tree = config.load(path, env={"FRAUDKIT_LOCK_WAIT": "7"})
    assert tree.setting("store.db") == config.Setting(Path("file.duckdb"), str(path))
    assert tree.setting("store.lock_wait") == config.Setting(7.0, "env FRAUDKIT_LOCK_WAIT")
    assert tree.setting("scan.window").value == timedelta(days=3)
    typed = tree.with_options({"scan.window": ("2d", "--window"), "store.lock_wait": (1.0, "--lock-wait")})
    assert typed.setting("scan.window") == config.Setting(timedelta(days=2), "option --window")
    assert typed.setting("store.lock_wait").value == 1.0
    assert typed.setting("scan.top") == config.Setting(15, "default")


def test_the_file_is_found_by_option_environment_or_working_directory(tmp_path: Path) -> None:
    here = write(tmp_path / "fraudkit.toml", "[scan]\ntop = 3\n")
    other = write(tmp_path / "other.toml", "[scan]\ntop = 4\n")
    assert config.load(env=NO_ENV, cwd=tmp_path).get("scan.top") == 3
    assert config.load(env={"FRAUDKIT_CONFIG": str(other)}, cwd=tmp_path).get("scan.top") == 4
    assert config.load(here, env={"FRAUDKIT_CONFIG": str(other)}, cwd=tmp_path).get("scan.top") == 3
    assert config.load(env=NO_ENV, cwd=tmp_path / "nowhere").file is None


# ---- mistakes: one line naming the file and the key ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[scan.flows]\nedge_dwell_hours = "x"\n', '[scan.flows] edge_dwell_hours must be a number, got "x"'),
        ("[scan]\ntop = 2.5\n", "[scan] top must be a whole number, got 2.5"),
        ("[scan]\ntop = 0\n", "[scan] top must be at least 1, got 0"),
        ("[scan.score]\nflag_at = 2\n", "[scan.score] flag_at must be at most 1, got 2"),
        ('[trace]\nwithin = "2 days"\n', "[trace] within '2 days' is not a duration"),
        ('[engine]\nname = "sprak"\n', '[engine] name must be duckdb or spark, got "sprak"; did you mean spark?'),
        ("[warn]\ntiers = [0.5]\n", "[warn] tiers must be a list of 2, got 1"),
        ("[scan.flows]\npass_thru_hours = 3\n", "unknown key pass_thru_hours in [scan.flows]; did you mean"),
        ("[scna]\ntop = 3\n", "unknown section [scna]; did you mean scan?"),
        ("scan = 3\n", "[scan] must be a table"),
        ("[scan\n", "is not valid TOML"),
    ],
)
def test_a_mistake_in_the_file_names_file_and_key(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path / "fraudkit.toml", text)
    with pytest.raises(ConfigError) as caught:
        config.load(path, env=NO_ENV)
    line = caught.value.one_line()
    assert line.startswith(str(path)) and says in line, line
    assert "\n" not in line


def test_a_rule_across_keys_names_the_section_and_file(tmp_path: Path) -> None:
    path = write(tmp_path / "f.toml", "[features]\none_ring_max_s = 60\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}: [features] need 0 <= one_ring_max_s < short_call_s")):
        config.feature_params(config.load(path, env=NO_ENV))


def test_a_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="FRAUDKIT_LOCK_WAIT: lock_wait must be a number"):
        config.load(env={"FRAUDKIT_LOCK_WAIT": "soon"}, cwd=Path("/nonexistent"))


def test_cli_mistakes_are_one_line(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.toml", '[scan.flows]\nedge_dwell_hours = "x"\n')
    for args in (["status", "--config", str(bad)], ["config", "show", "--config", str(bad)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert result.output.strip().count("\n") == 0, result.output
        assert 'edge_dwell_hours must be a number, got "x"' in result.output
    missing = runner.invoke(app, ["status", "--config", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2 and "nope.toml: no such file" in missing.output
    env_missing = runner.invoke(app, ["status"], env={"FRAUDKIT_CONFIG": str(tmp_path / "gone.toml")})
    assert env_missing.exit_code == 2 and "FRAUDKIT_CONFIG" in env_missing.output


# ---- config show ---------------------------------------------------------------------------------


def test_config_show_says_where_each_value_came_from(tmp_path: Path) -> None:
    path = write(tmp_path / "f.toml", "[scan]\ntop = 5\n[scan.flows]\nmin_inflow = 2000\n")
    result = runner.invoke(app, ["config", "show", "--config", str(path)], env={"FRAUDKIT_DB": "env.duckdb"})
    assert result.exit_code == 0, result.output
    lines = {line.split("=")[0].strip(): line for line in result.output.splitlines() if "=" in line}
    assert lines["top"].split("#")[-1].strip() == f"file {path}"
    assert lines["min_inflow"].startswith("min_inflow = 2000.0") and f"file {path}" in lines["min_inflow"]
    assert lines["db"].startswith('db = "env.duckdb"') and lines["db"].endswith("# env FRAUDKIT_DB")
    assert lines["hops"].endswith("# default")
    assert "# How many hops to follow." in result.output  # each setting explained
    for section in config.SECTIONS:
        assert f"[{section}]" in result.output


def test_the_starter_file_round_trips(tmp_path: Path) -> None:
    """The commented starter changes nothing; uncommented, it gives back every default."""
    starter = tmp_path / "fraudkit.toml"
    result = runner.invoke(app, ["config", "show", "--defaults", "--out", str(starter)])
    assert result.exit_code == 0, result.output
    assert config.load(starter, env=NO_ENV)._given == {}
    again = runner.invoke(app, ["config", "show", "--defaults", "--out", str(starter)])
    assert again.exit_code == 2 and "exists" in again.output
    uncommented = "\n".join(
        line[2:] if re.match(r"# [a-z0-9_]+ = \S", line) else line for line in starter.read_text().splitlines()
    )
    tree = config.load(write(tmp_path / "all.toml", uncommented), env=NO_ENV)
    defaults = config.defaults()
    set_keys = {key.dotted for key in config.KEYS if defaults.get(key.dotted) is not None}
    assert set(tree._given) == set_keys
    for dotted in set_keys:
        assert tree.get(dotted) == defaults.get(dotted), dotted


def test_the_reference_in_the_docs_is_in_step() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert config.reference_table() in docs, "regenerate the table: python -m fraudkit.config"


def test_every_key_has_help_and_every_section_a_line() -> None:
    assert all(key.help.endswith((".", ")")) for key in config.KEYS)
    assert {key.section for key in config.KEYS} == set(config.SECTIONS)


# ---- settings from a file change what a command does ---------------------------------------------


def test_a_scan_setting_from_the_file_changes_the_scan(world_db: Path, tmp_path: Path) -> None:
    plain = runner.invoke(app, ["scan", "--out", str(tmp_path / "a"), "--db", str(world_db)])
    assert plain.exit_code == 0, plain.output
    found = int(re.search(r"(\d+) of (\d+) clusters? flagged", plain.output).group(2))
    assert found > 0
    strict = write(tmp_path / "strict.toml", "[scan.flows]\nmin_inflow = 1e12\n")
    result = runner.invoke(app, ["scan", "--config", str(strict), "--out", str(tmp_path / "b"), "--db", str(world_db)])
    assert result.exit_code == 0, result.output
    assert "0 of 0 clusters flagged" in result.output


def test_an_option_wins_over_the_file(world_db: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "top.toml", "[scan]\ntop = 1\n")
    base = ["scan", "--config", str(path), "--db", str(world_db)]
    one = runner.invoke(app, [*base, "--out", str(tmp_path / "a")])
    two = runner.invoke(app, [*base, "--top", "2", "--out", str(tmp_path / "b")])
    assert one.exit_code == two.exit_code == 0, one.output + two.output
    ranks = [len(re.findall(r"^\s*│?\s*\d+\s", out.output, flags=re.M)) for out in (one, two)]
    assert ranks[0] < ranks[1], ranks


def test_trace_hops_from_the_file(world_db: Path, tmp_path: Path) -> None:
    with open_store(world_db, read_only=True) as con:
        (report,) = con.execute("SELECT report_id FROM reports ORDER BY loss_amount DESC LIMIT 1").fetchone()
    import polars as pl

    path = write(tmp_path / "t.toml", "[trace]\nhops = 2\n")
    args = ["trace", "--report", report, "--db", str(world_db), "--config", str(path)]
    limited = runner.invoke(app, [*args, "--out", str(tmp_path / "two.csv")])
    typed = runner.invoke(app, [*args, "--hops", "3", "--out", str(tmp_path / "three.csv")])
    assert limited.exit_code == typed.exit_code == 0, limited.output + typed.output
    assert pl.read_csv(tmp_path / "two.csv")["hop"].max() == 2  # the file's limit, money beyond it
    assert pl.read_csv(tmp_path / "three.csv")["hop"].max() == 3  # the typed option wins


def test_a_legacy_watch_toml_is_the_watch_section(tmp_path: Path) -> None:
    path = write(tmp_path / "watch.toml", 'every = "2m"\n[tiers]\nred = 0.7\n[capacity]\ncalls_per_day = 50\n')
    tree = config.load(path, env=NO_ENV, legacy="watch")
    watch = config.watch_config(tree)
    assert watch.every == timedelta(minutes=2) and watch.tiers.red == 0.7 and watch.calls_per_day == 50
    with pytest.raises(ConfigError, match="unknown key every"):
        config.load(path, env=NO_ENV)  # elsewhere, a top-level key is a mistake


# ---- one "now" for a store -----------------------------------------------------------------------


def test_warn_and_the_daily_batch_pick_the_same_now(world_db: Path, tmp_path: Path) -> None:
    """Calls a day later than the last transfer: every command's default as-of is the midnight after
    the later of the two, the call-based look-up warn makes and the one the daily batch makes alike."""
    import shutil

    from fraudkit.timeutil import default_as_of, store_as_of

    db = tmp_path / "later_calls.duckdb"
    shutil.copy(world_db, db)
    with open_store(db) as con:
        last_call = con.execute("SELECT max(start_time) FROM calls").fetchone()[0]
        con.execute(
            "INSERT INTO calls SELECT * REPLACE (call_id || 'x' AS call_id, start_time + INTERVAL 1 DAY AS start_time) "
            "FROM calls WHERE start_time = ?",
            [last_call],
        )
        expected = datetime(last_call.year, last_call.month, last_call.day) + timedelta(days=2)
        daily = default_as_of(con)  # pipelines.daily and the demo
        warn = store_as_of(con, None, "calls", "start_time", window=timedelta(hours=24), slack=timedelta(days=1))
        scan = store_as_of(con, None, window=timedelta(days=7))
        assert daily == warn == scan == expected
