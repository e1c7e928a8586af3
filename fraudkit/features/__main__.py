"""Print the feature catalogue as Markdown: ``python -m fraudkit.features > docs/features.md``."""

from fraudkit.features.catalogue import catalogue_markdown

if __name__ == "__main__":
    print(catalogue_markdown(), end="")
