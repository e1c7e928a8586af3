"""``python -m fraudkit``: the same CLI as the ``fraudkit`` command (for a venv whose scripts are not on PATH)."""

from fraudkit.cli import main

main()
