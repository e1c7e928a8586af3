"""notebooks/retrain.ipynb runs end to end on a small world, against a temporary MLflow store.

The notebook is executed twice on the same store, as a data scientist retrains week after week:
the first run has no champion to beat, so its rule promotes version 1; the second trains the
same model again (training is deterministic), compares it with champion v1 on the same test
days, finds it as good, and promotes version 2. Parameters are injected as papermill does (a
cell after the one tagged ``parameters``); the store and tracking URI are also set in the
kernel's environment and the kernel runs in a temporary folder, so even a notebook that lost
its injected cell could not reach the repository's ``mlruns/``.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import polars as pl
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from fraudkit.model.registry import list_versions
from fraudkit.settings import Settings
from fraudkit.synth import SynthConfig, generate_world, store_world

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "retrain.ipynb"
KERNEL = "fraudkit-test-python"
CAPACITY = 50  # not the notebook's default, so the outputs show whether the injected cell took effect
DIGIT_RUN = re.compile(r"\d{7,}")
MASKED_PHONE = re.compile(r"\b\d{3}\*{4}\d{4}\b")


@dataclass(frozen=True)
class SmallWorld:
    root: Path
    db: Path
    truth: Path
    tracking_uri: str
    phones: frozenset[str]
    accounts: frozenset[str]


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> SmallWorld:
    """A boosted-fraud world of 4,000 subscribers in a DuckDB file, its truth as Parquet, an empty MLflow store."""
    world = generate_world(SynthConfig(seed=3, subscribers=4_000, fraud_operations_per_100k=300.0))
    root = tmp_path_factory.mktemp("retrain")
    db = root / "fraudkit.duckdb"
    truth = root / "truth"
    store_world(world, db, truth)
    calls, subscribers = world.tables["calls"], world.tables["subscribers"]
    phones = pl.concat([calls["caller"], calls["callee"], subscribers["phone"]]).cast(pl.String).unique()
    return SmallWorld(
        root=root,
        db=db,
        truth=truth,
        tracking_uri=f"sqlite:///{root / 'mlruns' / 'mlflow.db'}",
        phones=frozenset(phones.to_list()),
        accounts=frozenset(world.tables["accounts"]["account_id"].cast(pl.String).to_list()),
    )


def with_parameters(nb: nbformat.NotebookNode, values: dict[str, Any]) -> nbformat.NotebookNode:
    """Insert, right after the cell tagged ``parameters``, a cell assigning ``values`` (as papermill does)."""
    tagged = [i for i, cell in enumerate(nb.cells) if "parameters" in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "the notebook needs exactly one cell tagged 'parameters'"
    source = "\n".join(f"{name} = {value!r}" for name, value in values.items())
    injected = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(tagged[0] + 1, injected)
    return nb


def venv_kernel(root: Path) -> KernelManager:
    """A kernel of this very interpreter (the venv's), from a kernel spec written for it under ``root``.

    A ``python3`` spec found on the Jupyter path may belong to another Python (a user-level or
    system install shadows the venv's), so the test writes its own and looks nowhere else.
    """
    from ipykernel.kernelspec import write_kernel_spec

    kernels = root / "kernels"
    write_kernel_spec(kernels / KERNEL)
    specs = KernelSpecManager(kernel_dirs=[str(kernels)])
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)
    assert km.kernel_spec is not None and km.kernel_spec.argv[0] == sys.executable
    return km


def run_notebook(world: SmallWorld, workdir: Path) -> nbformat.NotebookNode:
    """Execute the notebook on the small world with one thread, in ``workdir``; raises on the first failing cell."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = {
        "DB_PATH": str(world.db),
        "TRACKING_URI": world.tracking_uri,
        "TRUTH_DIR": str(world.truth),
        "AS_OF": "2026-10-31",
        "CAPACITY": CAPACITY,
        "THREADS": 1,
        "TOP": 15,
    }
    with_parameters(nb, params)
    workdir.mkdir(parents=True, exist_ok=True)
    env = os.environ | {
        "FRAUDKIT_DB": str(world.db),
        "MLFLOW_TRACKING_URI": world.tracking_uri,
        "FRAUDKIT_TRUTH": str(world.truth),
    }
    client = NotebookClient(nb, km=venv_kernel(workdir), timeout=120, resources={"metadata": {"path": str(workdir)}})
    client.execute(env=env)
    return nb


def known_within(run: str, known: frozenset[str]) -> set[str]:
    """The known numbers that occur anywhere in a run of digits (a number may hide inside a longer run)."""
    lengths = {len(k) for k in known}
    return {run[i : i + n] for n in lengths for i in range(len(run) - n + 1) if run[i : i + n] in known}


def output_text(nb: nbformat.NotebookNode) -> str:
    """Everything the notebook showed: streams, plain-text and HTML results, error text."""
    parts: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            data = out.get("data", {})
            parts.extend(str(data.get(kind, "")) for kind in ("text/plain", "text/html"))
            parts.extend(out.get("traceback", []))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def two_runs(small_world: SmallWorld) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """The notebook run twice on the same store: a first training, then a retraining against its champion."""
    first = run_notebook(small_world, small_world.root / "run1")
    second = run_notebook(small_world, small_world.root / "run2")
    return first, second


def test_the_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(cell.execution_count is None and not cell.outputs for cell in code)


def test_first_run_registers_and_promotes_then_a_retrain_beats_the_champion(
    two_runs: tuple[nbformat.NotebookNode, nbformat.NotebookNode], small_world: SmallWorld
) -> None:
    first, second = two_runs
    settings = Settings(tracking_uri=small_world.tracking_uri, mlruns_dir=small_world.root / "mlruns")
    versions = list_versions(settings, "victim")
    assert [v["version"] for v in versions] == ["2", "1"]
    assert [v["version"] for v in versions if v["champion"]] == ["2"]
    assert all(v["label_source"] == "truth" and v["as_of"].startswith("2026-10-31") for v in versions)
    assert any((small_world.root / "mlruns" / "artifacts").glob("**/model_meta.json")), "artifacts beside the store"

    first_text, second_text = output_text(first), output_text(second)
    assert "decision: PROMOTE" in first_text and "no other champion to compare with" in first_text
    assert "decision: PROMOTE" in second_text and "champion v1" in second_text
    assert f"precision@{CAPACITY}" in second_text, "the injected parameters were not used"
    assert "the registered model reproduces all" in second_text


def test_no_full_phone_or_account_number_in_the_outputs(
    two_runs: tuple[nbformat.NotebookNode, nbformat.NotebookNode], small_world: SmallWorld
) -> None:
    for nb in two_runs:
        text = output_text(nb)
        assert MASKED_PHONE.search(text), "the masked call-back list is missing, so this check would prove nothing"
        runs = DIGIT_RUN.findall(text)
        leaked = {phone for run in runs for phone in known_within(run, small_world.phones)}
        assert not leaked, f"{len(leaked)} full phone number(s) in the notebook's outputs"
        leaked = {account for run in runs for account in known_within(run, small_world.accounts)}
        assert not leaked, f"{len(leaked)} full account number(s) in the notebook's outputs"
