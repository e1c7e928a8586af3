"""python -m fraudkit.index: print docs/index.md (the index's method and indicator catalogue)."""

from fraudkit.index.catalogue import catalogue_markdown

print(catalogue_markdown(), end="")
