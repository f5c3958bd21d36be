"""Training and evaluation: labeled-note readers, ranking metrics, the evaluation harness and a reference baseline.

Imports only :mod:`vocab` and :mod:`suggest` (never :mod:`service`): a retraining worker runs this package
in its own process.
"""
