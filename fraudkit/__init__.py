"""fraudkit: telecom-fraud detection and interception analytics.

Importing the package is cheap on purpose: heavy engines (lightgbm, mlflow,
networkx) are imported inside the functions that use them, so the CLI answers
``--help`` at once.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GOMP_SPINCOUNT", "20000")
# LightGBM's OpenMP threads spin while they wait: on a busy machine the spinning takes the cores the
# working threads need. Training the victim model at 20,000 subscribers beside 8 busy processes on 2
# cores took 66 s with libgomp's defaults, 35 s with PASSIVE (waiting threads sleep at once, but 8.3 s
# instead of 5.8 s idle) and 40 s with PASSIVE and a short spin of 20,000 (6.3 s idle): that pair. Both
# must be set before lightgbm loads the OpenMP runtime, so they are set when fraudkit is imported; values
# the user set win (benchmarks/bench_busy.py measures them).

__version__ = "0.1.0"
