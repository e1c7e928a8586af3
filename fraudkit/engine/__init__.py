"""Engine-specific code: what DuckDB and Spark share (one SQL text for connected components) and the
Spark backend. ``fraudkit.backend`` is the seam stages use; nothing here imports pyspark at import time."""
