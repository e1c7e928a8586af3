"""Per-account and per-phone feature frames as of a point in time, computed with Polars.

The producers are pure functions of canonical frames (one shard's events) so that the
same function runs locally and per shard on Spark; ``build_features`` is the convenience
that reads the DuckDB store. Every column is described in ``FEATURE_CATALOGUE``.
"""

from fraudkit.features.accounts import account_features
from fraudkit.features.catalogue import FEATURE_CATALOGUE, FEATURE_SETS, catalogue_markdown
from fraudkit.features.frames import build_features, load_frames
from fraudkit.features.links import link_phone_accounts
from fraudkit.features.money import subscriber_money_features
from fraudkit.features.params import FeatureParams, TimeFrame
from fraudkit.features.phones import phone_features
from fraudkit.features.spec import FeatureSpec

__all__ = [
    "FEATURE_CATALOGUE",
    "FEATURE_SETS",
    "FeatureParams",
    "FeatureSpec",
    "TimeFrame",
    "account_features",
    "build_features",
    "catalogue_markdown",
    "link_phone_accounts",
    "load_frames",
    "phone_features",
    "subscriber_money_features",
]
