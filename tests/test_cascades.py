"""No cascades: one mistake, one diagnostic. A misspelt reference is reported where it is written and the
model is checked further as meant (esp.build recovers the name it misspells), a field of a misspelt type is
not missed again by whatever names it, a part left out for an error does not make the events it names look
unused, and two journeys that reuse names give their E031s only."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import JOURNEYS, MINIMAL, ROOT, TWO_SERVICES, codes, show, validate_text, variant

from esp import api
from esp.errors import Diagnostic

EXAMPLES = sorted(JOURNEYS.glob("*.yaml"))
# A reference to a name defined elsewhere (not a definition such as '- command: X' under actions).
_KEYS = "invoke|compensate|command|on|succeeds_on|fails_on|starts_on|completes_with|aborts_with|in|microservice"
_REFERENCE = re.compile(
    rf"^(\s*(?:- on|(?<!- )(?:{_KEYS}|aggregate|projection|about|enters)|allowed_in|emits|from):\s*\[?)([A-Za-z][\w-]*)"
)


def _misspellings(path: Path) -> list[tuple[int, str]]:
    """(line number, the file with that line's reference misspelt) for every reference in ``path``."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    found = []
    for i, line in enumerate(lines):
        match = _REFERENCE.match(line)
        if match:
            wrong = line[: match.end(1)] + match.group(2) + "Q" + line[match.end() :]
            found.append((i + 1, "".join([*lines[:i], wrong, *lines[i + 1 :]])))
    return found


def _one_more_each(
    path: Path, cases: list[tuple[int, str]], tmp_path: Path
) -> Iterator[tuple[int, str, tuple[Diagnostic, ...]]]:
    """For each (line, text) mutant of ``path``: the line, the one code it adds to what ``path`` already
    gives (asserted: exactly one, and nothing taken away), and all its diagnostics."""
    before = Counter(d.code for d in api.validate([path]).diagnostics)
    for line, text in cases:
        mutant = tmp_path / path.name
        mutant.write_text(text, encoding="utf-8")
        found = tuple(api.validate([mutant]).diagnostics)
        new = Counter(d.code for d in found) - before
        assert sum(new.values()) == 1 and before <= Counter(d.code for d in found), f"line {line}: " + show(found)
        (code,) = new
        yield line, code, found


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_a_misspelt_reference_is_one_diagnostic(path: Path, tmp_path: Path) -> None:
    cases = _misspellings(path)
    assert len(cases) > 10
    for line, code, found in _one_more_each(path, cases, tmp_path):
        if code == "W107":  # a hotspot 'about' an unknown name: reported at the hotspot
            continue
        # E200: a misspelt qualifier ('kitchenQ.RestaurantOpened') names no microservice
        assert code in ("E040", "E041", "E042", "E043", "E044", "E045", "E200"), show(found)
        assert [d.location.line for d in found if d.code == code] == [line], show(found)


# A field in a flow mapping ('fields: {a: int, b: list[Money]}'): its name, and its type's innermost name.
_FIELD = re.compile(r"([\w ]+): (\"?)((?:list\[|optional\[)*)([A-Za-z]+)")


def _mistyped(path: Path) -> list[tuple[int, str]]:
    """(line number, the file with one field's type misspelt there) for every field of a 'fields: {...}' line."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    found = []
    for i, line in enumerate(lines):
        start = line.find("fields: {")
        for match in _FIELD.finditer(line, start + len("fields: {")) if start >= 0 else ():
            wrong = line[: match.end(4)] + "Q" + line[match.end(4) :]
            found.append((i + 1, "".join([*lines[:i], wrong, *lines[i + 1 :]])))
    return found


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_a_misspelt_field_type_is_one_diagnostic(path: Path, tmp_path: Path) -> None:
    """A field whose type is unknown is left out of the model, and nothing says again that it is missing: not
    the listener that fills it from the event or names it in 'map', 'target' or 'by', the scenario that gives
    it a value (in a value object too), the saga data a step reads, or the keys of its aggregate."""
    cases = _mistyped(path)
    assert len(cases) >= 10
    for line, code, found in _one_more_each(path, cases, tmp_path):
        assert code in ("E030", "E190", "E200"), show(found)  # E200: 'orderQ.OrderLine' names no microservice
        assert [d.location.line for d in found if d.code == code] == [line], show(found)


@pytest.mark.parametrize(
    "written",
    [
        (
            "      - command: PlaceOrder\n        fields: {dish: str}",
            "      - command: PlaceOrder\n        fields: {dish: strr}",
        ),
        (
            "        kind: integration\n        fields: {dish: str}",
            "        kind: integration\n        fields: {dish: Dish}",
        ),
        (
            "        fields: {order_id: uuid, dish: str}\n        emits",
            "        fields: {order_id: uuid, dish: Dsh}\n        emits",
        ),
    ],
    ids=["command", "event", "listener-command"],
)
def test_a_field_of_an_unknown_type_is_one_problem_not_a_cascade(tmp_path: Path, written: tuple[str, str]) -> None:
    """A field whose type is unknown (E030, E190) is left out of the model: the listener that fills it, the
    map or target that names it and the scenario that gives it a value do not say again that it is missing
    (the go-coffeeshop transcription's 'list[LineItm]' made E064 and E071 besides its E190)."""
    text = variant(
        TWO_SERVICES, written, ("    command: QueueTicket\n", "    command: QueueTicket\n    map: {dish: dish}\n")
    )
    found = codes(validate_text(tmp_path, text).diagnostics)
    assert len(found) == 1 and set(found) <= {"E030", "E190"}, found


def test_a_domain_event_heard_in_three_microservices_is_one_error(tmp_path: Path) -> None:
    """The fix is one 'kind: integration' on the event: one E053, at its first use, naming the others
    (the Kafka Streams orders example's OrderCreated gave three)."""
    text = (JOURNEYS.parent / "tests" / "data" / "real" / "kafka-orders.yaml").read_text(encoding="utf-8")
    text = variant(text, ("      - event: OrderCreated\n        kind: integration\n", "      - event: OrderCreated\n"))
    found = validate_text(tmp_path, text).diagnostics
    (error,) = [d for d in found if d.severity.value == "error"]
    assert error.code == "E053" and "'inventory'" in error.message, show(found)
    assert error.hint.endswith("(it is used in 'fraud', 'order-details' too)"), error.hint


def test_a_process_naming_another_microservices_aggregate_gives_no_e070(tmp_path: Path) -> None:
    """The barista's process naming the kitchen's KitchenOrder is E046; the scenarios of BaristaOrder, whose
    command and event that process declares, get no E070 each for it (go-coffeeshop gave two), and the state
    'made' its event enters is no W102 of the barista's aggregates (the one meant is likely among them)."""
    text = (JOURNEYS.parent / "tests" / "data" / "real" / "coffeeshop.yaml").read_text(encoding="utf-8")
    wrong = "        enters: made\n    aggregate: BaristaOrder\n"
    assert text.count(wrong) == 1
    found = validate_text(tmp_path, text.replace(wrong, wrong.replace("BaristaOrder", "KitchenOrder"))).diagnostics
    assert [d.code for d in found if d.code != "W106"] == ["E046"], show(found)  # W106: the file's own hotspots


def test_a_value_object_named_with_a_space_is_one_error(tmp_path: Path) -> None:
    """Every other name may hold spaces; a value object's may not (E025). Declared 'Line Item' and used as
    'LineItem' (the class every other 'Line Item' becomes), it is that one error: the fields of that type wait
    for it, left out as any field of an unknown type, without one E190 each ('none is defined yet')."""
    text = variant(
        MINIMAL,
        ("journey: Shopping\n", "journey: Shopping\ntypes:\n  Line Item:\n    fields: {sku: str}\n"),
        ("        emits: [CartOpened]\n", '        fields: {lines: "list[LineItem]"}\n        emits: [CartOpened]\n'),
        ("      - event: CartOpened\n", "      - event: CartOpened\n        fields: {first: LineItem}\n"),
    )
    found = validate_text(tmp_path, text).diagnostics
    assert codes(found) == ["E025"], show(found)


def _travel(tmp_path: Path, old: str, new: str) -> list[str]:
    text = (JOURNEYS / "travel.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "travel.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return codes(api.validate([path]).diagnostics)


def test_an_unknown_compensation_is_one_error(tmp_path: Path) -> None:
    found = _travel(tmp_path, "compensate: CancelHotelReservation", "compensate: CancelHotelBooking")
    assert found == ["E043", "W106", "W106"]  # the two hotspots of travel.yaml are its own


def test_a_step_succeeding_on_another_commands_domain_event_is_one_error(tmp_path: Path) -> None:
    # E086 alone: that the wrong event is a domain event of the participant (E053) is beside the point
    found = _travel(tmp_path, "succeeds_on: FlightReserved", "succeeds_on: BoardingPassesIssued")
    assert found == ["E086", "W106", "W106"]


def test_a_creating_command_that_emits_an_event_of_another_command_is_one_error(tmp_path: Path) -> None:
    """OpenTable emitting DrinksAdded too is E062 at AddDrinks; the scenarios that give DrinksAdded after
    TableOpened were right before the mistake and get no E172 for it."""
    text = (JOURNEYS / "restaurant.yaml").read_text(encoding="utf-8")
    old = "        emits: [TableOpened]\n"
    assert text.count(old) == 1
    path = tmp_path / "restaurant.yaml"
    path.write_text(text.replace(old, "        emits: [TableOpened, DrinksAdded]\n"), encoding="utf-8")
    found = api.validate([path]).diagnostics
    assert codes(found) == ["E062", "W106"], show(found)


@pytest.mark.parametrize(
    ("when", "then", "expected"),
    [(".nan", ".nan", ["E075", "E075", "W106"]), ('"7.00"', ".nan", ["E075", "W106"])],
)
def test_a_nan_scenario_value_is_e075_alone(tmp_path: Path, when: str, then: str, expected: list[str]) -> None:
    """A NaN is E075 where it is written, not also E177 for an event field that copies it from the command."""
    text = (JOURNEYS / "restaurant.yaml").read_text(encoding="utf-8")
    for old, new in (
        ('UpdateFood: {price: "7.00"}', f"UpdateFood: {{price: {when}}}"),
        ('FoodUpdated: {price: "7.00"}', f"FoodUpdated: {{price: {then}}}"),
    ):
        assert text.count(old) == 1
        text = text.replace(old, new)
    path = tmp_path / "restaurant.yaml"
    path.write_text(text, encoding="utf-8")
    found = api.validate([path]).diagnostics
    assert codes(found) == expected, show(found)


def test_a_saga_left_out_leaves_its_events_alone(tmp_path: Path) -> None:
    """A saga in an unknown microservice (no name close to it) cannot be built; its events still count as used."""
    found = _travel(tmp_path, "    in: trips\n    starts_on:", "    in: nowhere-at-all\n    starts_on:")
    assert found == ["E040", "W106", "W106"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_two_journeys_reusing_names_give_their_e031s_only(path: Path, tmp_path: Path) -> None:
    alone = Counter(d.code for d in api.validate([path]).diagnostics)
    for name in ("a.yaml", "b.yaml"):
        shutil.copy(path, tmp_path / name)
    found = api.validate([tmp_path]).diagnostics
    twice = Counter(d.code for d in found)
    assert twice - alone - alone == Counter({"E031": twice["E031"]}), show(found)
    assert alone + alone - twice == Counter(), show(found)
    assert twice["E031"] >= 10


def test_a_loose_guess_is_only_a_hint(tmp_path: Path) -> None:
    """'Opend' is like 'CartOpened' enough to suggest it, not enough to check the model as if it were written."""
    result = validate_text(tmp_path, variant(MINIMAL, ("emits: [CartOpened]", "emits: [Opend]")))
    assert codes(result.diagnostics) == ["E042", "W100"], show(result.diagnostics)
    assert result.diagnostics[0].hint == "did you mean 'CartOpened'?"


@pytest.mark.parametrize(
    ("written", "meant", "expected"),
    [
        ("invoke: SendPackage", "invoke: ShipPackage", ["E043"]),  # a step left out, and with it its saga
        ("    in: orders\n    starts_on:", "    in: nowhere-at-all\n    starts_on:", ["E040"]),  # the saga only
    ],
)
def test_a_saga_left_out_leaves_its_compensations_answers_alone(
    tmp_path: Path, written: str, meant: str, expected: list[str]
) -> None:
    """ECommerce's DiscardPayment records PaymentDiscarded, an integration event the SEC hears as the
    compensation's answer: with the saga left out for a misspelt step, W101 said nobody hears it."""
    text = (ROOT / "tests" / "data" / "real" / "ecommerce.yaml").read_text(encoding="utf-8")
    assert written in text
    found = validate_text(tmp_path, text.replace(written, meant)).diagnostics
    assert codes(found) == expected, show(found)


AUCTION = JOURNEYS.parent / "tests" / "data" / "real" / "online-auction.yaml"


def test_a_creating_command_without_creates_is_one_error(tmp_path: Path) -> None:
    """Lagom's online auction: the bidding StartAuction a listener issues, written without 'creates: true', was
    E057 and an E060 whose hint asked the item's AuctionStarted for an 'auction_id' field."""
    creating = "        creates: true\n      - command: PlaceBid"
    text = variant(AUCTION.read_text(encoding="utf-8"), (creating, "      - command: PlaceBid"))
    found = validate_text(tmp_path, text).diagnostics
    assert [d.code for d in found if d.code != "W106"] == ["E057"], show(found)


def test_a_missing_identity_is_one_error(tmp_path: Path) -> None:
    """Lagom's online auction: a Transaction without its 'identity' was E020 and a W110 about the 'id' the
    checks go on with, which nobody wrote."""
    text = variant(AUCTION.read_text(encoding="utf-8"), ("        identity: transaction_id\n", ""))
    found = validate_text(tmp_path, text).diagnostics
    assert [d.code for d in found if d.code != "W106"] == ["E020"], show(found)


def test_the_messages_of_a_wrong_target_and_a_wrong_value_read_as_english(tmp_path: Path) -> None:
    """Lagom's online auction: E067 said 'not the id of a 'Item'', E073 'write a int value'."""
    text = AUCTION.read_text(encoding="utf-8")
    wrong_target = variant(text, ("    command: UpdatePrice\n", "    command: UpdatePrice\n    target: auction_id\n"))
    (e067,) = [d for d in validate_text(tmp_path, wrong_target).diagnostics if d.code == "E067"]
    assert e067.message.endswith("not the id of an 'Item'"), e067.message
    wrong_value = variant(text, ("maximum_bid: 30}\n    then: rejected", "maximum_bid: thirty}\n    then: rejected"))
    (e073,) = [d for d in validate_text(tmp_path, wrong_value).diagnostics if d.code == "E073"]
    assert e073.hint == "write a value of type int (quote text that looks like a number)", e073.hint
