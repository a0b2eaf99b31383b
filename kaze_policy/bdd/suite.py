"""The test module of an audit's pytest run: pytest-bdd binds every scenario of the features
folder the runner chose (set before each run) to the steps of steps.py, which the runner
registers as a plugin (pytest-bdd keeps step definitions as fixtures of their module)."""

from pytest_bdd import scenarios

from kaze_policy.bdd import runner

scenarios(str(runner.current_features_dir()))
