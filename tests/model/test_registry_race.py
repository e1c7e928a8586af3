"""Two trainings that finish at the same moment on a new MLflow store both register: creating the
store, the experiment and the registered model is safe between processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHILD = """
import sys, time
from pathlib import Path
from fraudkit.model import registry
from fraudkit.settings import Settings

root, me, other = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
settings = Settings(tracking_uri=f"sqlite:///{root / 'mlflow.db'}", mlruns_dir=root)
(root / me).touch()
while not (root / other).exists():  # start together, once both have imported mlflow
    time.sleep(0.001)
client = registry._client(settings)
experiment = registry._experiment_id(client, settings, "victim")
registry._ensure_registered_model(client, registry.model_name("victim"))
print(experiment)
"""


def test_two_processes_create_a_new_store_experiment_and_model_at_once(tmp_path: Path) -> None:
    # without the lock, two migrations of a new sqlite store crashed one process in 4 runs of 4
    for attempt in range(1):
        root = tmp_path / f"store{attempt}"
        root.mkdir()
        children = [
            subprocess.Popen(
                [sys.executable, "-c", CHILD, str(root), me, other],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for me, other in (("a", "b"), ("b", "a"))
        ]
        outcomes = [child.communicate(timeout=120) for child in children]
        for child, (_, err) in zip(children, outcomes, strict=True):
            assert child.returncode == 0, err.strip().splitlines()[-1]
        assert len({out.strip() for out, _ in outcomes}) == 1, "both use the one experiment"
