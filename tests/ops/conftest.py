"""Backends of the operational store (see ops_backends)."""

from ops_backends import cheap_password_hashing, engine, ops_url  # noqa: F401  (fixtures)
