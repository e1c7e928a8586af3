"""The Spark session and the per-engine ``backend`` fixture live in tests/conftest.py, so that any
test in the tree can run on both engines (``@pytest.mark.engines``); Spark cases here carry
``engine_cases.ON_SPARK``."""
