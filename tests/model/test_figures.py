"""The pictures of a training: labelled, with the figures people look for, the same bytes for the same
training, and logged with the run where ``fraudkit train`` says they are."""

from __future__ import annotations

import io
from pathlib import Path
from xml.etree import ElementTree

from rich.console import Console

from fraudkit.model.figures import feature_label, operating_point, write_pictures
from fraudkit.model.registry import register
from fraudkit.model.train import TrainResult
from fraudkit.model.views import training_table
from fraudkit.settings import Settings
from fraudkit.text import format_probability

SVG = "{http://www.w3.org/2000/svg}"


def texts(path: Path) -> str:
    """Every text of an SVG drawing, joined (matplotlib writes text as text with svg.fonttype none)."""
    root = ElementTree.parse(path).getroot()
    return " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))


def test_the_pictures_are_labelled_and_say_what_people_look_for(victim_model: TrainResult, tmp_path: Path) -> None:
    pictures = write_pictures(victim_model, tmp_path)
    assert set(pictures) == {"precision-recall curve", "feature importance", "calibration"}
    pr = texts(pictures["precision-recall curve"])
    assert "recall: share of the test days' positives found" in pr
    assert "precision: share of flagged rows that are positives" in pr
    assert f"average precision {victim_model.metrics['auc_pr']:.3f}" in pr
    threshold = victim_model.meta["thresholds"]["capacity"]
    test = victim_model.test_scored.filter(victim_model.test_scored["split"] == "test")
    precision, recall, _ = operating_point(test, threshold)
    assert f"capacity {victim_model.params.capacity} a day: probability ≥ {format_probability(threshold)}" in pr
    assert f"precision {precision:.2f}, recall {recall:.2f}" in pr
    importance = texts(pictures["feature importance"])
    top = victim_model.importance["feature"][0]
    words = feature_label(top).splitlines()  # the domain's words, on one or two lines, and the name
    assert words and all(line in importance for line in words) and top in importance
    assert " ".join(words) != top.replace("_", " ")
    assert "share of the model's total gain" in importance
    calibration = texts(pictures["calibration"])
    assert f"Brier {victim_model.metrics['brier']:.4f}" in calibration
    assert "predicted probability" in calibration and "observed share of positives" in calibration


def test_the_same_training_draws_the_same_bytes(victim_model: TrainResult, tmp_path: Path) -> None:
    first = write_pictures(victim_model, tmp_path / "a")
    second = write_pictures(victim_model, tmp_path / "b")
    for name, path in first.items():
        assert path.read_bytes() == second[name].read_bytes(), name
        assert b"<dc:date>" not in path.read_bytes()


def test_train_prints_where_the_pictures_of_the_run_are(victim_model: TrainResult, tmp_path: Path) -> None:
    settings = Settings(threads=1, tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", mlruns_dir=tmp_path)
    registered = register(victim_model, settings)
    assert set(victim_model.artifacts) == {"precision-recall curve", "feature importance", "calibration"}
    for where in victim_model.artifacts.values():
        path = Path(where)
        assert path.is_file() and path.parent.name == "pictures" and registered.run_id in path.parts
        assert ElementTree.parse(path).getroot().tag == f"{SVG}svg"
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(training_table(victim_model))
    shown = console.export_text()
    for name, where in victim_model.artifacts.items():
        assert f"picture: {name}" in shown and where in shown
    assert "red ≥ 50%, orange ≥ 20%" in shown and "calibration on the test days" in shown
