"""Backends of the operational store (see ops_backends)."""

from ops_backends import engine, ops_url  # noqa: F401  (fixtures)
