"""LightGBM, imported without its scikit-learn wrappers.

fraudkit fits and scores ``lightgbm.Booster`` objects only. LightGBM imports scikit-learn when it is
installed (MLflow brings it), which took 1.7 of the 2.4 s ``fraudkit warn`` spent importing LightGBM
at 1M subscribers: longer than scoring the day's contacts. Importing it with scikit-learn hidden
leaves the Booster whole and only its scikit-learn estimators (``LGBMClassifier``) unusable.
"""

from __future__ import annotations

import sys
from types import ModuleType


def lightgbm() -> ModuleType:
    """The ``lightgbm`` module; the first import in a process hides scikit-learn from it, unless
    scikit-learn is loaded already (then LightGBM's own import is as cheap, and left alone)."""
    loaded = sys.modules.get("lightgbm")
    if loaded is not None:
        return loaded
    if "sklearn" in sys.modules:
        import lightgbm as lgb

        return lgb
    sys.modules["sklearn"] = None  # type: ignore[assignment]  # `import sklearn` raises ImportError meanwhile
    try:
        import lightgbm as lgb
    finally:
        del sys.modules["sklearn"]
    return lgb
