"""The Python names the generated package gives a Model, in one pass, and what they must not clash with.

Every journey name lands in one or more *scopes* of the generated code: the
package among importable modules, a class among its module's globals, a command
method among the members of its aggregate and application, a field among the
attributes eventsourcing gives events and aggregates. Each scope starts with
what the templates themselves define or import there (``RESERVED``, checked
against the rendered code and the eventsourcing classes by
tests/test_naming.py). A journey name that lands on one of those is renamed
(a field ``state`` becomes ``state_``) and the user is told (W110); two journey
names that land on one identifier are an error (E032); names only the
generated code uses (test functions, listener methods) are renamed quietly.

``esp.check`` reports the problems; ``esp.generate`` prints the names. Both run
this same pass, so validation and generation cannot disagree about a name.
"""

from __future__ import annotations

import builtins
import hashlib
import keyword
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from esp import names
from esp.errors import Diagnostic, Location, diagnostic
from esp.model import (
    Aggregate,
    Command,
    Event,
    Field,
    FieldType,
    Listener,
    Microservice,
    Model,
    Projection,
    Query,
    Saga,
    SagaStep,
    Scenario,
    Timer,
)

# -- what the generated code defines or imports, by scope ------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The standard-library names a generated module imports wherever its code uses them (esp.generate.render's
# imports(), of the names its view states): a journey name among them would be imported over, so every module
# and class scope reserves them all.
STDLIB_IMPORTS: Mapping[str, str] = {
    "Decimal": "decimal",
    "UUID": "uuid",
    "uuid4": "uuid",
    "date": "datetime",
    "datetime": "datetime",
    "UTC": "datetime",
    "timedelta": "datetime",
    "Any": "typing",
    "ClassVar": "typing",
    "Literal": "typing",
    "Self": "typing",
    "Protocol": "typing",
    "TypeVar": "typing",
    "TYPE_CHECKING": "typing",
    "Iterator": "collections.abc",
    "Mapping": "collections.abc",
    "Sequence": "collections.abc",
    "Callable": "collections.abc",
    "Sized": "collections.abc",
    "dataclass": "dataclasses",
    "field": "dataclasses",
    "Path": "pathlib",
}
# what every generated module may import: standard-library types and the journey's value objects module
_TYPES = frozenset(STDLIB_IMPORTS) | {"annotations", "value_objects"}
_TEST_HELPERS = _words("events_of has_logic listener_id pytest json uuid4 Alone DomainError store")

# The top-level modules of the generated package's dependencies (its pyproject.toml, extras included) and
# theirs: a package named like one is imported in its place ('fastapi' broke its own tests/test_api.py).
# tests/test_naming.py derives them from the rendered pyproject.toml and the installed distributions.
DEPENDENCY_MODULES = _words(
    """
    annotated_doc annotated_types anyio certifi charset_normalizer click fastapi graphql h11 harfile httpcore2
    httpx2 hypothesis hypothesis_graphql idna iniconfig jsonschema_rs markdown_it markupsafe mdurl opentelemetry
    packaging py pydantic pydantic_core pygments pyrate_limiter requests rich schemathesis sortedcontainers
    starlette truststore typing_inspection urllib3 uvicorn werkzeug yaml
    """
)

RESERVED: Mapping[str, frozenset[str]] = {
    # top-level modules a package must not shadow: the standard library, what the generated code and its
    # tests import, the folders beside the package
    "package": frozenset(sys.stdlib_module_names)
    | _words("eventsourcing esp_runtime esp pytest _pytest pluggy psycopg psycopg_binary psycopg_pool")
    | _words("typing_extensions hatchling setuptools pip tests conftest")
    | DEPENDENCY_MODULES,
    "package modules": _words("system journey testing player deploy runtime saga tests value_objects"),
    # members of the system facade (system.py)
    "system": _words("runner services catch_up positions recorded close sagas tick rules env parked retry_parked"),
    # members of a microservice's application: eventsourcing's ProcessApplication, esp_runtime's Service, and
    # what application.py adds
    "application": _words(
        """
        name env save close policy repository events snapshots mapper mappers recorder factory log
        log_section_size notification_log take_snapshot follow lead pull_and_process pull_notifications
        pull_section_size process_event filter_received_notifications convert_notifications
        register_transcodings rules topics readers followers closing processing_lock VALUE_OBJECTS keys holders
        key_releases key_final_states key_rules reindex
        previous_max_notification_id is_threading_enabled is_snapshotting_enabled snapshotting_intervals
        snapshotting_projectors snapshot_class notify notify_topics construct_env construct_event_store
        construct_factory construct_mapper construct_notification_log construct_recorder construct_repository
        construct_snapshot_store construct_transcoder AGGREGATE_CACHE_FASTFORWARD AGGREGATE_CACHE_FASTFORWARD_SKIPPING
        AGGREGATE_CACHE_MAXSIZE DEEPCOPY_FROM_AGGREGATE_CACHE
        TIMERS clock armed position timer_topics fire tick read_timers
        """
    ),
    # members of an aggregate class: eventsourcing's Aggregate, and what aggregates.py uses in the class body
    # (its events' bases and annotations); its event classes, command methods and attributes live there too
    "aggregate": _words(
        """
        id version state previous_state previous_states created_on modified_on pending_events collect_events
        trigger_event
        create_id Event Created Snapshot INITIAL_VERSION Aggregate IntegrationEvent ClassVar Hooks SHAPE
        """
    )
    | _TYPES,
    # what a field cannot be called: the members of eventsourcing's events and aggregates (an event's fields
    # become its aggregate's attributes), the parameters they are passed with, and self/cls
    "field": _words(
        """
        id version state previous_state previous_states created_on modified_on pending_events collect_events
        trigger_event
        create_id originator_id originator_version originator_topic originator_id_type find_originator_id_type
        timestamp create_timestamp apply mutate to_json from_json event_class self cls class_version
        """
    ),
    "hooks": frozenset(),
    # module globals, by generated module
    "aggregates.py": _words(
        "Aggregate Any ClassVar Hooks IntegrationEvent RULES Rules TYPE_CHECKING commands rename require_state widen"
    )
    | _TYPES,
    "commands.py": _words("Command Query dataclass") | _TYPES,
    "projections.py": _words("Application dataclass aggregates") | _TYPES,
    "application.py": _words(
        """
        Service Hooks Rules aggregates commands react react_each listener_id saga_steps ProcessingEvent
        singledispatchmethod DomainEventProtocol MutableOrImmutableAggregate ClassVar Any Mapping
        Aggregate TimedService Timer
        """
    )
    | _TYPES,
    "sagas.py": _words(
        "Any ClassVar Hooks Mapping Outcome Retries Rules SagaExecutionContainer SagaRun Step aggregates timedelta"
        " Breaker"
    )
    | _TYPES,
    "saga_steps.py": _words(
        """
        Aggregate AggregateNotFoundError DomainError DomainEventProtocol ProcessingEvent SagaRun TOPICS
        TYPE_CHECKING aggregates already_done commands get_topic react sagas skipped
        already_answered answered compensated to_compensate require_state Any
        compensation_failed
        """
    )
    | _TYPES,
    "value_objects.py": _words("Any ClassVar dataclass VALUE_OBJECTS ESP_NAME") | _TYPES,
    "hooks.py": _words("Hooks aggregates commands Literal Sequence Mapping Any") | _TYPES,
    "testing.py": _words("Alone Protocol S Service TypeVar store") | _TYPES,
    # where the journey's class is imported: the system, the player, __main__ and the tests
    "journey class": _words(
        """
        DomainEvent Mapping Recorded RecordingEvent SYSTEM SagaExecutionContainer Self Service
        SingleThreadedRunner System dataclass field Action Callable DomainError HasState Player Protocol Sized
        Step created_by events_of listener_id play table Path argparse main memory_env sqlite_env postgres_env
        CAUSES Line Play Steer play_all play_plays plays steer show mentions written Literal Sequence Mapping Any
        Alone Iterator NoReturn PERSISTENCE S TypeVar alone env os pytest system DomainEventProtocol SagaRun
        StepReply Unavailable attempts compensated journal last_event run_id settle target_id timedelta sys
        ParkedRun Ticker logging logger
        """
    )
    | _TYPES
    | _words("False None True"),  # the keywords a class name can be: a journey named 'False' is FalseJourney
    "deploy.py": _words("DEPLOYMENT Deployment Process SYSTEM supervise main annotations"),
    "api.py": _words("api Api CommandRoute QueryRoute Reader read commands mentions") | _TYPES,
    # the locals of api.py's api(): its read models and query functions live there
    "api function": _words("app reader read commands api Api CommandRoute QueryRoute Reader mentions"),
    # test modules: what they import besides the package's own modules
    "test_commands.py": _words("CommandRejected") | _TEST_HELPERS | _TYPES,
    "test_listeners.py": _TEST_HELPERS | _TYPES,
    "test_integration_events.py": _TEST_HELPERS | _TYPES,
    "test_journey.py": _words("play play_all plays test_the_journey_plays_its_scenarios")
    | _words("test_the_journey_survives_a_restart test_followers_catch_up_at_start_up")
    | _TEST_HELPERS
    | _TYPES,
    "test_scenarios.py": _words("Literal Sequence") | _TEST_HELPERS | _TYPES,
    "test_timers.py": _words("fired_id") | _TEST_HELPERS | _TYPES,
    "test_sagas.py": _words(
        """
        DomainEventProtocol SagaRun Service StepReply Unavailable attempts compensated journal last_event run_id
        settle target_id timedelta answer_event recorded uuid4 outcome answers
        Aggregate tick_while_down state_of compensation_attempts prior
        """
    )
    | _TEST_HELPERS
    | _TYPES,
    "test_api.py": _words(
        """
        Iterator contextmanager Any pytest schemathesis FastAPI TestClient HealthCheck given settings
        content_type_conformance not_a_server_error response_schema_conformance status_code_conformance Ok Opened
        DEPLOYMENT APIS EXAMPLES CHECKS api test_the_api_survives_fuzzing_from_its_own_openapi
        test_invalid_input_is_a_422_problem test_health_and_ready annotations
        """
    ),
    # a saga run's class: SagaRun's members and the events nested in it
    "saga run": _words(
        """
        StepStarted CompensationStarted StepSucceeded StepFailed StepTimedOut CompensationDone Started Completed
        Aborted Event Created Snapshot id version state CompensationPlanned RetryStarted INITIAL_VERSION
        CompensationFailed CompensationTimedOut Parked Unparked StepDeferred
        """
    ),
}
TEST_MODULES = (
    "test_commands.py",
    "test_listeners.py",
    "test_integration_events.py",
    "test_journey.py",
    "test_scenarios.py",
    "test_sagas.py",
    "test_timers.py",
)
_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_"))
# The longest Python name a journey name may become, and the longest text (a state, a saga step) the code
# writes as a string: the generated lines must fit ruff's 120 columns and the paths the file system's limits.
# The examples' longest name has 38 characters. Names only the code uses (tests, handlers) are shortened.
MAX_NAME = 40
# The snake case of a class name of 40 characters ('place_order' of PlaceOrder): the generated code calls a command's
# method after its aggregate class ('    return aggregates.<Class>.<method>(' within 120 columns, in parentheses).
MAX_SNAKE = 55
MAX_TEXT = 60
# The longest package a journey's name becomes: imports name it before a microservice's module of up to 40
# characters ('from <package>.<module>.application import (' within 120 columns).
MAX_PACKAGE = 50
_MAX_INTERNAL = 60


# The longest rule method (hooks.py): a saga's rule is named from three names of up to 40 characters each, and
# its ``def`` line must fit 120 columns (rules.py overrides it by that name).
MAX_RULE = 80
# The longest module stem of an alias of another microservice's aggregates where three names follow it on one line
# (sagas.py: 'REPLIES' keys 'stem_aggregates.Aggregate.Event: (' within 120 columns at 40 characters each).
MAX_STEM = 16
# The longest saga step handler (saga_steps.py), named from its saga and step: the tests call it from an assignment
# in a loop ('            answers = <module>_saga_steps.<handler>(') and its head must fit 120 columns.
MAX_STEP = 46


def bounded(ident: str, limit: int = MAX_RULE) -> str:
    """``ident``, or, when longer than ``limit``, its head and a digest of the whole: the same name on every run
    and distinct for distinct names ('settle_claim_..._amount' -> 'settle_claim_..._4f2a')."""
    if len(ident) <= limit:
        return ident
    digest = hashlib.sha1(ident.encode()).hexdigest()[:6]
    return f"{ident[: limit - len(digest) - 1].rstrip('_')}_{digest}"


def field_name(raw: str) -> str:
    """A field's attribute in the generated code, the same wherever the field appears: snake case, with a
    trailing underscore after a Python keyword or builtin ('class_', 'type_') or a name eventsourcing or the
    generated code gives events and aggregates ('state_', 'id_')."""
    ident = names.snake(raw)
    if names.is_keyword(ident) or ident in _BUILTINS or ident in RESERVED["field"]:
        return ident + "_"
    return ident


def _py(ftype: FieldType) -> str:
    """A type as its Python annotation reads (``optional[optional[int]]`` is ``int | None``), for comparing."""
    if ftype.name == "list" and ftype.of is not None:
        return f"list[{_py(ftype.of)}]"
    if ftype.name == "optional" and ftype.of is not None:
        inner = _py(ftype.of)
        return inner if inner.endswith("| None") else f"{inner} | None"
    return ftype.name


def same_type(a: FieldType, b: FieldType) -> bool:
    return _py(a) == _py(b)


def optional_of(a: FieldType, b: FieldType) -> bool:
    """``b`` is ``a`` or ``optional[a]``."""
    return _py(b) in (_py(a), f"{_py(a)} | None")


# -- the names ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceNames:
    module: str  # its subpackage
    cls: str  # its application class
    attr: str  # the system facade's attribute holding it
    process: str  # its process in the Procfile (`run NAME`)
    short: str = ""  # its module's stem in an alias that must be short (sagas.py's REPLIES keys): at most 16


@dataclass(frozen=True)
class AggregateNames:
    cls: str
    snake: str
    getter: str  # the application's method returning one by id
    builder: str  # testing.py's function storing one in a given state
    identity: str  # the id field
    keys_test: str = ""  # test_listeners.py's test of its key index (keyed aggregates only)


@dataclass(frozen=True)
class EventNames:
    cls: str
    snake: str
    test: str  # its JSON round-trip test (integration events)


@dataclass(frozen=True)
class CommandNames:
    cls: str
    method: str
    handler: str  # the application's method that runs it on an aggregate (the public one saves it too)
    test: str  # its test in test_commands.py


@dataclass(frozen=True)
class QueryNames:
    cls: str
    method: str  # the system facade's method answering it


@dataclass(frozen=True)
class ProjectionNames:
    cls: str
    row: str
    attr: str


@dataclass(frozen=True)
class StepNames:
    method: str  # the participant's handler (saga_steps.py)
    compensation: str  # its compensation's handler
    started: str  # the run's StepStarted class for its participant
    compensation_started: str
    rule_cls: str  # the test's rule class that makes it fail
    test_fails: str
    test_fails_then_succeeds: str
    test_times_out: str
    compensation_rule_cls: str = ""  # the test's rule class that makes its compensation fail


@dataclass(frozen=True)
class SagaNames:
    cls: str
    snake: str
    run_cls: str
    sec_cls: str
    attr: str
    process: str  # its SEC's process in the Procfile
    start: str  # the test helper that starts it
    test_completes: str
    test_repeated_commands: str
    test_repeated_compensations: str
    test_parks: str = ""
    test_breaker: str = ""
    test_again: str = ""
    test_unanswered: str = ""  # a compensation that never answers: timed out, retried, parked


@dataclass(frozen=True)
class TimerNames:
    """The tests of a timer (test_timers.py)."""

    goes_off: str
    stopped: str
    restart: str
    clock: str
    again: str = ""  # started again by an undo that returns the aggregate to its state


@dataclass(frozen=True)
class ListenerNames:
    method: str  # the application's method that issues the command
    handler: str  # the policy's handler of the event (one per event heard)
    test: str


# fails: a saga step's command, or a compensation; check: a command's invariant; evolve: an event's state evolution
HookKind = Literal["choice", "field", "fails", "saga", "check", "evolve"]


@dataclass(frozen=True)
class Hook:
    """A business rule the generated code asks a microservice's Hooks for (rules.py overrides it)."""

    method: str
    kind: HookKind
    microservice: Microservice
    commands: tuple[Command, ...]  # the commands it serves (one or more; evolve: none)
    event: Event | None = None  # field: the event whose field it fills; fails: the failure event; evolve: its event
    field: Field | None = None  # field, saga: the field it fills
    saga: Saga | None = None


@dataclass(frozen=True, eq=False)
class Naming:
    """Every Python name of the generated package, and the problems found naming it."""

    package: str
    journey_cls: str
    services: Mapping[Microservice, ServiceNames]
    aggregates: Mapping[Aggregate, AggregateNames]
    events: Mapping[Event, EventNames]
    commands: Mapping[Command, CommandNames]
    queries: Mapping[Query, QueryNames]
    projections: Mapping[Projection, ProjectionNames]
    listeners: Mapping[Listener, ListenerNames]
    sagas: Mapping[Saga, SagaNames]
    steps: Mapping[SagaStep, StepNames]
    scenarios: Mapping[Scenario, str]
    hooks: tuple[Hook, ...]
    timers: Mapping[Timer, TimerNames]
    problems: tuple[Diagnostic, ...]

    def hooks_of(self, ms: Microservice) -> tuple[Hook, ...]:
        return self._hooks_by_service.get(ms, ())

    @cached_property
    def _hooks_by_service(self) -> dict[Microservice, tuple[Hook, ...]]:
        found: dict[Microservice, list[Hook]] = {}
        for hook in self.hooks:  # one pass, not one per microservice
            found.setdefault(hook.microservice, []).append(hook)
        return {ms: tuple(hooks) for ms, hooks in found.items()}


# -- the pass ----------------------------------------------------------------------------------------


@dataclass
class _Scope:
    reserved: frozenset[str]
    taken: dict[str, str] = field(default_factory=dict)  # identifier -> what took it, for messages
    no_test_prefix: bool = False  # a test module: pytest collects functions named test*


@dataclass
class _Namer:
    model: Model
    problems: list[Diagnostic] = field(default_factory=list)
    scopes: dict[str, _Scope] = field(default_factory=dict)
    started: dict[tuple[tuple[str, str], Microservice], tuple[str, str]] = field(default_factory=dict)
    collided: set[tuple[str, str]] = field(default_factory=set)
    long: set[tuple[str, str]] = field(default_factory=set)

    def scope(self, key: str, reserved: str | None = None) -> _Scope:
        found = self.scopes.get(key)
        if found is None:
            base = RESERVED.get(reserved or key, frozenset())
            found = self.scopes[key] = _Scope(base, no_test_prefix=(reserved or key) in TEST_MODULES)
        return found

    def claim(
        self,
        keys: Iterable[str | tuple[str, str]],
        ident: str,
        kind: str,
        raw: str,
        loc: Location | None,
        *,
        internal: bool = False,
    ) -> str:
        """``ident`` in every scope of ``keys`` ((scope, reserved list) or a scope named like its list): renamed
        if the generated code uses it there (W110); two journey names on one identifier are E032; names only
        the generated code uses (``internal``) are renamed quietly."""
        internal = internal or kind == "test"
        if internal and len(ident) > _MAX_INTERNAL:
            ident = ident[:_MAX_INTERNAL].rstrip("_")
        scopes = [self.scope(*k) if isinstance(k, tuple) else self.scope(k) for k in keys]
        clash = next((s.taken[ident] for s in scopes if ident in s.taken), None)
        collected = kind != "test" and any(s.no_test_prefix for s in scopes) and ident.lower().startswith("test")
        final = ident
        if collected or any(ident in s.reserved for s in scopes):
            final = _free(scopes, _renamed(ident, kind, collected))
            if not internal and loc is not None:
                self.problems.append(diagnostic("W110", loc, kind=kind, name=raw, ident=final, taken=ident))
        elif clash is not None and internal:
            final = _free(scopes, ident)
        elif clash is not None and loc is not None and (kind, raw) not in self.collided:
            self.collided.add((kind, raw))  # one diagnostic per name, even if its class and method both clash
            self.problems.append(diagnostic("E032", loc, kind=kind, name=raw, other=clash, ident=ident))
        for s in scopes:
            s.taken.setdefault(final, raw)
        return final

    def too_long(self, kind: str, raw: str, ident: str, loc: Location, limit: int = MAX_NAME) -> None:
        """E171 once per name: longer than the generated code can carry."""
        if len(ident) > limit and (kind, raw) not in self.long:
            self.long.add((kind, raw))
            self.problems.append(diagnostic("E171", loc, kind=kind, name=raw[:80], ident=ident[:80], limit=limit))

    def python_class(self, kind: str, raw: str, loc: Location) -> str:
        """A class name; a Python keyword or builtin is refused (E033): renaming it would hide a mistake. Its
        snake case (methods, attributes) has a limit of its own: a name of many short words grows by a third."""
        ident = names.class_name(raw)
        self.too_long(kind, raw, ident, loc)
        self.too_long(kind, raw, names.snake(ident), loc, MAX_SNAKE)
        if keyword.iskeyword(ident) or ident in _BUILTINS:
            what = "keyword" if keyword.iskeyword(ident) else "builtin"
            self.problems.append(diagnostic("E033", loc, kind=kind, name=raw, ident=ident, what=what))
        return ident


def _renamed(ident: str, kind: str, collected: bool) -> str:
    """The rename of a name the generated code already uses: 'state' -> 'state_', a package 'json' ->
    'json_journey', a class 'Recorded' -> 'RecordedJourney', a function pytest would collect -> 'make_test_...'."""
    if collected:
        return f"make_{ident}"
    if kind == "package":
        return f"{ident}_journey"
    if kind == "journey":
        return f"{ident}Journey"
    return f"{ident}_"


def _free(scopes: list[_Scope], ident: str) -> str:
    """``ident``, or ``ident_2``, ``ident_3``... whichever no scope has yet."""

    def free(name: str) -> bool:
        return all(name not in s.taken and name not in s.reserved for s in scopes)

    n = 2
    found = ident
    while not free(found):
        found = f"{ident}_{n}"
        n += 1
    return found


def naming(model: Model, package: str | None = None) -> Naming:
    """Name everything of ``model`` as the package ``package`` (default: from the journey's name)."""
    n = _Namer(model)
    for journey in model.journeys:
        n.too_long("journey", journey.name, names.class_name(journey.name), journey.loc)
    where = _journey_loc(model)
    if package is None and where is not None:  # its package: 'from <package>.<microservice>.application import ('
        n.too_long("journey", model.name, default_package(model), where, MAX_PACKAGE)
    pkg = n.claim(["package"], package or default_package(model), "package", model.name, _journey_loc(model))
    journey_cls = n.claim(["journey class"], names.class_name(model.name), "journey", model.name, _journey_loc(model))
    services = {ms: _service(n, ms) for ms in model.microservices}
    for process in model.processes:  # an unknown microservice (E040) gets names too, quietly
        if process.microservice not in services:
            services[process.microservice] = _service(n, process.microservice, quiet=True)
    aggregates = {a: _aggregate(n, a, services) for a in model.aggregates}
    events = {e: _event(n, e, aggregates) for e in model.events}
    commands = {c: _command(n, c, services, aggregates) for c in model.commands}
    queries = {q: _query(n, q, services) for q in model.queries}
    projections = {p: _projection(n, p, services) for p in model.projections}
    listeners = _listeners(n, model, services, events, commands)
    sagas = {s: _saga(n, s, services) for s in model.sagas}
    steps = {st: _step(n, s, st, sagas[s], services, commands) for s in model.sagas for st in s.steps}
    scenarios = {s: n.claim(["test_scenarios.py"], _scenario_test(s), "test", s.name, None) for s in model.scenarios}
    hooks = _hooks(n, model, services, events, commands, sagas)
    for agg in model.aggregates:
        _fields(n, model, agg, commands)
    for query in model.queries:
        _own_fields(n, query.name, query.fields)
    for vo in model.types:  # a plain dataclass: only keywords and builtins are renamed (two on one name: E194)
        for f in vo.fields:
            n.too_long("field", f.name, names.field_name(f.name), f.loc)
            if names.is_keyword(names.snake(f.name)):
                n.problems.append(diagnostic("W108", f.loc, field=f.name, ident=names.field_name(f.name)))
    return Naming(
        pkg,
        journey_cls,
        services,
        aggregates,
        events,
        commands,
        queries,
        projections,
        listeners,
        sagas,
        steps,
        scenarios,
        hooks,
        {t: _timer(n, t, model.timers) for t in model.timers},
        tuple(n.problems),
    )


def _timer(n: _Namer, timer: Timer, timers: Sequence[Timer]) -> TimerNames:
    # the timer's name, numbered where timers of other aggregates have it too (E171 keeps it to 40 characters)
    ident = names.snake(timer.name)
    same = [t for t in timers if names.snake(t.name) == ident]
    prefix = f"test_timer_{ident}_{same.index(timer) + 1}" if len(same) > 1 else f"test_timer_{ident}"

    def test(suffix: str) -> str:
        return n.claim(["test_timers.py"], prefix + suffix, "test", timer.name, None)

    return TimerNames(
        test("_goes_off_once"),
        test("_stops"),
        test("_survives_a_restart"),
        test("_on_the_system_clock"),
        test("_starts_again_after_an_undo"),
    )


def default_package(model: Model) -> str:
    """The Python package of a model: its journey's name in snake case."""
    name = names.module_name(model.name) or "journey"
    return name if name[0].isalpha() else "journey_" + name


def _journey_loc(model: Model) -> Location | None:
    return model.journeys[0].loc if len(model.journeys) == 1 else None


def _service(n: _Namer, ms: Microservice, *, quiet: bool = False) -> ServiceNames:
    loc = None if quiet else ms.loc
    module = _safe(names.snake(ms.name))
    if loc is not None:
        n.too_long("microservice", ms.name, module, loc)
    module = n.claim(["package modules", "kind:microservice", "system"], module, "microservice", ms.name, loc)
    cls = names.class_name(ms.name) + "Service"
    scopes = [(f"{module}/application.py", "application.py"), (f"{module}/saga_steps.py", "saga_steps.py")]
    cls = n.claim(scopes, cls, "microservice", ms.name, loc)
    process = n.claim(["procfile"], process_name(ms.name), "microservice", ms.name, loc)
    for suffix in ALIASES:  # how other modules import its modules: 'from pkg.orders import commands as orders_commands'
        n.claim(["aliases"], module + suffix, "alias", ms.name, None, internal=True)
    short = module
    if len(module) > MAX_STEM:  # 'a_very_long_name_3f2a1b_aggregates': distinct from every alias above
        short = n.claim(["aliases"], bounded(module, MAX_STEM) + "_aggregates", "alias", ms.name, None, internal=True)
        short = short.removesuffix("_aggregates")
    return ServiceNames(module, cls, module, process, short)


ALIASES = (
    "_aggregates",
    "_commands",
    "_application",
    "_projections",
    "_sagas",
    "_rules",
    "_saga_steps",
    "_api",
    "_hooks",
)


def process_name(raw: str) -> str:
    """A Procfile process type: lower case letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", names.snake(raw).lower()).strip("-") or "process"


def _aggregate(n: _Namer, agg: Aggregate, services: Mapping[Microservice, ServiceNames]) -> AggregateNames:
    module = services[agg.microservice].module
    cls = n.python_class("aggregate", agg.name, agg.loc)
    cls = n.claim(
        [
            f"kind:aggregate:{module}",
            (f"{module}/aggregates.py", "aggregates.py"),
            (f"{module}/saga_steps.py", "saga_steps.py"),
        ],
        cls,
        "aggregate",
        agg.name,
        agg.loc,
    )
    # its events are classes in its class: one named like the aggregate would hide it there (E032)
    n.scope(f"aggregate:{cls}:{agg.microservice.name}", "aggregate").taken.setdefault(cls, f"aggregate {agg.name}")
    getter = n.claim([(f"{module}/application", "application")], f"get_{names.snake(cls)}", "getter", agg.name, agg.loc)
    snake = _safe(names.snake(cls))
    own = _own(n.model, agg, module)
    builder = n.claim(["testing.py", *TEST_MODULES], f"{own}{snake}_in", "builder", agg.name, None, internal=True)
    identity = field_name(agg.identity)
    n.too_long("identity", agg.identity, identity, agg.at.get("identity", agg.loc))
    for state in agg.states:
        n.too_long("state", state, state, agg.at.get("states", agg.loc), MAX_TEXT)
    if "identity" in agg.at and names.snake(agg.identity) in RESERVED["field"]:
        where = agg.at["identity"]
        n.problems.append(
            diagnostic("W110", where, kind="identity", name=agg.identity, ident=identity, taken=agg.identity)
        )
    keys_test = ""
    if agg.keys:  # one test each: two keyed aggregates must not define the same test (F811)
        keys_test = n.claim(
            ["test_listeners.py"], f"test_{own}{snake}_is_found_by_its_keys", "test", agg.name, None, internal=True
        )
    return AggregateNames(cls, snake, getter, builder, identity, keys_test)


def _own(model: Model, item: Aggregate | Command | Event, module: str) -> str:
    """The prefix that tells apart, in a module of the whole package (testing.py, the tests), names another
    microservice defines too: its microservice's module ('kitchen_restaurant_in'); none for the others."""
    return f"{module}_" if model.shared(item) else ""


def _safe(ident: str) -> str:
    """A module-level name that must not be a keyword or builtin ('list' -> 'list_')."""
    return ident + "_" if names.is_keyword(ident) or ident in _BUILTINS else ident


def _event(n: _Namer, event: Event, aggregates: Mapping[Aggregate, AggregateNames]) -> EventNames:
    where = event.at.get("event", event.loc)
    cls = n.python_class("event", event.name, where)
    keys: list[str | tuple[str, str]] = [f"kind:event:{event.microservice.name}"]
    if event.aggregate is not None:
        keys.append((f"aggregate:{aggregates[event.aggregate].cls}:{event.aggregate.microservice.name}", "aggregate"))
    cls = n.claim(keys, cls, "event", event.name, where)
    snake = _safe(names.snake(cls))
    own = _own(n.model, event, names.snake(event.microservice.name))
    test = n.claim(["test_integration_events.py"], f"test_{own}{snake}_reads_back_from_json", "test", event.name, None)
    return EventNames(cls, snake, test)


def _aggregate_scope(agg: Aggregate, aggregates: Mapping[Aggregate, AggregateNames] | None = None) -> tuple[str, str]:
    cls = aggregates[agg].cls if aggregates is not None else names.class_name(agg.name)
    return (f"aggregate:{cls}:{agg.microservice.name}", "aggregate")


def _command(
    n: _Namer,
    cmd: Command,
    services: Mapping[Microservice, ServiceNames],
    aggregates: Mapping[Aggregate, AggregateNames],
) -> CommandNames:
    where = cmd.at.get("command", cmd.loc)
    module = services[cmd.microservice].module
    cls = n.python_class("command", cmd.name, where)
    cls = n.claim([f"kind:command:{module}", (f"{module}/commands.py", "commands.py")], cls, "command", cmd.name, where)
    keys: list[str | tuple[str, str]] = [(f"{module}/application", "application")]
    if cmd.aggregate is not None:
        keys.append(_aggregate_scope(cmd.aggregate, aggregates))
    method = n.claim(keys, _safe(names.snake(cmd.name)), "command", cmd.name, where)
    handler = n.claim(
        [(f"{module}/application", "application")], f"_{method}", "handler", cmd.name, None, internal=True
    )
    agg = aggregates[cmd.aggregate].snake if cmd.aggregate is not None else "aggregate"
    own = _own(n.model, cmd, module)
    test = f"test_{own}{method}_creates_a_{agg}" if cmd.creates else f"test_{own}{method}_by_state"
    return CommandNames(cls, method, handler, n.claim(["test_commands.py"], test, "test", cmd.name, None))


def _query(n: _Namer, query: Query, services: Mapping[Microservice, ServiceNames]) -> QueryNames:
    where = query.at.get("query", query.loc)
    module = services[query.microservice].module
    cls = n.python_class("query", query.name, where)
    cls = n.claim(["kind:query", (f"{module}/commands.py", "commands.py")], cls, "query", query.name, where)
    method = _safe(names.snake(query.name))
    if query.projection is not None:
        method = n.claim(["system", "api function", "aliases"], method, "query", query.name, where)
    return QueryNames(cls, method)


def _projection(n: _Namer, pr: Projection, services: Mapping[Microservice, ServiceNames]) -> ProjectionNames:
    where = pr.at.get("projection", pr.loc)
    module = services[pr.microservice].module
    scope = (f"{module}/projections.py", "projections.py")
    cls = n.claim(
        ["kind:projection", scope], n.python_class("projection", pr.name, where), "projection", pr.name, where
    )
    row = n.claim([scope], cls + "Row", "projection", pr.name, where)
    attr = n.claim(["system", "api function", "aliases"], _safe(names.snake(pr.name)), "projection", pr.name, where)
    return ProjectionNames(cls, row, attr)


def _listeners(
    n: _Namer,
    model: Model,
    services: Mapping[Microservice, ServiceNames],
    events: Mapping[Event, EventNames],
    commands: Mapping[Command, CommandNames],
) -> dict[Listener, ListenerNames]:
    found = {}
    handlers: dict[tuple[Microservice, Event], str] = {}
    for li in model.listeners:
        app = (f"{services[li.microservice].module}/application", "application")
        method = f"_{commands[li.command].method}_on_{names.snake(events[li.on].cls)}"
        method = n.claim([app], method, "listener", li.on.name, None, internal=True)
        key = (li.microservice, li.on)
        if key not in handlers:
            source = services[li.on.microservice].module
            handlers[key] = n.claim(
                [app], f"_on_{source}_{events[li.on].snake}", "handler", li.on.name, None, internal=True
            )
        heard = _own(model, li.on, services[li.on.microservice].module) + events[li.on].snake
        issued = _own(model, li.command, services[li.microservice].module) + commands[li.command].method
        test = f"test_{heard}_leads_to_{issued}"
        found[li] = ListenerNames(method, handlers[key], n.claim(["test_listeners.py"], test, "test", li.on.name, None))
    return found


def _saga(n: _Namer, saga: Saga, services: Mapping[Microservice, ServiceNames]) -> SagaNames:
    where = saga.at.get("saga", saga.loc)
    module = services[saga.microservice].module
    cls = n.python_class("saga", saga.name, where)
    cls = n.claim(["kind:saga"], cls, "saga", saga.name, where)
    snake = names.snake(saga.name)
    sagas_py = (f"{module}/sagas.py", "sagas.py")
    run_cls = n.claim([sagas_py], cls + "Run", "saga", saga.name, where)
    sec_cls = n.claim([sagas_py], cls + "Saga", "saga", saga.name, where)
    attr = n.claim(["system"], snake + "_saga", "saga", saga.name, where)
    process = n.claim(["procfile"], process_name(saga.name) + "-saga", "saga", saga.name, where)

    def test(name: str) -> str:
        return n.claim(["test_sagas.py"], name, "test", saga.name, None)

    return SagaNames(
        cls,
        snake,
        run_cls,
        sec_cls,
        attr,
        process,
        test(f"start_{attr}"),
        test(f"test_{attr}_completes"),
        test(f"test_{attr}_repeated_commands_change_nothing"),
        test(f"test_{attr}_repeated_compensations_change_nothing"),
        test(f"test_{attr}_failed_compensation_parks_the_run"),
        test(f"test_{attr}_circuit_breaker_opens"),
        test(f"test_{attr}_runs_again_on_the_same_aggregate"),
        test(f"test_{attr}_unanswered_compensation_parks_the_run"),
    )


def _step(
    n: _Namer,
    saga: Saga,
    step: SagaStep,
    sn: SagaNames,
    services: Mapping[Microservice, ServiceNames],
    commands: Mapping[Command, CommandNames],
) -> StepNames:
    n.too_long("saga step", step.name, step.name, step.at.get("step", step.loc), MAX_TEXT)
    participant = step.invoke.microservice
    module = services[participant].module
    steps_py = (f"{module}/saga_steps.py", "saga_steps.py")
    # the tests call them as 'answers = <module>_saga_steps.<method>(' within 120 columns: bounded (MAX_STEP)
    method = f"{sn.snake}_{names.snake(step.name)}"
    method = n.claim([steps_py], bounded(method, MAX_STEP), "saga step", step.name, None, internal=True)
    compensation = bounded(f"{method}_compensate", MAX_STEP)
    compensation = n.claim([steps_py], compensation, "saga step", step.name, None, internal=True)
    run = (f"{services[saga.microservice].module}/sagas.py:{sn.run_cls}", "saga run")
    if (run, participant) not in n.started:  # one class per participant: it follows only its own
        p = names.class_name(participant.name)
        n.started[(run, participant)] = (
            n.claim([run], f"{p}StepStarted", "class", step.name, None, internal=True),
            n.claim([run], f"{p}CompensationStarted", "class", step.name, None, internal=True),
        )
    started, compensation_started = n.started[(run, participant)]

    def test(name: str) -> str:
        return n.claim(["test_sagas.py"], name, "test", step.name, None)

    shared = names.class_name(participant.name) if n.model.shared(step.invoke) else ""  # BookTripCarReserveSlotRule
    return StepNames(
        method,
        compensation,
        started,
        compensation_started,
        test(f"{sn.cls}{shared}{commands[step.invoke].cls}Rule"),
        test(f"test_{method}_fails"),
        test(f"test_{method}_fails_then_succeeds"),
        test(f"test_{method}_times_out"),
        test(f"{sn.cls}{commands[step.compensate].cls}Rule") if step.compensate is not None else "",
    )


def _scenario_test(s: Scenario) -> str:
    return "test_" + (names.snake(s.name) or "scenario")


def _fields(n: _Namer, model: Model, agg: Aggregate, commands: Mapping[Command, CommandNames]) -> None:
    """Fields distinct within their event or command; an aggregate's attributes (its events' fields) distinct
    from its command methods."""
    attributes: dict[str, str] = {}
    for owner, fields in [(e.name, e.fields) for e in model.events_of(agg)] + [
        (c.name, c.fields) for c in model.commands_of(agg)
    ]:
        _own_fields(n, owner, fields)
    for event in model.events_of(agg):
        for f in event.fields:
            attributes.setdefault(field_name(f.name), f.name)
    for cmd in model.commands_of(agg):
        method = commands[cmd].method
        if method in attributes:
            where = cmd.at.get("command", cmd.loc)
            n.problems.append(
                diagnostic(
                    "E032",
                    where,
                    kind="command",
                    name=model.label(cmd),
                    other=f"field {attributes[method]}",
                    ident=method,
                )
            )


def _own_fields(n: _Namer, owner: str, fields: Iterable[Field]) -> None:
    seen: dict[str, str] = {}
    for f in fields:
        ident = field_name(f.name)
        n.too_long("field", f.name, ident, f.loc)
        other = seen.setdefault(ident, f.name)
        if other != f.name:
            n.problems.append(diagnostic("E032", f.loc, kind="field", name=f.name, other=other, ident=ident))
        elif ident != names.snake(f.name):
            code = "W108" if names.is_keyword(names.snake(f.name)) else ""
            if code:
                n.problems.append(diagnostic("W108", f.loc, field=f.name, ident=ident))
            elif names.snake(f.name) in RESERVED["field"]:
                n.problems.append(
                    diagnostic("W110", f.loc, kind="field", name=f.name, ident=ident, taken=names.snake(f.name))
                )


def _hooks(
    n: _Namer,
    model: Model,
    services: Mapping[Microservice, ServiceNames],
    events: Mapping[Event, EventNames],
    commands: Mapping[Command, CommandNames],
    sagas: Mapping[Saga, SagaNames],
) -> tuple[Hook, ...]:
    """The rules each microservice asks for, named once (rules.py overrides them by these names)."""
    wanted: dict[tuple[object, ...], Hook] = {}

    def want(key: tuple[object, ...], hook: Hook) -> None:
        old = wanted.get(key)
        if old is None:
            wanted[key] = hook
        elif not set(hook.commands) <= set(old.commands):
            wanted[key] = Hook(
                old.method, old.kind, old.microservice, old.commands + hook.commands, old.event, old.field, old.saga
            )

    for cmd in model.commands:
        if cmd.aggregate is None:
            continue
        emitted = [e for e in cmd.emits if e.aggregate is cmd.aggregate]
        if len(emitted) > 1:
            want(("choice", cmd), Hook(f"{commands[cmd].method}_emits", "choice", cmd.microservice, (cmd,)))
        for event, f in rule_fields(cmd):
            hook = Hook(
                f"{names.snake(events[event].cls)}_{field_name(f.name)}", "field", cmd.microservice, (cmd,), event, f
            )
            want(("field", event, f.name), hook)
    for saga in model.sagas:
        for step in saga.steps:
            if step.fails_on is not None:
                method = f"{commands[step.invoke].method}_fails"
                want(
                    ("fails", step.invoke),
                    Hook(method, "fails", step.invoke.microservice, (step.invoke,), step.fails_on),
                )
        for cmd, f in saga_rule_fields(saga):
            own = _own(model, cmd, services[cmd.microservice].module)  # two participants' ReserveSlot: whose
            method = f"{sagas[saga].snake}_{own}{commands[cmd].method}_{field_name(f.name)}"
            want(("saga", saga, cmd, f.name), Hook(method, "saga", saga.microservice, (cmd,), None, f, saga))
    for saga in model.sagas:  # after the steps: a command both a step and a compensation has one rule
        for step in saga.steps:
            comp = step.compensate
            if comp is not None and ("fails", comp) not in wanted:
                want(("fails", comp), Hook(f"{commands[comp].method}_fails", "fails", comp.microservice, (comp,)))
    named = []
    for hook in wanted.values():
        scope = f"{services[hook.microservice].module}/hooks"
        where = hook.commands[0].at.get("command", hook.commands[0].loc)
        method = n.claim([(scope, "hooks")], bounded(hook.method), "rule", hook.method, where)
        named.append(Hook(method, hook.kind, hook.microservice, hook.commands, hook.event, hook.field, hook.saga))
    for hook in _logic_hooks(model, events, commands):  # after the rules above: they keep their names
        scope = f"{services[hook.microservice].module}/hooks"
        method = n.claim([(scope, "hooks")], bounded(hook.method), "rule", hook.method, None, internal=True)
        named.append(Hook(method, hook.kind, hook.microservice, hook.commands, hook.event))
    return tuple(sorted(named, key=lambda h: h.method))


def _logic_hooks(
    model: Model, events: Mapping[Event, EventNames], commands: Mapping[Command, CommandNames]
) -> list[Hook]:
    """The room for business logic: an invariant per command (``check_<command>``: raise DomainError to reject
    it) and a state evolution per event of an aggregate (``on_<event>``: runs at the end of its apply)."""
    found = [
        Hook(f"check_{commands[cmd].method}", "check", cmd.microservice, (cmd,))
        for cmd in model.commands
        if cmd.aggregate is not None
    ]
    for event in model.events:
        if event.aggregate is not None:
            found.append(Hook(f"on_{names.snake(events[event].cls)}", "evolve", event.microservice, (), event))
    return found


def rule_fields(cmd: Command) -> list[tuple[Event, Field]]:
    """The fields of ``cmd``'s events it does not carry itself (same name, same type): a rule fills them."""
    own = {field_name(f.name): f.type for f in cmd.fields}
    found = []
    for event in cmd.emits:
        if event.aggregate is not cmd.aggregate:
            continue
        for f in event.fields:
            mine = own.get(field_name(f.name))
            if mine is None or not same_type(mine, f.type):
                found.append((event, f))
    return found


def saga_data(saga: Saga, index: int) -> dict[str, FieldType]:
    """The saga's data when step ``index`` starts, by the Python names the generated code keys it by."""
    return {field_name(name): d.type for name, d in saga.data(index).items()}


def saga_source(saga: Saga, index: int, cmd: Command, f: Field) -> str | None:
    """The saga data (its key) that fills field ``f`` of ``cmd``, step ``index``'s command or compensation:
    the data the step maps it to, else the data of its name and type; None: none does (a rule, or None)."""
    data = saga_data(saga, index)
    mapped = dict(saga.steps[index].mapping).get(f.name)
    if mapped is not None:
        return field_name(mapped) if field_name(mapped) in data else None
    have = data.get(field_name(f.name))
    return field_name(f.name) if have is not None and optional_of(have, f.type) else None


def saga_target_field(cmd: Command) -> str | None:
    """The field of a command on an existing aggregate that says which one (the saga's target fills it)."""
    if cmd.creates or cmd.aggregate is None:
        return None
    return field_name(cmd.aggregate.identity)


def saga_rule_fields(saga: Saga) -> list[tuple[Command, Field]]:
    """The fields of a saga's commands that no value of the run fills: a rule of the saga's microservice does."""
    found = []
    for i, step in enumerate(saga.steps):
        for cmd in (step.invoke, step.compensate):
            if cmd is None:
                continue
            for f in cmd.fields:
                if field_name(f.name) == saga_target_field(cmd):
                    continue  # the aggregate the step made, or the one its target names
                if saga_source(saga, i, cmd, f) is not None or f.type.name == "optional":
                    continue
                found.append((cmd, f))
    return found
