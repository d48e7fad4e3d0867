"""esp/generate/wrap.py lays long generated lines out as ruff format does: each case is a line the templates
wrote past 120 columns for names of E171's 40 characters (found by bench/fuzz.py), checked against ruff
format itself and ruff's E501."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from esp.generate.wrap import LINE, fit_module

N = "customer_profiles_longer_longer_longer"  # names as long as E171 lets them be
C = "CustomerProfileLongerLongerLongerLonger"
W = "longer_longer_longer"
A = "qpc_ab_ab_ab_ab_ab_ab_ab_ab"  # helpdesk's response field, every name at its longest (a fuzz mutant)
U = "value_objects.CustomerResponse | value_objects.Agent"  # the union of its two value objects

CASES = {
    "annotated attribute whose annotation passes the line": f"""
class Incident:
    def __init__(self) -> None:
        self.response_{A}_abx: {U}Response | None = None
""",
    "annotated attribute whose value goes in parentheses": f"""
class Incident:
    def __init__(self) -> None:
        self.response_{A}: {U}Resp | None = None
""",
    "call in a call": f"""
def f(app, domain_event):
    if True:
        if True:
            processing_event.collect_events(settle_claim_{N}_compensate(app, domain_event))
""",
    "assignment of a call": f"""
def f(system, event):
    if True:
        if True:
            answer = claims_saga_steps.settle_claim_{N}_compensate(system.claims, event)
""",
    "assignment whose head does not fit": f"""
class S:
    def f(self):
        self.current_profile_longer_longer_longer_longer = {N}_projections.{C}(self.customer_profiles)
""",
    "a call's arguments one a line": f"""
def f(self):
    require_state("UpdateTitleLongerLongerLongerLonger", "{C}", self.state, ("active_longer_longer_longer_longer",))
""",
    "keyword argument in a split call": f"""
def f(self, command):
    self.trigger_event(
        self.TitleUpdated,
        previous_title_{W}=rules.title_updated_{W}_longer_previous_title(self, command),
    )
""",
    "a dict entry whose value cannot follow its key": f"""
def f(self, values):
    if True:
        if True:
            return {{
                "amount_{W}_longer": self.rules.settle_claim_disburse_payment_amount_{W}_longer(values),
            }}
""",
    "a keyword argument whose value cannot follow its name": f"""
def f(self, command):
    self.trigger_event(
        self.X,
        previous_title_{W}_longer=rules.title_updated_{W}_longer_previous_title_{W}_longer(self, command),
    )
""",
    "assert comparing to a literal": f"""
def f(system, event):
    if True:
        if event.step == "Authorize card longer longer longer":
            assert accounting_saga_steps.create_order_authorize_card_{W}(system.accounting, event) == []
""",
    "assert of a comparison": f"""
def f(system, run):
    assert last_event(system.policies_longer_longer_longer_longer, run.succeeded[0]) == "CoverageHeld{C}"
""",
    "condition of several terms": f"""
def f(domain_event):
    if True:
        if domain_event.saga == "SettleClaim{C}" and domain_event.step == "AGGREGATE_CACHE_FASTFORWARD_SKIPPING":
            return
""",
    "a tuple written out": f"""
X = {{
    {N}_aggregates.PolicyHoldLongerLongerLongerLongerLonger.CoverageHeldLonger: (0, "succeeded"),
}}
""",
    "a def with one parameter": f"""
def view_profile_longer_longer_longer_longer(query: commands.ViewProfileLongerLongerLongerLonger) -> list[{N}.Row]:
    return []
""",
    "a comment": f"""
def f():
    # {C} names {N}, and the rule {C}Rule fills {N}_field: the generated line is long
    return 1
""",
    "a trailing comment": f"""
def f(system):
    if True:
        system.kitchen_{W}_longer.rules = CreateOrderReserveSlotRule()  # up, failing: its late answers change nothing
""",
    "a one-line docstring": f'''
class Row:
    """One row of CurrentProfileLongerLongerLongerLonger: the latest values of one {C} and what names it."""
''',
    "a docstring of several lines": f'''
def make(quiet: bool = False) -> None:
    """A stored {C} in ``state`` (example values; "" is the state right after creation, {N}).

    ``quiet``: stored without prompting the microservices that follow this one.
    """
''',
    "a split signature's return type": f"""
class Hooks:
    def choose_register_handling(
        self,
        command: str,
    ) -> Sequence[Literal["{C}", "CargoLoaded", "TestTheJourneySurvivesARestart", "CargoMisdirected"]]:
        return ["CargoLoaded"]
""",
    "a split signature's return type longer than a line": f"""
class Hooks:
    def choose_register_handling(
        self,
        command: str,
    ) -> Sequence[Literal["{C}", "CargoLoaded", "{C}Received", "{C}Misdirected", "{C}Claimed"]]:
        return ["CargoLoaded"]
""",
    # every name of a journey at 40 characters (bench.fuzz.at_max_length)
    "an assignment of a split call whose first line does not fit": f"""
def api(app, reader):
    current_profile_{W}_longer_lo = {N}_projections.CurrentProfile{C}(
        reader({N}_application.{C}Service),
    )
""",
    "an attribute of a call, assigned": f"""
def f(system, event):
    if True:
        if True:
            version = system.{N}.repository.get(event.values["restaurant_id_{W}_longer_longer"]).version
""",
    "assert comparing to a list: the left side's brackets split": f"""
def f(system, run):
    assert recorded(system.{N}, run.values["restaurant_id_{W}_longer_lo"])[-1:] == ["SlotReleased{C}"]
""",
    "assert comparing to a list: the list split": f"""
def f(system, run):
    assert compensated(system, run) == ["Create ticket {W} longer lo", "Reserve slot {W} longer longer"]
""",
    "assert comparing to a list: the left side's arguments one a line": f"""
def f(app, keyed):
    assert app.holders("{C}", "buyer_id_{W}_longer_longer", keyed.buyer_id_{W}_longer_longer) == [keyed.id]
""",
    "a union of types, one a line": f"""
class Hooks:
    def order_cancelled_description(
        self,
        command: commands.CancelOrder{C} | commands.RejectStock{C} | commands.CancelUnpaid{C},
    ) -> str:
        return ""
""",
    "a return of a split call whose first line does not fit": f"""
class S:
    def _open_{W}_longer_long(self, command, aggregate_id):
        return aggregates.{C}.open_{N}_longer_long(
            command, self.rules, aggregate_id=aggregate_id
        )
""",
    "an import": f"""
from longpkg.{N} import projections as {N}_projections
""",
    "an import of several names": f"""
from longpkg.{N} import aggregates, commands, projections, rules, hooks, application_longer
""",
}


def _ruff_format(source: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--line-length", str(LINE), "--isolated", "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize("name", CASES)
def test_a_long_line_is_laid_out_as_ruff_format_lays_it_out(name: str) -> None:
    source = textwrap.dedent(CASES[name]).lstrip("\n")
    assert any(len(line) > LINE for line in source.splitlines()), "the case must be too long to start with"
    fitted = fit_module(source)
    assert all(len(line) <= LINE for line in fitted.splitlines()), fitted
    assert _ruff_format(fitted) == fitted
    compile(fitted, name, "exec")


def test_a_text_no_layout_fits_is_marked_for_e501() -> None:
    source = "def f(event_1):\n    assert event_1.authorisation_code == " + '"' + "x" * 200 + '"\n'
    fitted = fit_module(source)
    assert fitted.splitlines()[-2].endswith('"  # noqa: E501'), fitted
    assert _ruff_format(fitted) == fitted
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "E501", "--line-length", str(LINE), "-"],
        input=fitted,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_lines_that_fit_are_left_as_written() -> None:
    source = "x = f(\n    a, b\n)\n" + "# " + "y" * 200 + "\n"  # a single word ruff's E501 allows: not wrapped
    assert fit_module(source) == source
