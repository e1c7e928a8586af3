"""Models: LightGBM early-warning models, their MLflow registry, and scoring.

Three targets (``fraudkit.model.params.TARGETS``):

- ``victim``: each contact (a long incoming call from a number new to the subscriber) scored
  the moment it ends: is this person being hooked now? Feeds the call-back lists (``fraudkit.warn``).
- ``fraud_number``: each phone active on a day, as of the midnight after: is it a fraud number?
- ``mule``: each account active on a day, with its water-house cluster from the scan: is it a mule?

The API, in the order a data scientist uses it (settings passed down, nothing global)::

    from fraudkit.model import build_training_set, train_model, register, compare, promote, load_model
    ts = build_training_set(con, "victim", as_of=when, truth="world/truth")   # or labels from reports
    result = train_model(ts, TrainParams(target="victim", capacity=100), settings)
    version = register(result, settings)            # MLflow run + version of fraudkit-victim
    print(compare(settings, "victim", version.version).rows)
    promote(settings, "victim", version.version)    # moves the champion alias
    model = load_model(settings, "victim")          # the champion
    scored = score_contacts(con, model, since=..., until=...)

Heavy libraries (lightgbm, mlflow) load inside the functions that use them.
"""

from fraudkit.model.contacts import CONTACT_FEATURE_NAMES, CONTACT_FEATURES, contact_features
from fraudkit.model.dataset import TrainingSet, build_training_set, entity_rows
from fraudkit.model.labels import read_truth
from fraudkit.model.metrics import average_precision, interception, ranking_metrics, replay_calls
from fraudkit.model.params import (
    TARGETS,
    ContactParams,
    LabelParams,
    LightGBMParams,
    SplitParams,
    Target,
    TrainParams,
)
from fraudkit.model.registry import (
    Comparison,
    LoadedModel,
    RegisteredModel,
    compare,
    list_versions,
    load_model,
    promote,
    register,
)
from fraudkit.model.scoring import score, score_contacts, score_day
from fraudkit.model.split import DaySplit, split_days
from fraudkit.model.train import TrainResult, evaluate, feature_importance, train_model

__all__ = [
    "CONTACT_FEATURES",
    "CONTACT_FEATURE_NAMES",
    "TARGETS",
    "Comparison",
    "ContactParams",
    "DaySplit",
    "LabelParams",
    "LightGBMParams",
    "LoadedModel",
    "RegisteredModel",
    "SplitParams",
    "Target",
    "TrainParams",
    "TrainResult",
    "TrainingSet",
    "average_precision",
    "build_training_set",
    "compare",
    "contact_features",
    "entity_rows",
    "evaluate",
    "feature_importance",
    "interception",
    "list_versions",
    "load_model",
    "promote",
    "ranking_metrics",
    "read_truth",
    "register",
    "replay_calls",
    "score",
    "score_contacts",
    "score_day",
    "split_days",
    "train_model",
]
