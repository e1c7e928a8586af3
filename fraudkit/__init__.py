"""fraudkit: telecom-fraud detection and interception analytics.

Importing the package is cheap on purpose: heavy engines (lightgbm, mlflow,
networkx) are imported inside the functions that use them, so the CLI answers
``--help`` at once.
"""

__version__ = "0.1.0"
