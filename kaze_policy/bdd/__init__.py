"""The auditor's suite: Gherkin features (features/<family>.feature), one scenario per
control, run with pytest-bdd against what `kaze-policy audit` evaluated.

features.py reads and checks them against the catalog, steps.py holds the few generic
steps, suite.py is the test module pytest-bdd fills with the scenarios, plugin.py records
each step's outcome, and runner.py runs them in process and returns the model of model.py.
"""
