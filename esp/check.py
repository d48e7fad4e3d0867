"""Semantic rules on a built Model: what the schema cannot say.

Each rule is a small function from the Model to diagnostics; ``RULES`` lists
them and ``check`` runs them all, so every problem is reported at once.
"""

from __future__ import annotations

import builtins
import datetime as dt
import decimal
import keyword
import math
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from esp import names
from esp.build import did_you_mean
from esp.errors import Diagnostic, Location, diagnostic
from esp.model import (
    SCALAR_TYPES,
    Aggregate,
    Command,
    DataField,
    Event,
    Field,
    FieldType,
    Given,
    Listener,
    Microservice,
    Model,
    Revision,
    Saga,
    SagaStep,
    Scenario,
    Timer,
    ValueType,
    When,
    qualified,
)
from esp.names import words
from esp.naming import MAX_NAME, RESERVED, STDLIB_IMPORTS, field_name, naming, same_type

Rule = Callable[[Model], Iterator[Diagnostic]]

_IRREGULAR_WORDS = """
paid sent built made held sold bought taken given done drawn written chosen shown known seen begun won lost
left kept spent put set cut read run hit brought caught taught found told met led fed lit shut withdrawn
undone forgotten frozen broken spoken stolen ridden risen hidden eaten fallen got gotten thrown flown grown
torn worn born sat stood understood struck stuck hung rung sunk drunk slid dug fought sought thought bound
wound rebuilt overpaid prepaid reset quit split spread cast cost let shed dealt felt meant laid rewritten
upheld mislaid lent bent slept swept wept fled bled bred rang sang swung spun stung shaken woken sworn sewn
sown beaten bitten proven shrunk arisen gone come become overcome redone remade resold retold resent repaid
withheld overridden forbidden forgiven undertaken mistaken overtaken overdrawn oversold outgrown
withstood misunderstood overseen foreseen sublet broadcast forecast offset upset hurt bet bid wed rid
was were been
"""
_IRREGULAR_PAST = frozenset(_IRREGULAR_WORDS.split())
# Past tenses spelled as their present, and nouns as often: a command ending in one ('PlaceBid', 'ProposeSplit',
# 'StartRun') names the thing, not a fact.
_SAME_AS_PRESENT_WORDS = """
put set cut read run hit shut reset quit split spread cast cost let shed sublet broadcast forecast offset upset
hurt bet bid wed rid
"""
_SAME_AS_PRESENT = frozenset(_SAME_AS_PRESENT_WORDS.split())


def check(model: Model) -> list[Diagnostic]:
    """Run every rule."""
    return [d for rule in RULES for d in rule(model)]


def _d(code: str, loc: Location, **params: Any) -> Diagnostic:
    return diagnostic(code, loc, **params)


# -- names --------------------------------------------------------------------------


def _class_level(model: Model) -> Iterator[tuple[str, str, Location]]:
    for agg in model.aggregates:
        yield "aggregate", agg.name, agg.loc
    for cmd in model.commands:
        yield "command", cmd.name, cmd.loc
    for query in model.queries:
        yield "query", query.name, query.loc
    for event in model.events:
        yield "event", event.name, event.loc
    for projection in model.projections:
        yield "projection", projection.name, projection.loc
    for saga in model.sagas:
        yield "saga", saga.name, saga.loc


def names_fit_the_generated_code(model: Model) -> Iterator[Diagnostic]:
    """Names that become the same Python name (E032) or a keyword or builtin (E033), fields named like
    keywords (W108), and names renamed because the generated code uses them already (W110): the same
    naming pass the generator prints its names from."""
    yield from naming(model).problems


# Verbs that commands (and misnamed events) commonly start with.
_VERB_WORDS = """
add open place create update delete remove cancel pay ship book reserve start close submit approve reject register send
prepare serve make take confirm assign change set put order buy sell give hold keep finish complete end stop plan drop
release refund charge accept decline issue publish receive return request schedule check verify validate apply record
archive restore move rename withdraw deposit transfer invite join leave log sign select choose list mark queue print
deliver dispatch expire fail arrive cook pick lock unlock block freeze
"""
_VERBS = frozenset(_VERB_WORDS.split())
# Verbs that name things just as often ('OrderShip' is an order shipped, not a ship ordered): a name that
# starts with one and ends with another verb reads noun first.
_NOUN_WORDS = """
order book check request return record transfer deposit plan list log queue print issue charge hold change release
refund move sign schedule update end start drop set mark
"""
_NOUNS_TOO = frozenset(_NOUN_WORDS.split())
# Of those, the ones a name starting with them means as the thing: 'OrderStatus' is no status ordered.
_NAMES_FIRST = frozenset(["order", "log"])
_IRREGULAR = {
    "pay": "paid", "send": "sent", "make": "made", "hold": "held", "sell": "sold", "buy": "bought", "take": "taken",
    "give": "given", "keep": "kept", "choose": "chosen", "set": "set", "put": "put", "leave": "left",
    "withdraw": "withdrawn", "begin": "begun", "build": "built", "find": "found", "tell": "told", "write": "written",
    "submit": "submitted", "commit": "committed", "transfer": "transferred", "refer": "referred",
    "freeze": "frozen",
}  # fmt: skip
_PRESENT = {past: verb for verb, past in _IRREGULAR.items()}
_VOWELS = set("aeiou")


def _past(verb: str) -> str:
    """'open' -> 'opened', 'place' -> 'placed', 'ship' -> 'shipped', 'apply' -> 'applied', 'pay' -> 'paid'."""
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb.endswith("e"):
        return verb + "d"
    if len(verb) > 1 and verb.endswith("y") and verb[-2] not in _VOWELS:
        return verb[:-1] + "ied"
    one_vowel = sum(c in _VOWELS for c in verb) == 1
    if one_vowel and len(verb) >= 3 and verb[-1] not in _VOWELS | set("wxy") and verb[-2] in _VOWELS:
        return verb + verb[-1] + "ed"  # ship -> shipped
    return verb + "ed"


def _present(past: str) -> str:
    """The verb of a past tense: 'placed' -> 'place', 'started' -> 'start', 'shipped' -> 'ship', 'paid' -> 'pay'."""
    if past in _PRESENT:
        return _PRESENT[past]
    if past.endswith("ied"):
        return past[:-3] + "y"
    stem = past.removesuffix("ed")
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]  # shipped -> ship
    for verb in (stem + "e", stem):
        if verb in _VERBS:
            return verb
    if stem.endswith(("c", "v", "z", "u", "rg", "dg")) or (
        len(stem) > 2 and stem[-3] not in _VOWELS and stem.endswith(("at", "ar", "ur", "ir", "os", "as"))
    ):
        return stem + "e"  # placed, moved, queued, created, prepared
    return stem


def _nominal_verb(word: str) -> str | None:
    """The verb behind a noun made from it: 'confirmation' -> 'confirm', 'payment' -> 'pay'."""
    for suffix in ("ation", "ment", "ion"):
        if word.endswith(suffix):
            stem = word.removesuffix(suffix)
            return next((v for v in (stem, stem + "e") if v in _VERBS), None)
    return None


# Verbs that give a state: 'MarkPaid', 'SetCompleted', 'FlagDamaged' are instructions; so are the verbs
# that pass a fact on: 'RecordValidationPassed', 'NotifyOrderShipped'.
_GIVING = frozenset(["mark", "set", "flag", "declare", "keep", "leave", "get", "make", "label", "tag", "report"])
_MARKING = _GIVING | frozenset(["record", "register", "log", "notify"])
# The particles of phrasal verbs: 'picked up', 'checked out', 'signed in'.
_PARTICLES = frozenset(["up", "down", "out", "in", "off", "on", "over", "back", "away", "through"])


def _past_tense_suggestion(name: str) -> str:
    """An event name in the past tense: 'OpenCart' -> 'CartOpened', 'CartOpen' -> 'CartOpened',
    'TicketPickUp' -> 'TicketPickedUp'."""
    parts = words(name)
    noun_verb = _nominal_verb(parts[-1]) if parts else None
    if len(parts) >= 2 and parts[-1] in _PARTICLES:
        verb = parts[-2]
        if verb in _VERBS:
            # TicketPickUp -> TicketPickedUp, CheckIn -> CheckedIn
            parts = [*parts[:-2], _past(verb), parts[-1]]
        else:  # no verb before the particle: OrderItemsUp -> OrderItemsUpRecorded, not OrderItemsedUp
            parts = [*parts, "recorded"]
    elif len(parts) >= 2 and parts[-1] == "pending":  # OrderCancelPending -> OrderCancelRequested
        parts = [*parts[:-1], "requested"]
    elif noun_verb is not None:  # OrderConfirmation -> OrderConfirmed, OrderPayment -> OrderPaid
        parts = [*parts[:-1], _past(noun_verb)]
    elif len(parts) >= 2 and parts[0] in _NOUNS_TOO and parts[-1] in _VERBS - _NOUNS_TOO:
        parts = [*parts[:-1], _past(parts[-1])]  # OrderShip -> OrderShipped, not ShipOrdered
    elif len(parts) >= 2 and parts[0] in _VERBS and parts[0] not in _NAMES_FIRST:
        parts = [*parts[1:], _past(parts[0])]  # OpenCart -> CartOpened, ChangeOrder -> OrderChanged
    elif parts and parts[-1] in _VERBS:
        parts = [*parts[:-1], _past(parts[-1])]  # CartOpen -> CartOpened
    else:  # no verb to put in the past: say it was recorded ('created' only of a thing named alone)
        parts = [*parts, "recorded" if len(parts) >= 2 else "created"]
    return "".join(w.capitalize() for w in parts)


# Words in -eed that are not past tenses (agreed, freed, guaranteed are).
_NOT_PAST_EED_WORDS = "feed need seed speed proceed exceed succeed breed bleed heed weed deed greed indeed"
_NOT_PAST_EED = frozenset(_NOT_PAST_EED_WORDS.split())


def _past_tense(word: str) -> bool:
    return word in _IRREGULAR_PAST or (word.endswith("ed") and word not in _NOT_PAST_EED and len(word) > 3)


def naming_conventions(model: Model) -> Iterator[Diagnostic]:
    """Events read as facts (past tense), commands as instructions (imperative).

    A past tense after the first word makes a fact ('TicketPickedUp', 'ItemAddedToBasket',
    'StatusChangedToPaid'); a command that gives a state is an instruction ('MarkPaid')."""
    for event in model.events:
        parts = words(event.name)
        if parts and not any(_past_tense(w) for w in parts[1:] or parts):
            yield _d(
                "W103",
                event.at.get("event", event.loc),
                name=model.label(event),
                suggestion=_past_tense_suggestion(event.name),
            )
    for cmd in model.commands:
        parts = words(cmd.name)
        last = parts[-1] if parts else ""
        ended_in_past = _past_tense(last) and last not in _SAME_AS_PRESENT
        if len(parts) >= 2 and ended_in_past and not _past_tense(parts[0]) and parts[0] not in _MARKING:
            suggestion = "".join(w.capitalize() for w in [_present(parts[-1]), *parts[:-1]])
            yield _d("W104", cmd.at.get("command", cmd.loc), name=model.label(cmd), suggestion=suggestion)


# -- commands, events, states ----------------------------------------------------------


def commands_emit(model: Model) -> Iterator[Diagnostic]:
    for cmd in model.commands:
        if not cmd.emits and not cmd.written_emits:  # unknown names are E042 already
            yield _d("E050", cmd.at.get("command", cmd.loc), name=model.label(cmd))
        for event in cmd.emits:
            if cmd.aggregate is not None and event.aggregate is not None and event.aggregate is not cmd.aggregate:
                other = f"aggregate '{model.label(event.aggregate)}'"
                if event.microservice is not cmd.microservice:
                    other += f" in '{event.microservice.name}'"
                yield _d(
                    "E052",
                    cmd.at.get("emits", cmd.loc),
                    command=model.label(cmd),
                    aggregate=model.label(cmd.aggregate),
                    event=model.label(event),
                    other=other,
                )
        if cmd.creates and cmd.allowed_in:
            yield _d("E056", cmd.at.get("allowed_in", cmd.loc), name=model.label(cmd))
        yield from _id_field(model, cmd)


def _id_field(model: Model, cmd: Command) -> Iterator[Diagnostic]:
    """A command of an existing aggregate finds it by the field named like its identity: a uuid."""
    if cmd.creates or cmd.aggregate is None:
        return
    identity = field_name(cmd.aggregate.identity)
    for f in cmd.fields:
        if field_name(f.name) == identity and f.type.name != "uuid":
            yield _d(
                "E035",
                f.loc,
                command=model.label(cmd),
                field=f.name,
                type=str(f.type),
                aggregate=model.label(cmd.aggregate),
            )


def _saga_events(model: Model) -> set[Event]:
    """The events sagas record, and those of parts left out of the model (they may: E04x says why they are out)."""
    return {e for s in model.sagas for e in (s.completes_with, s.aborts_with)} | model.left_out_events


def _produced(model: Model) -> set[Event]:
    """The events something records: a command's, or a saga's end."""
    return {e for c in model.commands for e in c.emits} | _saga_events(model)


def events_carry_their_id_once(model: Model) -> Iterator[Diagnostic]:
    """Listeners, sagas and projections read an event's aggregate id under its identity's name: a field of that
    name would be another value under it (Lagom's bidding Auction, written with the item's id as its identity,
    recorded an item_id field that no item had). They match names as written: a case twin (``tripId`` beside
    ``trip_id``) is another value that the generated code keeps apart (tests/test_case_twins.py)."""
    for event in model.events:
        if event.aggregate is None:
            continue
        for f in event.fields:
            if f.name == event.aggregate.identity:
                yield _d("E051", f.loc, event=model.label(event), field=f.name, aggregate=model.label(event.aggregate))


def events_are_produced(model: Model) -> Iterator[Diagnostic]:
    produced = _produced(model)
    # a listener or a saga on it is an error (E036, E239): one diagnostic, not two
    heard = {li.on for li in model.listeners} | {s.starts_on for s in model.sagas}
    for event in model.events:
        if event not in produced and event not in heard:
            yield _d("W100", event.at.get("event", event.loc), name=model.label(event))


def listeners_hear_recorded_events(model: Model) -> Iterator[Diagnostic]:
    """A listener on an event that nothing records never runs: its flow is dead in the generated system."""
    produced = _produced(model)
    for li in model.listeners:
        if li.on not in produced:
            yield _d("E036", li.at.get("on", li.loc), event=model.label(li.on))


def sagas_start_on_recorded_events(model: Model) -> Iterator[Diagnostic]:
    """A saga whose starting event nothing records never starts: its SEC, steps and tests would be dead code
    (the generated tests could not even build the aggregate that starts it; the fuzz found it)."""
    produced = _produced(model)
    for saga in model.sagas:
        if saga.starts_on not in produced:
            yield _d("E239", saga.at.get("starts_on", saga.loc), saga=saga.name, event=model.label(saga.starts_on))


def _consumers(model: Model) -> Iterator[tuple[Event, str, Any, Location]]:
    """(event, who, microservice, where) for every use of an event outside its command."""
    for li in model.listeners:
        yield li.on, f"a listener on '{model.label(li.on)}'", li.microservice, li.at.get("on", li.loc)
    for pr in model.projections:
        for event in pr.sources:
            yield event, f"projection '{pr.name}'", pr.microservice, pr.at.get("from", pr.loc)
    for saga in model.sagas:
        where = f"saga '{saga.name}'"
        yield saga.starts_on, where, saga.microservice, saga.at.get("starts_on", saga.loc)
        for step in saga.steps:
            for outcome in (step.succeeds_on, step.fails_on):
                if outcome is not None:
                    yield outcome, where, saga.microservice, step.loc


def _misplaced_outcomes(model: Model) -> set[tuple[Event, Location]]:
    """A saga step's outcomes its command never emits, where they are written: E086 says so, and the
    event's kind is beside the point (it is the wrong event)."""
    return {
        (event, step.loc)
        for saga in model.sagas
        for step in saga.steps
        for event in (step.succeeds_on, step.fails_on)
        if event is not None and event not in step.invoke.emits
    }


def domain_events_stay_home(model: Model) -> Iterator[Diagnostic]:
    """One error per domain event used across microservices, at its first such use: the fix is one
    'kind: integration' on the event, however many listeners, projections and sagas hear it."""
    crossing: dict[Event, list[tuple[str, Microservice, Location]]] = {}
    misplaced = _misplaced_outcomes(model)
    for event, who, ms, loc in _consumers(model):
        if not event.integration and ms is not event.microservice and (event, loc) not in misplaced:
            crossing.setdefault(event, []).append((who, ms, loc))
    for event, ((who, ms, loc), *others) in crossing.items():
        where = ", ".join(f"'{name}'" for name in dict.fromkeys(o.name for _, o, _ in others))
        more = f" (it is used in {where} too)" if others else ""
        yield _d(
            "E053",
            loc,
            event=model.label(event),
            owner=event.microservice.name,
            user=who,
            microservice=ms.name,
            more=more,
        )


def _compensation_answers(model: Model) -> set[Event]:
    """The events a saga's compensations record: the SEC hears them as the compensation's answer."""
    return {event for saga in model.sagas for step in saga.steps if step.compensate for event in step.compensate.emits}


def integration_events_are_heard(model: Model) -> Iterator[Diagnostic]:
    heard = {event for event, *_ in _consumers(model)} | model.left_out_events | _compensation_answers(model)
    for event in model.events:
        if event.integration and event not in heard:
            yield _d("W101", event.at.get("kind", event.loc), name=model.label(event))


def _reachable_states(model: Model, agg: Aggregate, saga_events: set[Event]) -> set[str]:
    """States an aggregate can get into, starting from its creation."""
    reached: set[str] = set()
    created = False
    changed = True
    while changed:
        changed = False
        for cmd in model.commands_of(agg):
            runs = cmd.creates or (created and (not cmd.allowed_in or reached & set(cmd.allowed_in)))
            if not runs:
                continue
            created = True
            for event in cmd.emits:
                if event.enters and event.enters not in reached:
                    reached.add(event.enters)
                    changed = True
        for event in model.events_of(agg):
            if event in saga_events and event.enters and event.enters not in reached:
                reached.add(event.enters)
                changed = True
    return reached


def lifecycle(model: Model) -> Iterator[Diagnostic]:
    """States are entered, commands can run, aggregates can be created."""
    saga_events = _saga_events(model)
    misplaced = [e for e in model.events if _misplaced(e)]  # E046: meant for an aggregate here, perhaps
    timed = {(t.aggregate, t.state) for t in model.timers}
    for agg in model.aggregates:
        mine = [*model.events_of(agg), *(e for e in misplaced if e.microservice is agg.microservice)]
        entered = {e.enters for e in mine if e.enters}
        for state in agg.states:
            if state not in entered and (agg, state) not in timed:  # a timer's state: W124 says it, once
                where = agg.at.get(f"state:{state}", agg.at.get("states", agg.loc))
                yield _d("W102", where, state=state, aggregate=model.label(agg))
        commands = model.commands_of(agg)
        creators = model.creators_of(agg)
        if commands and not creators:
            yield _d("E057", agg.loc, name=model.label(agg))
        reachable = _reachable_states(model, agg, saga_events)
        for cmd in commands:
            known = [s for s in cmd.allowed_in if s in agg.states]  # unknown states are E045 already
            if known and creators and not reachable & set(known):
                yield _d("E055", cmd.at.get("allowed_in", cmd.loc), name=model.label(cmd), states=", ".join(known))


def creation_events_are_distinct(model: Model) -> Iterator[Diagnostic]:
    """A creating command's events are alternatives, each of which creates the
    aggregate; none may also be recorded on an existing one."""
    creating = {e: c for c in model.commands if c.creates for e in reversed(c.emits)}
    for cmd in model.commands:
        if cmd.creates:
            continue
        for event in cmd.emits:
            if event in creating and event.aggregate is not None:
                yield _d(
                    "E062",
                    cmd.at.get("emits", cmd.loc),
                    event=model.label(event),
                    aggregate=model.label(event.aggregate),
                    command=model.label(creating[event]),
                    other=model.label(cmd),
                )


# -- listeners --------------------------------------------------------------------------


def _source_fields(event: Event) -> dict[str, FieldType]:
    fields = {f.name: f.type for f in event.fields}
    if event.aggregate is not None:
        fields.setdefault(event.aggregate.identity, FieldType("uuid"))
    return fields


def _fits(source: FieldType, target: FieldType) -> bool:
    """A value of type ``source`` can fill a field of type ``target`` (an int may widen)."""
    if source == target:
        return True
    if target.name == "optional" and target.of is not None:
        inner = source.of if source.name == "optional" and source.of is not None else source
        return _fits(inner, target.of)
    if source.name == target.name == "list" and source.of is not None and target.of is not None:
        return _fits(source.of, target.of)
    return (source.name, target.name) in {("int", "float"), ("int", "decimal")}


def listeners_can_issue(model: Model) -> Iterator[Diagnostic]:
    creations = {e for c in model.commands if c.creates for e in c.emits}
    for li in model.listeners:
        available = _source_fields(li.on)
        mapped = dict(li.mapping)
        for f in li.command.fields:
            source = mapped.get(f.name, f.name)
            if source not in available:
                if f.type.name != "optional" and source not in li.on.untyped:  # an unknown type is E190 already
                    where = li.at.get("command", li.loc)
                    yield _d("E059", where, event=model.label(li.on), field=f.name, command=model.label(li.command))
            elif not _fits(available[source], f.type):
                yield _d(
                    "E065",
                    li.at.get("map" if f.name in mapped else "command", li.loc),
                    event=model.label(li.on),
                    field=f.name,
                    expected=str(f.type),
                    command=model.label(li.command),
                    source=source,
                    found=str(available[source]),
                )
        yield from _listener_target(model, li, available, li.on in creations)


def listeners_are_distinct(model: Model) -> Iterator[Diagnostic]:
    """Two listeners on one event that issue one command are one too many. A creating command's new aggregate
    takes an id made from the event and the command, so the second would create the aggregate the first created
    (its save fails: found by bench/fuzz.py); any other would run the command twice on the same aggregate.
    Listeners of two files are not compared: a journey copied into a second file is its E031s, one a name
    (no cascades), and its listeners come with it."""
    first: dict[tuple[object, ...], Listener] = {}
    for li in model.listeners:
        key: tuple[object, ...] = (li.loc.file, li.on, li.command)
        if not li.creates:
            key += (li.target, li.key, li.each, li.mapping)
        earlier = first.setdefault(key, li)
        if earlier is not li:
            why = (
                "both would create the same new aggregate (its id comes from the event and the command)"
                if li.creates
                else "the command would run twice on the same aggregate"
            )
            line = earlier.loc.line
            yield _d("E260", li.loc, event=model.label(li.on), command=model.label(li.command), line=line, why=why)


def _not_an_id(ftype: FieldType) -> str | None:
    """Why an event field of type ``ftype`` cannot say which aggregate a listener's command goes to (None: it can)."""
    if ftype.name == "uuid":
        return None
    if ftype.name == "optional" and ftype.of is not None and ftype.of.name == "uuid":
        # ECommerce's OrderCancelled carries the payment's id only when the order was paid: the listener must
        # skip the others, which a listener cannot say ('no id can be one' said otherwise)
        return f"an {ftype}: an event without it would address no aggregate, and a listener cannot skip it"
    article = "an" if str(ftype)[0] in "aeiouAEIOU" else "a"
    return f"{article} {ftype}, not a uuid: no id can be one"


def _listener_target(
    model: Model, li: Listener, available: dict[str, FieldType], creation: bool
) -> Iterator[Diagnostic]:
    """The event field that names the aggregate a listener's command changes must hold that aggregate's id."""
    target_agg = li.command.aggregate
    if li.creates or target_agg is None or li.key is not None:  # found by a key: keys_find_aggregates
        return
    if not model.creators_of(target_agg):  # E057: the 'creates: true' left out, likely on this very command
        return
    key = li.target or target_agg.identity
    if key not in available:
        if li.target is None and key not in li.on.untyped:  # an unknown 'target' is E061, a type E030 already
            yield _d(
                "E060",
                li.loc,
                event=model.label(li.on),
                aggregate=model.label(target_agg),
                command=model.label(li.command),
                identity=target_agg.identity,
            )
        return
    own = next((f for f in li.on.fields if f.name == key), None)
    source = li.on.aggregate
    if own is not None:
        problem = _not_an_id(own.type)
    elif source is not None and source is not target_agg:
        target = model.label(target_agg)
        article = "an" if target[:1] in "AEIOUaeiou" else "a"
        problem = f"the id of the '{model.label(source)}' that recorded it, not the id of {article} '{target}'"
    else:
        yield from _listener_on_itself(model, li, target_agg, creation)
        return
    if problem is not None:
        where = li.at.get("target", li.at.get("command", li.loc))
        yield _d("E067", where, event=model.label(li.on), aggregate=model.label(target_agg), field=key, problem=problem)


def _listener_on_itself(model: Model, li: Listener, agg: Aggregate, creation: bool) -> Iterator[Diagnostic]:
    """A command on the aggregate that recorded the event runs in the state that event leaves it in
    (an event that enters no state leaves the state it found, unless it created the aggregate)."""
    allowed = [s for s in li.command.allowed_in if s in agg.states]  # unknown states are E045 already
    if allowed and (li.on.enters is not None or creation) and li.on.enters not in allowed:
        yield _d(
            "E068",
            li.at.get("command", li.loc),
            event=model.label(li.on),
            command=model.label(li.command),
            aggregate=model.label(agg),
            enters=f"enters '{li.on.enters}'" if li.on.enters else "enters no state",
            allowed=", ".join(allowed),
        )


# -- keys: aggregates found by a correlation key ------------------------------------------------------------

_KEY_TYPES = ("str", "int", "uuid", "date")  # values whose text is one value: decimals ('9.5', '9.50') are not


def keys_are_recorded(model: Model) -> Iterator[Diagnostic]:
    """Each key of an aggregate is recorded by every event that creates it (so the index knows every
    aggregate from its start), with one type a key can hold, the same in each of its events."""
    creations: dict[Aggregate, list[Event]] = {}
    for c in model.commands:
        if c.creates and c.aggregate is not None:
            creations.setdefault(c.aggregate, []).extend(c.emits)
    for agg in model.aggregates:
        created_by = list(dict.fromkeys(creations.get(agg, [])))
        for key in agg.keys:
            missing = [
                f"'{model.label(e)}'"
                for e in created_by
                if key.name not in {f.name for f in e.fields} and key.name not in e.untyped  # E030, E190 already
            ]
            if missing:
                yield _d("E180", key.loc, key=key.name, aggregate=model.label(agg), events=", ".join(missing))
                continue
            types = {
                str(f.type): model.label(e)
                for e in model.events
                if e.aggregate is agg
                for f in e.fields
                if f.name == key.name
            }
            if len(types) > 1 or not types.keys() <= set(_KEY_TYPES):
                found = ", ".join(f"a {t} in '{e}'" for t, e in types.items())
                yield _d("E181", key.loc, key=key.name, aggregate=model.label(agg), found=found)


def keys_are_released(model: Model) -> Iterator[Diagnostic]:
    """An event that releases a key (its aggregate no longer holds the value it carries) names a key of its
    aggregate and carries that value."""
    for event in model.events:
        agg = event.aggregate
        for name in event.releases:
            where = event.at.get(f"releases:{name}", event.loc)
            if agg is None or agg.key(name) is None:
                known = [k.name for k in agg.keys] if agg is not None else []
                hint = did_you_mean(name, known) if known else "declare it under the aggregate's 'keys', or drop it"
                aggregate = model.label(agg) if agg is not None else "no aggregate"
                yield _d("E240", where, event=model.label(event), key=name, aggregate=aggregate, hint=hint)
            elif name not in {f.name for f in event.fields}:
                yield _d("E241", where, event=model.label(event), key=name, aggregate=model.label(agg))


def _key_type(agg: Aggregate, name: str, model: Model) -> FieldType | None:
    return next((f.type for e in model.events if e.aggregate is agg for f in e.fields if f.name == name), None)


def keys_find_aggregates(model: Model) -> Iterator[Diagnostic]:
    """A listener that finds its targets by a key ('by': one, 'for_each': every one) names a key of the command's
    aggregate whose value the event carries, with the same type; 'by' needs a unique key."""
    for li in model.listeners:
        if li.key is None:
            continue
        agg = li.command.aggregate
        how = "for_each" if li.each else "by"
        where = li.at.get(how, li.loc)
        if agg is None:
            continue
        problem = _key_conflict(model, li, agg, how)
        if problem:
            yield _d("E186", where, event=model.label(li.on), problem=problem)
            continue
        key = agg.key(li.key)
        if key is None:
            known = [k.name for k in agg.keys]
            hint = (
                did_you_mean(li.key, known)
                if known
                else f"declare it: 'keys: {{{li.key}: unique}}' in '{model.label(agg)}'"
            )
            yield _d("E182", where, event=model.label(li.on), aggregate=model.label(agg), key=li.key, hint=hint)
            continue
        if not li.each and not key.unique:
            yield _d("E183", where, event=model.label(li.on), aggregate=model.label(agg), key=li.key)
        carried = _source_fields(li.on).get(li.key)
        kept = _key_type(agg, li.key, model)
        if carried is None:
            if li.key not in li.on.untyped:  # an unknown type is E030 or E190 already
                yield _d("E184", where, event=model.label(li.on), aggregate=model.label(agg), key=li.key)
        elif kept is not None and carried != kept and str(kept) in _KEY_TYPES:  # a type no key holds: E181
            yield _d(
                "E185",
                where,
                event=model.label(li.on),
                aggregate=model.label(agg),
                key=li.key,
                found=str(carried),
                kept=str(kept),
            )


def _key_conflict(model: Model, li: Listener, agg: Aggregate, how: str) -> str:
    """Why a listener cannot find its targets by a key at all ("" if it can)."""
    if li.creates:
        command, made = model.label(li.command), model.label(agg)
        return f"runs '{command}', which creates a '{made}': there is none to find '{how}' a key"
    if "by" in li.at and "for_each" in li.at:
        return "has both 'by' (one aggregate) and 'for_each' (every one): keep one"
    if li.target is not None:
        return f"has both 'target' (an id in the event) and '{how}' (a key): keep one"
    if li.on.aggregate is agg:
        name = model.label(agg)
        return f"finds '{name}' '{how}' a key, but a '{name}' recorded the event: it would find itself"
    return ""


def listeners_do_not_loop(model: Model) -> Iterator[Diagnostic]:
    """One E058 per knot of listeners that leads back to itself (a strongly connected
    component), found in linear time: a long chain of listeners must not cost n squared."""
    by_event: dict[Event, list[Listener]] = {}
    for li in model.listeners:
        by_event.setdefault(li.on, []).append(li)
    nexts = {li: [n for e in li.command.emits for n in by_event.get(e, [])] for li in model.listeners}
    order = {li: i for i, li in enumerate(model.listeners)}
    for component in _strongly_connected(model.listeners, nexts):
        start = min(component, key=order.__getitem__)
        if len(component) == 1 and start not in nexts[start]:
            continue
        cycle = _cycle_through(start, set(component), nexts)
        steps = [f"{model.label(li.on)} => {model.label(li.command)}" for li in cycle]
        if len(steps) > 6:  # keep the message readable: the start, the way back, and how long it is
            steps = [*steps[:3], f"... {len(steps) - 5} more ...", *steps[-2:]]
        yield _d("E058", start.loc, cycle=" -> ".join(steps) + f" -> {model.label(start.on)}")


def aggregates_come_to_exist(model: Model) -> Iterator[Diagnostic]:
    """Every aggregate can come to exist from something outside the listeners and sagas: an aggregate created
    only by listeners (or saga steps) on events of aggregates that never exist themselves is dead code, and a
    journey of such aggregates only has nothing to play (the property test of random journeys found two
    microservices each opened by a listener on the other's event). One E251 for them all: one mistake."""
    if next(listeners_do_not_loop(model), None) is not None:
        return  # E058 says what is wrong there first
    dead = _never_created(model)
    if not dead:
        return
    ways = [f"{model.label(on)} => {model.label(cmd)}" for agg in dead for on, cmd in _triggers(model, agg)]
    others = ", ".join(f"'{model.label(a)}'" for a in dead[1:])
    yield _d(
        "E251",
        dead[0].loc,
        name=model.label(dead[0]),
        ways="; ".join(ways[:6]) + (f"; ... {len(ways) - 6} more" if len(ways) > 6 else ""),
        others=f", nor is {others}" if others else "",
        it="them" if others else "it",
    )


def _triggers(model: Model, agg: Aggregate) -> Iterator[tuple[Event, Command]]:
    """(event heard, creating command) for each listener and saga step that creates ``agg``."""
    for cmd in model.creators_of(agg):
        for li in model.listeners:
            if li.command is cmd:
                yield li.on, cmd
        for saga in model.sagas:
            if cmd in (c for st in saga.steps for c in _step_commands(st)):
                yield saga.starts_on, cmd


def _never_created(model: Model) -> list[Aggregate]:
    """The aggregates with creating commands that no way from outside ever reaches, in model order: a worklist
    from the commands an actor issues (those no listener and no saga issues) through the events they record,
    the listeners and sagas those start, and the aggregates they create. Linear in the size of the model.
    What other rules report is taken as reached: an aggregate nothing creates (E057), an event nothing
    records (E036, E239, W100)."""
    heard: dict[Event, list[Command]] = {}  # event -> the commands listeners and sagas issue on it
    for li in model.listeners:
        heard.setdefault(li.on, []).append(li.command)
    ended: dict[Event, list[Event]] = {}  # event -> the ends of the sagas it starts
    for saga in model.sagas:
        heard.setdefault(saga.starts_on, []).extend(c for st in saga.steps for c in _step_commands(st))
        ended.setdefault(saga.starts_on, []).extend((saga.completes_with, saga.aborts_with))
    issued_by_others = {c for cmds in heard.values() for c in cmds}
    existing = {a for a in model.aggregates if not model.creators_of(a)}
    triggered = {c for c in model.commands if c not in issued_by_others}
    live: set[Event] = set()
    todo = list(model.commands)

    def record(events: Iterable[Event]) -> None:
        news = [e for e in events if e not in live]
        while news:
            event = news.pop()
            live.add(event)
            news += [e for e in ended.get(event, []) if e not in live]
            triggered.update(heard.get(event, []))
            todo.extend(heard.get(event, []))

    produced = _produced(model)
    record(e for e in model.events if e not in produced)
    done: set[Command] = set()
    while todo:
        cmd = todo.pop()
        if cmd in done or cmd not in triggered:
            continue
        if not cmd.creates and cmd.aggregate is not None and cmd.aggregate not in existing:
            continue
        done.add(cmd)
        if cmd.creates and cmd.aggregate is not None and cmd.aggregate not in existing:
            existing.add(cmd.aggregate)
            todo += model.commands_of(cmd.aggregate)
        record(cmd.emits)
    return [a for a in model.aggregates if a not in existing]


def _strongly_connected(nodes: Iterable[Listener], nexts: dict[Listener, list[Listener]]) -> list[list[Listener]]:
    """Tarjan's algorithm, iterative (no recursion limit on long chains)."""
    index: dict[Listener, int] = {}
    low: dict[Listener, int] = {}
    on_stack: set[Listener] = set()
    stack: list[Listener] = []
    components: list[list[Listener]] = []
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[Listener, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            successors = nexts[node]
            if i < len(successors):
                work.append((node, i + 1))
                nxt = successors[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member is node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _cycle_through(start: Listener, members: set[Listener], nexts: dict[Listener, list[Listener]]) -> list[Listener]:
    """A path of listeners from ``start`` back to ``start`` inside its component (breadth first: a short one)."""
    came_from: dict[Listener, Listener | None] = {start: None}
    queue = [start]
    for li in queue:
        for nxt in nexts[li]:
            if nxt is start:
                path = [li]
                while (prev := came_from[path[-1]]) is not None:
                    path.append(prev)
                return path[::-1]
            if nxt in members and nxt not in came_from:
                came_from[nxt] = li
                queue.append(nxt)
    return [start]


# -- scenarios ---------------------------------------------------------------------------


def _value_fits(value: Any, ftype: FieldType) -> bool:
    if ftype.name == "optional":
        return value is None or (ftype.of is not None and _value_fits(value, ftype.of))
    if ftype.name == "list":
        return isinstance(value, list) and all(ftype.of is not None and _value_fits(v, ftype.of) for v in value)
    if ftype.value is not None:
        return _object_fits(value, ftype.value)
    checks: dict[str, Callable[[Any], bool]] = {
        "str": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "decimal": lambda v: (isinstance(v, (int, float)) and not isinstance(v, bool)) or _parses(decimal.Decimal, v),
        "date": lambda v: _parses(dt.date.fromisoformat, v),
        "datetime": lambda v: _parses(dt.datetime.fromisoformat, v),
        "uuid": lambda v: _parses(uuid.UUID, v),
    }
    return checks[ftype.name](value)


def _object_fits(value: Any, vo: ValueType) -> bool:
    """A value object's value is a mapping of its fields (an optional one may be left out), each of its type;
    a NaN does not fit inside one (it has no literal, and the value would never equal itself)."""
    if not isinstance(value, dict) or not set(value) <= {f.name for f in vo.fields} | vo.untyped:
        return False
    return all(
        (
            f.name in value
            and _value_fits(value[f.name], f.type)
            and not (f.type.scalar in ("float", "decimal") and _is_nan(value[f.name]))
        )
        or (f.name not in value and f.type.name == "optional")
        for f in vo.fields
    )


def _why_not(value: Any, ftype: FieldType) -> tuple[str, str] | None:
    """Why a mapping does not fit the value object ``ftype`` (inside lists and optionals too), and how to fix it:
    the first field it lacks, has too many or gets wrong, at any depth (None: not a value object's mapping)."""
    if ftype.of is not None:
        items = value if ftype.name == "list" and isinstance(value, list) else [value]
        return next((w for v in items if v is not None and (w := _why_not(v, ftype.of)) is not None), None)
    vo = ftype.value
    if vo is None or not isinstance(value, dict):
        return None
    fields = {f.name: f for f in vo.fields}
    for key in value:
        if key not in fields and key not in vo.untyped:  # a field of an unknown type is E030 or E190 already
            return f"{vo.key} has no field '{key}'", did_you_mean(str(key), fields)
    for f in vo.fields:
        if f.name not in value and f.type.name != "optional":
            return f"{vo.key} needs '{f.name}'", f"write '{f.name}: <{f.type}>' in the mapping"
        if f.name in value and not _object_fits({f.name: value[f.name]}, _only(vo, f)):
            inner = _why_not(value[f.name], f.type)
            if inner is not None:
                return inner
            return (
                f"'{f.name}' of {vo.key} must be {f.type}, not {value[f.name]!r}",
                f"write a {f.type} value (quote text that looks like a number)",
            )
    return None


def _only(vo: ValueType, f: Field) -> ValueType:
    """``vo`` with ``f`` as its only field: to check one field's value."""
    return ValueType(vo.name, vo.description, (f,), vo.journey, vo.loc, vo.microservice, vo.qualified)


def _is_nan(value: Any) -> bool:
    """A NaN (a float, or a decimal written as text), also inside a list: it never equals itself."""
    if isinstance(value, list):
        return any(_is_nan(v) for v in value)
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        try:
            return decimal.Decimal(value.strip()).is_nan()
        except (ValueError, decimal.InvalidOperation):
            return False
    return False


def _parses(parse: Callable[[str], object], value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse(value)
    except (ValueError, decimal.InvalidOperation):
        return False
    return True


def _check_values(
    what: str, name: str, fields: Iterable[Field], occ: Given | When, untyped: frozenset[str] = frozenset()
) -> Iterator[Diagnostic]:
    """Values that are fields of the event or command, of their types; a ``then`` may leave fields out. A field
    ``untyped`` (its type unknown, reported already) takes any value."""
    by_name = {f.name: f for f in fields}
    for key, value in occ.values.items():
        if key in untyped:
            continue
        if key not in by_name:
            yield _d("E071", occ.loc, what=what, name=name, field=key, hint=did_you_mean(key, by_name))
        elif not _value_fits(value, by_name[key].type):
            why = _why_not(value, by_name[key].type)
            if why is not None:
                yield _d("E196", occ.loc, field=key, name=name, type=str(by_name[key].type), why=why[0], hint=why[1])
            else:
                yield _d("E073", occ.loc, field=key, name=name, expected=str(by_name[key].type), found=value)
        elif by_name[key].type.scalar in ("float", "decimal") and _is_nan(value):
            yield _d("E075", occ.loc, field=key, name=name)


def _complete(what: str, name: str, fields: Iterable[Field], occ: Given | When) -> Iterator[Diagnostic]:
    for f in fields:
        if f.name not in occ.values and f.type.name != "optional":
            yield _d("E072", occ.loc, what=what, name=name, field=f.name)


def _scenario_event(model: Model, scenario: Scenario, occ: Given, *, complete: bool) -> Iterator[Diagnostic]:
    event = occ.event
    if event.aggregate is not scenario.aggregate and not _misplaced(event):
        yield _d("E070", occ.loc, what="event", name=model.label(event), aggregate=model.label(scenario.aggregate))
    yield from _check_values("event", model.label(event), event.fields, occ, event.untyped)
    if complete:
        yield from _complete("event", model.label(event), event.fields, occ)


def _state_after(model: Model, scenario: Scenario) -> str:
    """The state the generated test's aggregate is in after the ``given`` events: without a creation event
    first, the test builds the aggregate with its first creating command's event ('' before any enters)."""
    creators = model.creators_of(scenario.aggregate)
    creation = {e for c in creators for e in c.emits}
    state = ""
    previous: list[str] = []  # the states it was in, as the generated aggregate keeps them
    if (not scenario.given or scenario.given[0].event not in creation) and creators and creators[0].emits:
        state, previous = creators[0].emits[0].enters or "", [""]
    for occ in scenario.given:
        if occ.event.enters_previous:  # back to the state before the current one
            state = previous.pop() if previous else state
        elif occ.event.enters:
            previous.append(state)
            state = occ.event.enters
    return state


def _outcome_fits_lifecycle(model: Model, scenario: Scenario) -> Iterator[Diagnostic]:
    """The generated test expects the scenario's outcome: only a state outside ``allowed_in`` rejects a command."""
    cmd = scenario.when.command
    state = _state_after(model, scenario)
    if state and state not in scenario.aggregate.states:  # an unknown state is E045 already: no follow-up
        return
    rejected = not cmd.creates and bool(cmd.allowed_in) and state not in cmd.allowed_in
    where = f"in state '{state}'" if state else "before any event enters a state"
    if scenario.by_rule:  # a rule's rejection needs the lifecycle to let the command through to the rule
        if not rejected:
            return
        expected = "a rejection by a business rule"
        actual = f"is rejected {where} by its lifecycle (allowed in: {', '.join(cmd.allowed_in)}): no rule runs"
        hint = "write 'then: rejected' (the lifecycle's rejection), or give 'given' events that enter a state it is"
        hint += " allowed in"
    elif scenario.then is None and not rejected:
        expected = "a rejection"
        actual = "creates its aggregate: nothing rejects it" if cmd.creates else f"is accepted {where}"
        hint = "write the events it records under 'then'"
        if not cmd.creates:
            hint += ", or give 'given' events that enter a state it is not allowed in"
        hint += "; a business rule's rejection is written 'then: {rejected: <words of its message>}'"
    elif scenario.then is not None and rejected:
        expected = "events"
        actual = f"is rejected {where} (allowed in: {', '.join(cmd.allowed_in)})"
        hint = "write 'then: rejected', or give 'given' events that enter a state it is allowed in"
    else:
        return
    yield _d(
        "E170",
        scenario.when.loc,
        scenario=scenario.name,
        expected=expected,
        command=model.label(cmd),
        actual=actual,
        hint=hint,
    )


def _repeated(events: Iterable[Event]) -> Iterator[Event]:
    """Each event of ``events`` seen before it (once per repeat)."""
    seen: set[Event] = set()
    for event in events:
        if event in seen:
            yield event
        seen.add(event)


def projections_hear_each_event_once(model: Model) -> Iterator[Diagnostic]:
    """An event twice in a projection's ``from`` would be handled twice (the generated read model has one
    branch an event)."""
    for pr in model.projections:
        for event in _repeated(pr.sources):
            yield _d("E175", pr.at.get("from", pr.loc), projection=pr.name, event=model.label(event))


def commands_emit_each_event_once(model: Model) -> Iterator[Diagnostic]:
    """An event twice in a command's ``emits`` would be recorded twice by the generated handler."""
    for cmd in model.commands:
        for event in _repeated(cmd.emits):
            yield _d("E176", cmd.at.get("emits", cmd.loc), command=model.label(cmd), event=model.label(event))


def _copied_values(model: Model, scenario: Scenario, occ: Given) -> Iterator[Diagnostic]:
    """An event field the command has too (same name, same type) is copied from the command: a ``then`` that
    expects another value than the ``when`` gives contradicts it (the generated test would fail)."""
    cmd = scenario.when.command
    given = {field_name(f.name): f for f in cmd.fields}
    for f in occ.event.fields:
        source = given.get(field_name(f.name))
        if f.name not in occ.values or source is None or not same_type(source.type, f.type):
            continue
        if not (
            _value_fits(occ.values[f.name], f.type)
            and (source.name not in scenario.when.values or _value_fits(scenario.when.values[source.name], f.type))
        ):
            continue  # E073 says what is wrong
        gives = scenario.when.values.get(source.name)
        if gives is None and source.name not in scenario.when.values and f.type.name != "optional":
            continue  # E072
        if f.type.scalar in ("float", "decimal") and (_is_nan(gives) or _is_nan(occ.values[f.name])):
            continue  # E075: a NaN equals nothing, so it is said once, not also as a contradiction
        if _normal(gives, f.type) != _normal(occ.values[f.name], f.type):
            yield _d(
                "E177",
                occ.loc,
                scenario=scenario.name,
                event=model.label(occ.event),
                field=f.name,
                expects=occ.values[f.name],
                command=model.label(cmd),
                gives=gives,
            )


def _normal(value: Any, ftype: FieldType) -> Any:
    """A scenario value as the generated code holds it (a decimal written '2480.00' or 2480 is one value)."""
    if value is None:
        return None
    if ftype.name in ("optional", "list") and ftype.of is not None:
        return [_normal(v, ftype.of) for v in value] if ftype.name == "list" else _normal(value, ftype.of)
    parse: dict[str, Callable[[Any], Any]] = {
        "decimal": lambda v: decimal.Decimal(str(v).strip()),
        "float": float,
        "date": dt.date.fromisoformat,
        "datetime": dt.datetime.fromisoformat,
        "uuid": uuid.UUID,
    }
    return parse[ftype.name](value) if ftype.name in parse else value


def _misplaced(item: Command | Event) -> bool:
    """Whether its process names an aggregate of another microservice (E046 says so, once): its scenarios'
    E070s would repeat that one mistake."""
    return item.aggregate is not None and item.aggregate.microservice is not item.microservice


def scenarios_fit(model: Model) -> Iterator[Diagnostic]:
    recorded_again = {e for c in model.commands if not c.creates for e in c.emits}  # E062 says so, once
    for scenario in model.scenarios:
        creation = {e for c in model.creators_of(scenario.aggregate) for e in c.emits} - recorded_again
        for i, occ in enumerate(scenario.given):
            yield from _scenario_event(model, scenario, occ, complete=True)
            if i and occ.event in creation:  # the test records it on the aggregate the first one created
                yield _d("E172", occ.loc, event=model.label(occ.event), aggregate=model.label(scenario.aggregate))
        cmd = scenario.when.command
        if cmd.aggregate is not scenario.aggregate and not _misplaced(cmd):
            yield _d(
                "E070",
                scenario.when.loc,
                what="command",
                name=model.label(cmd),
                aggregate=model.label(scenario.aggregate),
            )
        yield from _check_values("command", model.label(cmd), cmd.fields, scenario.when, cmd.untyped)
        yield from _complete("command", model.label(cmd), cmd.fields, scenario.when)
        if scenario.then == () and cmd.creates:  # a creating command always records the event that creates
            emits = ", ".join(model.label(e) for e in cmd.emits)
            yield _d("E173", scenario.when.loc, scenario=scenario.name, command=model.label(cmd), emits=emits)
        if all(a is scenario.aggregate for a in (cmd.aggregate, *(g.event.aggregate for g in scenario.given))):
            yield from _outcome_fits_lifecycle(model, scenario)  # else E070 says what is wrong
        seen: set[Event] = set()
        for occ in scenario.then or ():
            yield from _scenario_event(model, scenario, occ, complete=False)
            if occ.event in seen:  # a command records each of its events once
                yield _d(
                    "E174", occ.loc, scenario=scenario.name, event=model.label(occ.event), command=model.label(cmd)
                )
            seen.add(occ.event)
            if occ.event in cmd.emits:
                yield from _copied_values(model, scenario, occ)
            else:
                yield _d(
                    "E074",
                    occ.loc,
                    command=model.label(cmd),
                    event=model.label(occ.event),
                    emits=", ".join(model.label(e) for e in cmd.emits) or "nothing",
                )


# -- sagas --------------------------------------------------------------------------------


def sagas_are_recoverable(model: Model) -> Iterator[Diagnostic]:
    for saga in model.sagas:
        yield from _saga_shape(model, saga)
        yield from _saga_outcomes(model, saga)
        yield from _saga_steps(model, saga)
        for step in saga.steps:
            yield from _compensation(model, saga, step)


def _compensation(model: Model, saga: Saga, step: SagaStep) -> Iterator[Diagnostic]:
    """A compensation undoes its step on the aggregate the step made, in the state the step left it,
    and once: the SEC may deliver it twice, and the generated tests assert a repeat changes nothing."""
    comp = step.compensate
    if comp is None:
        return
    where = step.at.get("compensate", step.loc)
    if step.pivot:
        yield _d("E066", where, step=step.name, command=model.label(comp))
        return
    if saga.recovery == "forward":
        yield _d("W111", where, saga=saga.name, command=model.label(comp), step=step.name)
        return
    made = step.invoke.aggregate
    if made is None:  # E047 already
        return
    if comp.aggregate is not made or comp.creates:
        problem = (
            f"creates a new '{model.label(made)}' instead of changing the one the step made"
            if comp.aggregate is made
            else f"is a command of '{model.label(comp.aggregate) if comp.aggregate else comp.microservice.name}',"
            f" not of the '{model.label(made)}' the step made"
        )
        yield _d("E037", where, step=step.name, command=model.label(comp), problem=problem, aggregate=model.label(made))
        return
    if step.succeeds_on not in step.invoke.emits:  # E086 already: the state it enters says nothing
        return
    state = step.succeeds_on.enters
    if not step.creates and state is None:
        # A step on an existing aggregate whose success enters no state leaves it where its command was
        # allowed; the SEC compensates it once (its StepReply.Compensated), so a repeat is no worry (E039).
        left = set(step.invoke.allowed_in)
        if comp.allowed_in and left and not left & set(comp.allowed_in):
            yield _d(
                "E038",
                where,
                step=step.name,
                event=model.label(step.succeeds_on),
                enters=f"leaves it in {', '.join(sorted(left))}",
                command=model.label(comp),
                allowed=", ".join(comp.allowed_in),
            )
        return
    if comp.allowed_in and state not in comp.allowed_in:
        enters = f"enters '{state}'" if state else "enters no state"
        allowed = ", ".join(comp.allowed_in)
        yield _d(
            "E038",
            where,
            step=step.name,
            event=model.label(step.succeeds_on),
            enters=enters,
            command=model.label(comp),
            allowed=allowed,
        )
        return
    reason = _repeat_changes(model, comp) if step.creates else None  # the SEC compensates an existing one once
    if reason:
        yield _d("E039", where, step=step.name, command=model.label(comp), reason=reason)


def _repeat_changes(model: Model, comp: Command) -> str | None:
    """Why running ``comp`` a second time could record something (None: it cannot): the generated handler
    answers a command not allowed in the aggregate's state as a no-op, so each event the compensation
    may record (a rule chooses among several) must leave the aggregate in a state it is not allowed in."""
    if not comp.allowed_in:
        return "it has no 'allowed_in', so it is allowed in every state"
    for event in comp.emits:
        if event.enters is None:
            return f"'{model.label(event)}' enters no state, so '{model.label(comp)}' is still allowed after it"
        if event.enters in comp.allowed_in:
            return f"'{model.label(event)}' enters '{event.enters}', where '{model.label(comp)}' is allowed"
    return None


def _saga_shape(model: Model, saga: Saga) -> Iterator[Diagnostic]:
    if sum(s.pivot for s in saga.steps) > 1:
        yield _d("E082", saga.loc, saga=saga.name)
    if saga.recovery == "forward" and saga.retries is None:
        yield _d("E083", saga.at.get("recovery", saga.loc), saga=saga.name)
    if saga.recovery == "backward" and saga.compensate_failed_step is None:
        yield _d("E084", saga.at.get("recovery", saga.loc), saga=saga.name)
    for key, event in (("completes_with", saga.completes_with), ("aborts_with", saga.aborts_with)):
        if event.microservice is not saga.microservice:
            yield _d(
                "E085",
                saga.at.get(key, saga.loc),
                saga=saga.name,
                event=model.label(event),
                owner=event.microservice.name,
                microservice=saga.microservice.name,
            )


def _saga_outcomes(model: Model, saga: Saga) -> Iterator[Diagnostic]:
    """The run records its end on the aggregate whose event started it."""
    start = saga.starts_on.aggregate
    for key, event in (("completes_with", saga.completes_with), ("aborts_with", saga.aborts_with)):
        if start is not None and event.aggregate is not start and event.microservice is saga.microservice:
            other = f"'{model.label(event.aggregate)}'" if event.aggregate is not None else "no aggregate"
            yield _d(
                "E141",
                saga.at.get(key, saga.loc),
                saga=saga.name,
                event=model.label(event),
                aggregate=model.label(start),
                other=other,
            )


def _saga_steps(model: Model, saga: Saga) -> Iterator[Diagnostic]:
    pivot_index = next((i for i, s in enumerate(saga.steps) if s.pivot), None)
    for i, step in enumerate(saga.steps):
        for key, event in (("succeeds_on", step.succeeds_on), ("fails_on", step.fails_on)):
            if event is not None and event not in step.invoke.emits:
                yield _d(
                    "E086",
                    step.at.get(key, step.loc),
                    step=step.name,
                    command=model.label(step.invoke),
                    event=model.label(event),
                    emits=", ".join(model.label(e) for e in step.invoke.emits) or "nothing",
                )
        if pivot_index is not None and i > pivot_index and not step.retriable and not step.pivot:  # E082 says it
            yield _d("E081", step.loc, step=step.name)
        later_can_fail = any(s.fails_on is not None and not s.retriable for s in saga.steps[i + 1 :])
        if (
            saga.recovery == "backward"
            and step.compensate is None
            and not step.nothing_to_undo
            and not step.pivot
            and not step.retriable
            and later_can_fail
        ):
            yield _d("E080", step.loc, step=step.name)
        if step.retriable and step.fails_on is not None and saga.retries is None and step.retries is None:
            yield _d("E087", step.at.get("fails_on", step.loc), step=step.name, event=model.label(step.fails_on))
        if step.compensation_retries is not None and step.compensate is None:
            yield _d("E158", step.at.get("compensation_retries", step.loc), step=step.name)
        if step.compensation_timeout_ms is not None and step.compensate is None:
            yield _d("E231", step.at.get("compensation_timeout", step.loc), step=step.name)
    yield from _saga_failure_policies(saga)


def _saga_failure_policies(saga: Saga) -> Iterator[Diagnostic]:
    """Compensation retries and timeouts need a compensation to retry or time; a circuit breaker needs timeouts
    to count."""
    why = ""
    if saga.recovery == "forward":
        why = "forward recovery never compensates"
    elif not any(s.compensate is not None for s in saga.steps):
        why = "no step has a 'compensate' command"
    if saga.compensation_retries is not None and why:
        yield _d("E157", saga.at.get("compensation_retries", saga.loc), saga=saga.name, why=why)
    if saga.compensation_timeout_ms is not None and why:
        yield _d("E230", saga.at.get("compensation_timeout", saga.loc), saga=saga.name, why=why)
    timed = saga.timeout_ms is not None or any(s.timeout_ms is not None for s in saga.steps)
    if saga.circuit_breaker is not None and not timed:
        yield _d("E159", saga.at.get("circuit_breaker", saga.loc), saga=saga.name)


# -- saga data ------------------------------------------------------------------------------
# A step may act on an existing aggregate found by an id in the saga's data; its command and
# compensation take their fields from that data, which grows as steps succeed (Saga.data).


def saga_data_flows(model: Model) -> Iterator[Diagnostic]:
    for saga in model.sagas:
        for i, step in enumerate(saga.steps):
            data = saga.data(i)
            yield from _saga_target(model, saga, step, data)
            yield from _saga_map(model, saga, step, data)
            yield from _saga_rule_filled(model, saga, step, data)


def _not_in_data(saga: Saga, step: SagaStep, data: dict[str, DataField], what: str, name: str) -> str:
    """The hint when ``name`` is not in the saga data at ``step``: when it joins, or what is there."""
    later = saga.joins(name)
    if later is not None and saga.steps[later] is step:
        return "it joins the saga data when this step succeeds: the step's commands take the data it starts with"
    if later is not None:
        return f"it joins the saga data when step '{saga.steps[later].name}' succeeds, after this one"
    return did_you_mean(name, data)


def previous_states(model: Model) -> Iterator[Diagnostic]:
    """'enters: previous' returns to the state before the current one: an event that creates has none."""
    for cmd in model.commands:
        if not cmd.creates or cmd.aggregate is None:
            continue
        for event in cmd.emits:
            if event.enters_previous:
                yield _d(
                    "E156",
                    event.at.get("enters", event.loc),
                    event=model.label(event),
                    aggregate=model.label(cmd.aggregate),
                    command=model.label(cmd),
                )


def _saga_target(model: Model, saga: Saga, step: SagaStep, data: dict[str, DataField]) -> Iterator[Diagnostic]:
    agg = step.invoke.aggregate
    if step.creates:
        if step.target is not None and agg is not None:
            yield _d(
                "E155",
                step.at.get("target", step.loc),
                step=step.name,
                command=model.label(step.invoke),
                identity=agg.identity,
            )
        return
    field = step.target_field
    if agg is None or field is None:
        return
    found = data.get(field)
    if found is None and field in _untyped_data(saga):
        return  # a field of an unknown type: E030 or E190 already
    if found is None and step.target is None:
        hint = (
            f"say 'target: <field>' with the saga data field that holds the id of the '{model.label(agg)}'"
            f" ({', '.join(f for f, d in data.items() if d.type.name == 'uuid') or 'the data has no uuid'})"
        )
        yield _d(
            "E140",
            step.at.get("invoke", step.loc),
            step=step.name,
            command=model.label(step.invoke),
            aggregate=model.label(agg),
            field=field,
            hint=hint,
        )
    elif found is None:
        hint = _not_in_data(saga, step, data, "target", field)
        yield _d("E150", step.at.get("target", step.loc), step=step.name, what="target", field=field, hint=hint)
    elif found.type.name != "uuid":
        yield _d(
            "E151",
            step.at.get("target", step.at.get("invoke", step.loc)),
            step=step.name,
            field=field,
            type=str(found.type),
            aggregate=model.label(agg),
        )
    elif (maker := _made_by(saga, field, found)) is not None and maker.invoke.aggregate is not agg:
        # the SEC chose that id for the aggregate the step created: no aggregate of another kind has it
        # (ECommerce's RecordOrderPayment with 'target: payment_id' aborted every run: no such Order)
        ids = [f for f, d in data.items() if d.type.name == "uuid" and f != field]
        yield _d(
            "E154",
            step.at.get("target", step.loc),
            step=step.name,
            field=field,
            other=model.label(maker.invoke.aggregate) if maker.invoke.aggregate is not None else "",
            made_by=maker.name,
            command=model.label(step.invoke),
            aggregate=model.label(agg),
            ids=f" ({', '.join(ids)})" if ids else "",
        )


def _made_by(saga: Saga, field: str, found: DataField) -> SagaStep | None:
    """The earlier step that created the aggregate whose id the saga data field holds (None: not such an id)."""
    if found.step < 0:
        return None
    step = saga.steps[found.step]
    made = step.invoke.aggregate
    return step if step.creates and made is not None and made.identity == field else None


def _untyped_data(saga: Saga) -> frozenset[str]:
    """The fields of the saga's events left out for an unknown type (reported already): not missing data."""
    return saga.starts_on.untyped.union(*(step.succeeds_on.untyped for step in saga.steps))


def _step_commands(step: SagaStep) -> list[Command]:
    return [c for c in (step.invoke, step.compensate) if c is not None]


def _own_fields(cmd: Command) -> dict[str, Field]:
    """A command's fields the saga data fills: all but the id of the aggregate it acts on (the target fills it)."""
    identity = cmd.aggregate.identity if cmd.aggregate is not None and not cmd.creates else None
    return {f.name: f for f in cmd.fields if f.name != identity}


def _saga_map(model: Model, saga: Saga, step: SagaStep, data: dict[str, DataField]) -> Iterator[Diagnostic]:
    commands = _step_commands(step)
    for cmd_field, source in step.mapping:
        owners = [c for c in commands if cmd_field in _own_fields(c)]
        if not owners and any(cmd_field in c.untyped for c in commands):
            continue  # a field of an unknown type: E030 or E190 already
        if not owners:
            known = [name for c in commands for name in _own_fields(c)]
            yield _d(
                "E152",
                step.at.get(f"map:{cmd_field}", step.loc),
                step=step.name,
                field=cmd_field,
                commands=" or ".join(f"'{model.label(c)}'" for c in commands),
                hint=did_you_mean(cmd_field, known) if known else "its commands have no fields to fill",
            )
            continue
        found = data.get(source)
        where = step.at.get(f"map={cmd_field}", step.loc)
        if found is None and source in _untyped_data(saga):
            continue
        if found is None:
            hint = _not_in_data(saga, step, data, "map", source)
            yield _d("E150", where, step=step.name, what="saga data", field=source, hint=hint)
            continue
        for cmd in owners:
            target = _own_fields(cmd)[cmd_field].type
            if not _fits(found.type, target):
                yield _d(
                    "E153",
                    where,
                    step=step.name,
                    field=cmd_field,
                    command=model.label(cmd),
                    expected=str(target),
                    source=source,
                    found=str(found.type),
                )
                break


def _saga_rule_filled(model: Model, saga: Saga, step: SagaStep, data: dict[str, DataField]) -> Iterator[Diagnostic]:
    """A command field the data lacks at this step but a later step brings: a rule fills it, likely by mistake."""
    mapped = {f for f, _ in step.mapping}
    for cmd in _step_commands(step):
        for f in _own_fields(cmd).values():
            if f.name in mapped or f.name in data or f.type.name == "optional":
                continue
            later = saga.joins(f.name)
            # what the step's own success brings can fill neither its command nor its compensation, and no
            # order of the steps changes that: the rule that fills it is the way, nothing to warn about
            if later is not None and saga.steps[later] is not step:
                yield _d(
                    "W116",
                    step.at.get("compensate" if cmd is step.compensate else "invoke", step.loc),
                    step=step.name,
                    field=f.name,
                    command=model.label(cmd),
                    later=saga.steps[later].name,
                    microservice=saga.microservice.name,
                )


# -- hotspots -------------------------------------------------------------------------------


_LONGEST_TIMER_MS = 36_500 * 86_400_000  # 100 years: far longer would not fit a datetime


def timers_fit(model: Model) -> Iterator[Diagnostic]:
    """A timer waits a real duration in a state of its aggregate that some event enters, then issues a command
    of that aggregate, allowed in that state, whose fields it can fill; its 'unless' events are that
    aggregate's."""
    seen: dict[tuple[Aggregate, str], Timer] = {}
    for timer in model.timers:
        ident = names.snake(timer.name)
        loc = timer.at.get("timer", timer.loc)
        if len(ident) > MAX_NAME:
            yield _d("E171", loc, kind="timer", name=timer.name[:80], ident=ident[:80], limit=MAX_NAME)
        first = seen.setdefault((timer.aggregate, ident), timer)
        if first is not timer and first.name != timer.name:  # the same name twice is E031
            yield _d(
                "E218", loc, timer=timer.name, other=first.name, ident=ident, aggregate=model.label(timer.aggregate)
            )
        # no text (missing, a number, empty): the schema has said so (E020, E022, E026), once is enough
        if timer.after and (not timer.after_ms or timer.after_ms > _LONGEST_TIMER_MS):
            yield _d("E210", timer.at.get("after", timer.loc), timer=timer.name, after=timer.after)
        yield from _timer_state(model, timer)
        yield from _timer_command(model, timer)
        yield from _timer_unless(model, timer)


def _timer_state(model: Model, timer: Timer) -> Iterator[Diagnostic]:
    agg, loc = timer.aggregate, timer.at.get("in_state", timer.loc)
    if timer.state not in agg.states:
        hint = did_you_mean(timer.state, agg.states) if agg.states else f"declare 'states:' on '{model.label(agg)}'"
        yield _d("E211", loc, timer=timer.name, aggregate=model.label(agg), name=timer.state, hint=hint)
    elif not any(e.enters == timer.state for e in model.events_of(agg)):
        yield _d("W124", loc, timer=timer.name, aggregate=model.label(agg), state=timer.state)


def _timer_command(model: Model, timer: Timer) -> Iterator[Diagnostic]:
    cmd, loc = timer.command, timer.at.get("then", timer.loc)
    why = ""
    if cmd.aggregate is not timer.aggregate:
        owner = model.label(cmd.aggregate) if cmd.aggregate is not None else "no aggregate"
        why = f"a command of '{owner}'"
    elif cmd.creates:
        why = "which creates a new one"
    if why:
        yield _d(
            "E213", loc, timer=timer.name, aggregate=model.label(timer.aggregate), command=model.label(cmd), why=why
        )
        return
    if cmd.allowed_in and timer.state in timer.aggregate.states and timer.state not in cmd.allowed_in:
        allowed = ", ".join(cmd.allowed_in)
        yield _d("E214", loc, timer=timer.name, command=model.label(cmd), state=timer.state, allowed=allowed)
    identity = field_name(timer.aggregate.identity)
    needed = [f.name for f in cmd.fields if field_name(f.name) != identity and f.type.name != "optional"]
    if needed:
        fields = "fields " + ", ".join(f"'{n}'" for n in needed) if len(needed) > 1 else f"field '{needed[0]}'"
        yield _d("E215", loc, timer=timer.name, command=model.label(cmd), fields=fields)


def _timer_unless(model: Model, timer: Timer) -> Iterator[Diagnostic]:
    items = iter(timer.at.get(f"unless:{i}", timer.at.get("unless", timer.loc)) for i in range(len(timer.unless)))
    for event, loc in zip(timer.unless, items, strict=True):
        if event.aggregate is not timer.aggregate:
            other = f"'{model.label(event.aggregate)}'" if event.aggregate is not None else "no aggregate"
            yield _d(
                "E217",
                loc,
                timer=timer.name,
                aggregate=model.label(timer.aggregate),
                event=model.label(event),
                other=other,
            )
        elif event.enters and event.enters != timer.state:
            yield _d("W125", loc, timer=timer.name, event=model.label(event), enters=event.enters, state=timer.state)


def _all_names(model: Model) -> set[str]:
    names = {name for _, name, _ in _class_level(model)}
    names |= {m.name for m in model.microservices} | {p.name for p in model.processes}
    names |= {a.name for a in model.actors} | {s.name for saga in model.sagas for s in saga.steps}
    names |= {qualified(a) for a in model.aggregates} | {qualified(c) for c in model.commands}
    names |= {qualified(e) for e in model.events}  # 'about: kitchen.Restaurant' names something known
    names |= {t.name for t in model.timers}  # an hourglass is a sticky too: the drawings link it
    return names | model.left_out_names


def hotspots_are_open(model: Model) -> Iterator[Diagnostic]:
    known = _all_names(model)
    for hotspot in model.hotspots:
        yield _d("W106", hotspot.loc, text=hotspot.text)
        if hotspot.about is not None and hotspot.about not in known:
            yield _d("W107", hotspot.loc, name=hotspot.about)


# -- versions ------------------------------------------------------------------------------


def event_histories(model: Model) -> Iterator[Diagnostic]:
    """Each history entry must fit the fields of the version it made, so the generated
    upcasters can run: esp reads older fields back from the current ones."""
    for event in model.events:
        if not event.integration and "compatibility" in event.at:
            yield _d("W109", event.at["compatibility"], name=model.label(event))
        for rev in event.history:
            if rev.version > event.version:
                yield _d("E090", rev.loc, event=model.label(event), version=rev.version, current=event.version)
                continue
            yield from _revision_fits(model, event, rev, {f.name: f.type for f in event.fields_at(rev.version)})


def _revision_fits(model: Model, event: Event, rev: Revision, after: dict[str, FieldType]) -> Iterator[Diagnostic]:
    def unknown(action: str, name: str, key: str | None = None) -> Diagnostic:
        loc = rev.at.get(f"{action}:{key or name}", rev.loc)
        return _d(
            "E091",
            loc,
            event=model.label(event),
            version=rev.version,
            action=action,
            field=name,
            hint=did_you_mean(name, after) if after else "the event has no fields at that version",
        )

    for name, value in rev.added:
        if name not in after:
            yield unknown("added", name)
        elif not _value_fits(value, after[name]):
            yield _d(
                "E094",
                rev.at.get(f"added:{name}", rev.loc),
                field=name,
                event=model.label(event),
                value=value,
                type=str(after[name]),
            )
        elif after[name].scalar in ("float", "decimal") and _is_nan(value):
            yield _d("E098", rev.at.get(f"added:{name}", rev.loc), field=name, event=model.label(event))
    for old, new in rev.renamed:
        if new not in after:
            yield unknown("renamed", new, old)
        elif old in after:
            yield _d(
                "E092",
                rev.at.get(f"renamed:{old}", rev.loc),
                event=model.label(event),
                version=rev.version,
                field=old,
                action="renames",
            )
    for name, before in rev.widened:
        if name not in after:
            yield unknown("widened", name)
        elif not before.widens_to(after[name]):
            yield _d(
                "E093",
                rev.at.get(f"widened:{name}", rev.loc),
                event=model.label(event),
                version=rev.version,
                field=name,
                old=str(before),
                new=str(after[name]),
            )
    renamed_to = {new for _, new in rev.renamed}
    for f in rev.removed:
        if f.name in after and f.name not in renamed_to:
            yield _d("E092", f.loc, event=model.label(event), version=rev.version, field=f.name, action="removes")


# -- value objects -------------------------------------------------------------------


def _taken_name(name: str) -> str | None:
    """What a value object's name is taken by in the generated code, if it is."""
    if keyword.iskeyword(name):
        return "a Python keyword"
    if name in dir(builtins):
        return "a Python builtin"
    if name in STDLIB_IMPORTS:
        return f"'{name}' of the standard library, which the generated code imports"
    if name.lower() in SCALAR_TYPES:
        return f"the scalar type '{name.lower()}'"
    if name in RESERVED["value_objects.py"]:
        return "a name the generated value_objects.py uses"
    return None


def value_objects(model: Model) -> Iterator[Diagnostic]:
    """Value objects the generated code can carry (E192: not a Python or library name; E194: fields that stay
    apart in Python; E250: classes that stay apart in the one value_objects module), each the type of some
    field (W120) but a query's (E195). An empty one (E193) is reported by esp.build."""
    used = {
        f.type.inner.name
        for fields in (
            *(c.fields for c in model.commands),
            *(q.fields for q in model.queries),
            *(e.fields for e in model.events),
            *(t.fields for t in model.types),
        )
        for f in fields
    }
    classes: dict[str, ValueType] = {}
    for vo in model.types:
        what = _taken_name(vo.name) or (_taken_name(vo.cls) if vo.cls != vo.name else None)
        if what is not None:
            yield _d("E192", vo.loc, name=vo.key, what=what)
        first = classes.setdefault(vo.cls, vo)
        if first is not vo:
            yield _d("E250", vo.loc, name=vo.key, other=first.key, cls=vo.cls)
        seen: dict[str, str] = {}
        for f in vo.fields:
            ident = names.field_name(f.name)
            if ident in seen:
                yield _d("E194", f.loc, name=vo.key, field=f.name, other=seen[ident], ident=ident)
            seen.setdefault(ident, f.name)
        if vo.key not in used:
            yield _d("W120", vo.loc, name=vo.key)
    for query in model.queries:  # its fields are a GET's parameters, which hold scalars and lists
        for f in query.fields:
            if f.type.inner.value is not None:
                yield _d("E195", f.loc, query=query.name, field=f.name, type=str(f.type))
            elif _nested_list(f.type):
                yield _d("E178", f.loc, query=query.name, field=f.name, type=str(f.type), scalar=f.type.scalar)


def _nested_list(t: FieldType) -> bool:
    """Whether ``t`` is a list of anything but a scalar (a list of lists or of optionals): a GET has no form
    for it (an optional list, ``optional[list[int]]``, is fine)."""
    if t.name == "optional" and t.of is not None:
        t = t.of
    return t.name == "list" and t.of is not None and t.of.of is not None


RULES: tuple[Rule, ...] = (
    names_fit_the_generated_code,
    value_objects,
    naming_conventions,
    commands_emit,
    commands_emit_each_event_once,
    events_carry_their_id_once,
    events_are_produced,
    domain_events_stay_home,
    integration_events_are_heard,
    lifecycle,
    creation_events_are_distinct,
    listeners_hear_recorded_events,
    sagas_start_on_recorded_events,
    listeners_can_issue,
    listeners_are_distinct,
    keys_are_recorded,
    keys_find_aggregates,
    keys_are_released,
    listeners_do_not_loop,
    aggregates_come_to_exist,
    scenarios_fit,
    projections_hear_each_event_once,
    sagas_are_recoverable,
    saga_data_flows,
    previous_states,
    timers_fit,
    hotspots_are_open,
    event_histories,
)
