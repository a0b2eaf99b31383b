"""The steps every feature is written with, few and generic on purpose: the scenario's
tags name the control, the Given and When steps say what is examined, and the one Then step
holds exactly when the control does (pass, waived or not applicable) and fails with the
findings as its evidence when it does not."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from kaze_policy.bdd.verdict import Verdict, judge
from kaze_policy.results import ERROR, FAIL, NOT_APPLICABLE


class ControlNotEvaluated(Exception):
    """The control could not be judged on the target (never a pass)."""


@given("the cell under audit", target_fixture="cell")
def the_cell_under_audit(audit):  # noqa: ANN001, ANN201 (the fixture is the audit session)
    """What `audit` was given, once read: nothing read is no pass."""
    if not audit.report.targets:
        raise ControlNotEvaluated("no target was read, so nothing can be audited")
    return audit.report.targets


@when(parsers.re(r"its (?P<subject>.+) (?:is|are) analysed"), target_fixture="verdict")
def its_subject_is_analysed(audit, cell, subject: str) -> Verdict:  # noqa: ANN001
    """The scenario's controls, as the scan's pipeline evaluated them on the target."""
    return judge(audit.results_of_scenario())


@then(parsers.re(r"(?P<claim>.+)"))
def the_claim_holds(audit, verdict: Verdict, claim: str) -> None:  # noqa: ANN001
    __tracebackhide__ = True
    audit.note_verdict(verdict)
    if verdict.status == FAIL:
        raise AssertionError("\n".join(verdict.evidence))
    if verdict.status == ERROR:
        raise ControlNotEvaluated("\n".join(verdict.evidence) or "the control could not be evaluated")
    if verdict.status == NOT_APPLICABLE:
        pytest.skip("does not apply: " + ("; ".join(verdict.evidence) or "nothing it judges was found"))
