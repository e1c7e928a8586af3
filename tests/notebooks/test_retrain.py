"""notebooks/retrain.ipynb runs end to end on a small world: first by the README's command as pasted,
then as papermill runs it, on the same store, as a data scientist retrains week after week.

The README's command (read from README.md's notebook section, not copied here) runs with bash in a
temporary copy of the repository layout: ``notebooks/retrain.ipynb``, and the small world's store
(and truth, if the command names one) where the command's relative paths point. ``jupyter execute``
starts the kernel in ``notebooks/``, so this checks that relative paths are read from the folder the
command was typed in, and that no registry appears in ``notebooks/mlruns/``. The first run has no
champion to beat, so its rule promotes version 1. The second injects parameters after the cell
tagged ``parameters`` (as papermill does), relative paths included, with no launch folder in the
environment; it trains again, compares with champion v1 on the same test days and decides by the
rule. The world's labels come from reports, as for the README's command.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
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
from nbclient.exceptions import CellExecutionError

from fraudkit.model.registry import list_versions
from fraudkit.settings import Settings
from fraudkit.synth import SynthConfig, generate_world, store_world

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "retrain.ipynb"
README = REPO / "README.md"
KERNEL = "python3"  # the notebook's own kernel name, so `jupyter execute` finds the spec written below
CAPACITY = 50  # not the notebook's default, so the outputs show whether the injected cell took effect
DIGIT_RUN = re.compile(r"\d{7,}")
MASKED_PHONE = re.compile(r"\b\d{3}\*{4}\d{4}\b")
ENVIRONMENT = ("FRAUDKIT_DB", "MLFLOW_TRACKING_URI", "FRAUDKIT_TRUTH", "FRAUDKIT_LAUNCH_DIR")


def readme_command() -> str:
    """The first bash block of README.md's section on the notebook, continuation lines joined."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Retraining: `notebooks/retrain.ipynb`", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README.md's notebook section has no bash block"
    return block.group(1).replace("\\\n", " ").strip()


def command_environment(command: str, root: Path) -> dict[str, str]:
    """The VAR=value assignments the command starts with, $PWD read as the folder it runs in."""
    assigned: dict[str, str] = {}
    for word in shlex.split(command):
        name, sep, value = word.partition("=")
        if not sep or not name.isidentifier():
            break
        assigned[name] = value.replace("$PWD", str(root)).replace("${PWD}", str(root))
    return assigned


def registry_path(uri: str, root: Path) -> Path:
    assert uri.startswith("sqlite:///"), "the README's tracking URI is a local sqlite registry"
    path = Path(uri[len("sqlite:///") :])
    return path if path.is_absolute() else root / path


@dataclass(frozen=True)
class Layout:
    """A temporary repository root: the notebook in notebooks/, the small world where the command points."""

    root: Path
    command: str
    db: str  # as the command gives it (relative to root, or absolute)
    tracking_uri: str
    registry: Path
    phones: frozenset[str]
    accounts: frozenset[str]


def venv_kernel_path(root: Path) -> Path:
    """A Jupyter data folder whose python3 kernel is this very interpreter (the venv's): the repository's
    spec says plain ``python``, and a user-level or system spec may belong to another Python."""
    from ipykernel.kernelspec import write_kernel_spec

    data = root / "jupyter"
    if not (data / "kernels" / KERNEL).is_dir():
        write_kernel_spec(data / "kernels" / KERNEL)
    spec = KernelSpecManager(kernel_dirs=[str(data / "kernels")]).get_kernel_spec(KERNEL)
    assert spec.argv[0] == sys.executable
    return data


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    """3,000 subscribers with boosted fraud: enough reported victims to train on, in a couple of seconds."""
    root = tmp_path_factory.mktemp("repo")
    command = readme_command()
    env = command_environment(command, root)
    assert "FRAUDKIT_DB" in env and "MLFLOW_TRACKING_URI" in env, command
    (root / "notebooks").mkdir()
    shutil.copy(NOTEBOOK, root / "notebooks" / NOTEBOOK.name)
    world = generate_world(SynthConfig(seed=3, subscribers=3_000, fraud_operations_per_100k=300.0))
    db = Path(env["FRAUDKIT_DB"])
    truth = Path(env["FRAUDKIT_TRUTH"]) if env.get("FRAUDKIT_TRUTH") else None
    (root / db).parent.mkdir(parents=True, exist_ok=True)
    store_world(world, root / db, (root / truth) if truth else None)
    calls, subscribers = world.tables["calls"], world.tables["subscribers"]
    phones = pl.concat([calls["caller"], calls["callee"], subscribers["phone"]]).cast(pl.String).unique()
    return Layout(
        root=root,
        command=command,
        db=env["FRAUDKIT_DB"],
        tracking_uri=env["MLFLOW_TRACKING_URI"],
        registry=registry_path(env["MLFLOW_TRACKING_URI"], root),
        phones=frozenset(phones.to_list()),
        accounts=frozenset(world.tables["accounts"]["account_id"].cast(pl.String).to_list()),
    )


def clean_environment(layout: Layout) -> dict[str, str]:
    """This process's environment without the notebook's variables, the venv first on PATH, Jupyter's
    folders in the temporary root."""
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
    data = venv_kernel_path(layout.root)
    return env | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "JUPYTER_PATH": str(data),
        "JUPYTER_RUNTIME_DIR": str(layout.root / "jupyter" / "runtime"),
    }


def run_readme_command(layout: Layout) -> nbformat.NotebookNode:
    """The README's command as pasted, in bash, from the temporary repository root."""
    done = subprocess.run(
        ["bash", "-c", layout.command],
        cwd=layout.root,
        env=clean_environment(layout),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outputs = [p for p in (layout.root / "notebooks").glob("*.ipynb") if p.name != NOTEBOOK.name]
    assert len(outputs) == 1, "the command writes one executed notebook"
    return nbformat.read(outputs[0], as_version=4)


def with_parameters(nb: nbformat.NotebookNode, values: dict[str, Any]) -> nbformat.NotebookNode:
    """Insert, right after the cell tagged ``parameters``, a cell assigning ``values`` (as papermill does)."""
    tagged = [i for i, cell in enumerate(nb.cells) if "parameters" in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "the notebook needs exactly one cell tagged 'parameters'"
    source = "\n".join(f"{name} = {value!r}" for name, value in values.items())
    injected = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(tagged[0] + 1, injected)
    return nb


def run_injected(layout: Layout, values: dict[str, Any], *, cells: int | None = None) -> nbformat.NotebookNode:
    """Execute the notebook (its first ``cells`` only, if given) with injected parameters, the kernel in
    the temporary ``notebooks/`` as Jupyter starts it, no notebook variable in its environment."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    if cells is not None:
        nb.cells = nb.cells[:cells]
    with_parameters(nb, values)
    env = clean_environment(layout)
    specs = KernelSpecManager(kernel_dirs=[str(Path(env["JUPYTER_PATH"]) / "kernels")])
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)
    workdir = layout.root / "notebooks"
    client = NotebookClient(nb, km=km, timeout=300, resources={"metadata": {"path": str(workdir)}})
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


def pictures(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", []))


@pytest.fixture(scope="module")
def two_runs(layout: Layout) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """The README's command, then a papermill-style retraining on the same store with relative paths."""
    first = run_readme_command(layout)
    second = run_injected(
        layout,
        {"DB_PATH": layout.db, "TRACKING_URI": layout.tracking_uri, "CAPACITY": CAPACITY, "THREADS": 1, "TOP": 15},
    )
    return first, second


def test_the_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(cell.execution_count is None and not cell.outputs for cell in code)


def test_the_readme_command_promotes_into_the_registry_it_names_then_a_retrain_compares(
    two_runs: tuple[nbformat.NotebookNode, nbformat.NotebookNode], layout: Layout
) -> None:
    first, second = two_runs
    assert layout.registry.is_file(), f"no registry at {layout.registry}, where the README's command points"
    assert not (layout.root / "notebooks" / "mlruns").exists(), "a registry was made in notebooks/mlruns/"
    assert not list((layout.root / "notebooks").glob("**/*.duckdb")), "a store was made in notebooks/"
    settings = Settings(tracking_uri=f"sqlite:///{layout.registry}", mlruns_dir=layout.registry.parent)
    versions = list_versions(settings, "victim")
    assert [v["version"] for v in versions] == ["2", "1"]
    assert all(v["label_source"] == "reports" and v["as_of"].startswith("2026-10-31") for v in versions)
    assert any((layout.registry.parent / "artifacts").glob("**/model_meta.json")), "artifacts beside the registry"

    first_text, second_text = output_text(first), output_text(second)
    assert f"paths read from {layout.root.resolve()} (" in first_text
    assert "decision: PROMOTE" in first_text and "no other champion to compare with" in first_text
    assert "the registered model reproduces all" in first_text
    assert f"paths read from {layout.root.resolve()} (the folder above notebooks/" in second_text
    assert "champion v1" in second_text and f"precision@{CAPACITY}" in second_text, "injected parameters unused"
    promoted = "decision: PROMOTE" in second_text
    assert [v["version"] for v in versions if v["champion"]] == (["2"] if promoted else ["1"])


def test_the_notebook_draws_its_pictures(two_runs: tuple[nbformat.NotebookNode, nbformat.NotebookNode]) -> None:
    """Precision-recall with the score distribution, and the feature importance: two figures a run."""
    for nb in two_runs:
        assert pictures(nb) == 2


def test_no_full_phone_or_account_number_in_the_outputs(
    two_runs: tuple[nbformat.NotebookNode, nbformat.NotebookNode], layout: Layout
) -> None:
    for nb in two_runs:
        text = output_text(nb)
        assert MASKED_PHONE.search(text), "the masked call-back list is missing, so this check would prove nothing"
        runs = DIGIT_RUN.findall(text)
        leaked = {phone for run in runs for phone in known_within(run, layout.phones)}
        assert not leaked, f"{len(leaked)} full phone number(s) in the notebook's outputs"
        leaked = {account for run in runs for account in known_within(run, layout.accounts)}
        assert not leaked, f"{len(leaked)} full account number(s) in the notebook's outputs"


def test_a_registry_inside_notebooks_is_refused_before_anything_is_made(layout: Layout) -> None:
    inside = layout.root / "notebooks" / "mlruns" / "mlflow.db"
    paths_cell = 1 + next(i for i, c in enumerate(nbformat.read(NOTEBOOK, 4).cells) if "def launch_folder" in c.source)
    with pytest.raises(CellExecutionError, match="would be made inside"):
        run_injected(layout, {"DB_PATH": layout.db, "TRACKING_URI": f"sqlite:///{inside}"}, cells=paths_cell)
    assert not inside.parent.exists()


def test_readme_command_is_read_from_the_readme() -> None:
    """Guards the reading itself: the command runs the notebook and sets the store and the registry."""
    command = readme_command()
    assert "jupyter execute notebooks/retrain.ipynb" in command
    assert json.dumps(command).count("FRAUDKIT_DB=") == 1
