"""The catalogue of diagnostic codes: stable numbers, never reused.

E001-E019 reading a file (fatal ones make the input unusable: exit 2),
E020-E029 the file's shape (JSON Schema), E030-E099 the model's meaning,
W100-W199 warnings (failures only with --strict; the workshop profile
tolerates some of them as to-dos). ``docs/diagnostics.md`` lists them all.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    TODO = "to-do"  # tolerated by the workshop profile: listed, never a failure


@dataclass(frozen=True)
class CodeInfo:
    severity: str  # "error" | "warning"
    title: str
    message: str
    hint: str = ""
    fatal: bool = False

    def severity_enum(self) -> Severity:
        return Severity(self.severity)


def _e(title: str, message: str, hint: str = "", fatal: bool = False) -> CodeInfo:
    return CodeInfo("error", title, message, hint, fatal)


def _w(title: str, message: str, hint: str = "") -> CodeInfo:
    return CodeInfo("warning", title, message, hint)


CODES: dict[str, CodeInfo] = {
    # -- reading files --------------------------------------------------------
    "E001": _e("file not found", "no such file or folder: {path}", "check the path", fatal=True),
    "E002": _e(
        "file cannot be read", "cannot read {path}: {reason}", "check that the path names a readable file", fatal=True
    ),
    "E003": _e(
        "not UTF-8",
        "the file is not UTF-8 text: byte 0x{byte:02x} cannot be decoded",
        "save the file as UTF-8",
        fatal=True,
    ),
    "E004": _e(
        "file too large",
        "the file is {size} bytes; journeys are limited to {limit:,} bytes",
        "split the model into several journey files",
        fatal=True,
    ),
    "E005": _e(
        "line too long",
        "line {line} is {length:,} characters long; the limit is {limit:,}",
        "break the text over several lines (YAML folded style: >)",
        fatal=True,
    ),
    "E006": _e("YAML syntax error", "YAML syntax error: {problem}", "{hint}", fatal=True),
    "E007": _e(
        "nesting too deep",
        "the YAML nests more than {limit} levels deep",
        "a journey needs only a few levels; look for unbalanced [ or {{",
        fatal=True,
    ),
    "E008": _e(
        "too many values",
        "the YAML holds more than {limit:,} values (an alias *name counts its anchor's values again)",
        "use fewer or smaller YAML aliases, or split the model into several journey files",
        fatal=True,
    ),
    "E009": _e(
        "tag not allowed", "the YAML tag {tag} is not allowed", "journeys are plain data: remove the tag", fatal=True
    ),
    "E010": _e(
        "several documents",
        "the file holds more than one YAML document",
        "put one journey in each file; remove the '---' line",
        fatal=True,
    ),
    "E011": _e("empty file", "the file is empty", 'start one with: esp new "Journey Name"', fatal=True),
    "E012": _e(
        "top level not a mapping",
        "the top level of a journey must be a mapping, not {found}",
        "start the file with 'journey: <name>'",
        fatal=True,
    ),
    "E013": _e(
        "duplicate key",
        "duplicate key '{key}' (first at line {first_line})",
        "a mapping holds each key once: merge the two entries or rename one",
    ),
    "E014": _e(
        "no journeys",
        "no journey files (*.yaml, *.yml) in {path}",
        "journey files end in .yaml or .yml; hidden files and folders are skipped",
        fatal=True,
    ),
    # -- the file's shape (JSON Schema) ----------------------------------------
    "E020": _e("missing key", "{where} is missing the required key '{key}'", "{hint}"),
    "E021": _e("unknown key", "unknown key '{key}' in {where}", "{hint}"),
    "E022": _e("wrong type", "{where} must be {expected}, not {found}", "{hint}"),
    "E023": _e("invalid value", "{where} must be one of {allowed}, not {found}", "write one of the allowed values"),
    "E024": _e(
        "invalid name",
        "{where}: '{value}' is not a valid name",
        "names start with a letter A-Z or a-z and hold only such letters, digits, spaces, '-' and '_'",
    ),
    "E025": _e("invalid format", "{where}: '{value}' is not {expected}", "{hint}"),
    "E026": _e("out of range", "{where}: {problem}", "{hint}"),
    "E027": _e("ambiguous entry", "{where} {problem}", "{hint}"),
    # -- names and types ---------------------------------------------------------
    "E030": _e(
        "bad field type",
        "field '{field}' has an unknown type '{type}'",
        "use str, int, float, bool, decimal, date, datetime, uuid, list[T] or optional[T]",
    ),
    "E190": _e(
        "unknown value object",
        "field '{field}' has the type '{type}', which no entry of 'types:' declares",
        "{hint}; declare it under 'types:', e.g. 'Money: {{fields: {{amount: decimal, currency: str}}}}'",
    ),
    "E191": _e(
        "value object holds itself",
        "value object '{name}' holds itself: {cycle}",
        "a value is finite: break the cycle (hold an id, a uuid, of the other instead)",
    ),
    "E192": _e(
        "value object name taken",
        "value object '{name}' is named like {what}: the generated code cannot carry it",
        "rename the type (e.g. '{name}Value')",
    ),
    "E193": _e(
        "empty value object",
        "value object '{name}' has no fields",
        "give it at least one field, or use a scalar type instead",
    ),
    "E194": _e(
        "value object fields collide",
        "value object '{name}': fields '{field}' and '{other}' become the same Python name '{ident}'",
        "rename one of them",
    ),
    "E195": _e(
        "value object in a query",
        "query '{query}': field '{field}' is a {type}, but a query's fields are the parameters of an HTTP GET",
        "select by the value object's scalar fields instead (e.g. 'currency: str')",
    ),
    "E196": _e(
        "scenario value of a value object",
        "field '{field}' of '{name}' must be {type}: {why}",
        "{hint}",
    ),
    "E031": _e(
        "duplicate name", "{kind} '{name}' is defined twice (first at {first})", "give each {kind} its own name"
    ),
    "E032": _e(
        "name collision", "{kind} '{name}' and '{other}' become the same Python name '{ident}'", "rename one of them"
    ),
    "E033": _e(
        "reserved name", "{kind} '{name}' becomes '{ident}', which is a Python {what}", "choose a more specific name"
    ),
    # E034 (a field eventsourcing reserves) is retired: such a field is renamed now (W110).
    "E035": _e(
        "id field of another type",
        "command '{command}' has a field '{field}' of type {type}, but '{field}' is the id (a uuid) of '{aggregate}'",
        "make it 'uuid', or rename the field: the command finds its aggregate by '{field}'",
    ),
    "E036": _e(
        "listener on an event nothing records",
        "a listener on '{event}' never runs: no command emits '{event}' and no saga records it",
        "add '{event}' to the 'emits' of the command that makes it happen, or remove the listener",
    ),
    "E037": _e(
        "compensation of another aggregate",
        "saga step '{step}': compensation '{command}' {problem}",
        "a compensation is a command of '{aggregate}' (the aggregate step '{step}' made) that undoes it",
    ),
    "E038": _e(
        "compensation not allowed after the step",
        "saga step '{step}': '{event}' {enters}, but compensation '{command}' is allowed only in {allowed}",
        "add the state '{event}' enters to the 'allowed_in' of '{command}'",
    ),
    "E039": _e(
        "compensation not idempotent",
        "saga step '{step}': compensation '{command}' could run again and change something: {reason}",
        "a compensation may be delivered twice: allow it only in the states the step leaves"
        " ('allowed_in') and let each event it emits enter a state outside them",
    ),
    # -- references --------------------------------------------------------------
    "E040": _e("unknown microservice", "unknown microservice '{name}'", "{hint}"),
    "E041": _e("unknown aggregate", "unknown aggregate '{name}'", "{hint}"),
    "E042": _e("unknown event", "unknown event '{name}'", "{hint}"),
    "E034": _e(
        "misspelt definition",
        "{kind} '{defined}' is defined here, but {n} references name it '{name}' (the first at {first})",
        "rename it '{name}', or correct the references if '{defined}' is right",
    ),
    "E043": _e("unknown command", "unknown command '{name}'", "{hint}"),
    "E044": _e("unknown projection", "unknown projection '{name}'", "{hint}"),
    "E045": _e("unknown state", "aggregate '{aggregate}' has no state '{name}'", "{hint}"),
    # -- timers (issue 13) ---------------------------------------------------------
    "E210": _e(
        "timer duration",
        "timer '{timer}': 'after: {after}' is not a duration",
        "write a whole number and a unit, more than zero and at most 100 years: 30s, 5m, 2h or 1d",
    ),
    "E211": _e("timer in an unknown state", "timer '{timer}': aggregate '{aggregate}' has no state '{name}'", "{hint}"),
    "E212": _e("unknown timer command", "unknown command '{name}'", "{hint}"),
    "E213": _e(
        "timer command of another aggregate",
        "timer '{timer}' of '{aggregate}' issues '{command}', {why}",
        "a timer issues a command to its own aggregate, one that does not create it: use a listener on the command's"
        " event for anything else",
    ),
    "E214": _e(
        "timer command not allowed in its state",
        "timer '{timer}' issues '{command}' in state '{state}', where it is not allowed (allowed in: {allowed})",
        "add '{state}' to the command's 'allowed_in', or choose a command allowed there",
    ),
    "E215": _e(
        "timer command needs fields",
        "timer '{timer}' issues '{command}', which needs {fields}: a timer only knows the aggregate's id",
        "make the fields optional ('optional[T]': the timer leaves them empty), or issue a command without them",
    ),
    "E216": _e("unknown timer event", "unknown event '{name}'", "{hint}"),
    "E218": _e(
        "timers with the same Python name",
        "timer '{timer}' and timer '{other}' of '{aggregate}' both become '{ident}' in the generated code",
        "rename one of them",
    ),
    "E217": _e(
        "timer stopped by another aggregate's event",
        "timer '{timer}' of '{aggregate}': 'unless' event '{event}' is recorded by {other}",
        "name an event of '{aggregate}' (a listener can turn the other event into a command on it)",
    ),
    "E046": _e(
        "aggregate in another microservice",
        "aggregate '{aggregate}' belongs to microservice '{owner}', not '{microservice}'",
        "move the process to '{owner}' or the aggregate to '{microservice}'",
    ),
    "E047": _e(
        "no aggregate",
        "process '{process}' has commands or events but no aggregate",
        "name the aggregate they build in lane 5: 'aggregate: <Name>'",
    ),
    # -- commands and events -----------------------------------------------------
    "E050": _e(
        "command emits nothing",
        "command '{name}' emits no event",
        "list the events it records: 'emits: [SomethingHappened]'",
    ),
    "E051": _e(
        "event field named like its aggregate's id",
        "event '{event}' has a field '{field}', but '{field}' is the id of its aggregate '{aggregate}'",
        "remove the field: the event carries its aggregate's id as '{field}' already (another aggregate's id "
        "needs another name)",
    ),
    "E052": _e(
        "event of another aggregate",
        "command '{command}' of aggregate '{aggregate}' emits '{event}', an event of {other}",
        "a command records events of its own aggregate; use a listener to reach {other}",
    ),
    "E053": _e(
        "domain event crosses microservices",
        "domain event '{event}' of '{owner}' is used by {user} in '{microservice}'",
        "mark it 'kind: integration' to publish it to other microservices{more}",
    ),
    "E055": _e(
        "command never allowed",
        "command '{name}' is allowed only in states no event enters: {states}",
        "add an event that enters one of them, or fix 'allowed_in'",
    ),
    "E056": _e(
        "creating command with states",
        "command '{name}' creates its aggregate but has 'allowed_in'",
        "a new aggregate has no state yet: remove 'allowed_in' or 'creates'",
    ),
    "E057": _e(
        "aggregate never created",
        "nothing creates aggregate '{name}'",
        "mark the command that starts it 'creates: true'",
    ),
    "E058": _e(
        "listener cycle", "listeners form a cycle: {cycle}", "an event must not lead back to itself; break the cycle"
    ),
    "E059": _e(
        "listener field missing",
        "listener on '{event}' cannot fill field '{field}' of command '{command}'",
        "add the field to the event, or map it: 'map: {{{field}: <event field>}}'",
    ),
    "E060": _e(
        "listener target unknown",
        "listener on '{event}' cannot tell which '{aggregate}' command '{command}' goes to",
        "give the event a field '{identity}', or name one with 'target: <event field>'",
    ),
    "E061": _e("listener map to unknown field", "event '{event}' has no field '{field}'", "{hint}"),
    "E062": _e(
        "creation event reused",
        "event '{event}' creates '{aggregate}' (an event of '{command}'), yet '{other}' records it again",
        "give the creation its own event",
    ),
    "E063": _e(
        "listener command of another microservice",
        "command '{command}' belongs to '{owner}', not to '{microservice}' where the listener runs",
        "a listener issues commands of its own microservice: 'in: {owner}'",
    ),
    "E064": _e("listener map to unknown command field", "command '{command}' has no field '{field}'", "{hint}"),
    "E065": _e(
        "listener field type",
        "listener on '{event}' fills field '{field}' ({expected}) of command '{command}' from '{source}' ({found})",
        "make the two types match, or map another event field: 'map: {{{field}: <event field>}}'",
    ),
    "E066": _e(
        "pivot step with a compensation",
        "saga step '{step}' is the pivot, yet has compensation '{command}'",
        "once the pivot succeeds the saga only goes forward, so nothing compensates it: remove 'compensate'",
    ),
    "E067": _e(
        "listener target cannot identify",
        "listener on '{event}' addresses '{aggregate}' by '{field}', {problem}",
        "give '{event}' a uuid field holding the '{aggregate}' id, and name it: 'target: <event field>'",
    ),
    "E068": _e(
        "listener command not allowed on its own aggregate",
        "the listener on '{event}' runs '{command}' on the '{aggregate}' that recorded it, but '{event}' {enters}"
        " and '{command}' is allowed only in {allowed}",
        "let '{event}' enter one of those states, or add the state it enters to the 'allowed_in' of '{command}'",
    ),
    "E069": _e(
        "too many problems",
        "and {count:,} more problems ({errors:,} of them errors) not shown: esp reports the first {limit:,}",
        "fix the problems shown first (often one mistake repeated), then validate again",
    ),
    # -- scenarios -----------------------------------------------------------------
    "E070": _e(
        "scenario step of another aggregate",
        "{what} '{name}' does not belong to aggregate '{aggregate}'",
        "a scenario tests one aggregate: use only {what}s of '{aggregate}'",
    ),
    "E071": _e("scenario field unknown", "{what} '{name}' has no field '{field}'", "{hint}"),
    "E072": _e("scenario field missing", "{what} '{name}' needs field '{field}'", "add '{field}: <value>'"),
    "E073": _e(
        "scenario value type",
        "field '{field}' of '{name}' must be {expected}, not {found!r}",
        "write a value of type {expected} (quote text that looks like a number)",
    ),
    "E074": _e(
        "scenario outcome impossible", "command '{command}' cannot emit '{event}'", "its 'emits' lists: {emits}"
    ),
    "E075": _e(
        "scenario value NaN",
        "field '{field}' of '{name}' is NaN, which equals no value, not even itself",
        "write a number: a test cannot expect or compare NaN",
    ),
    # -- sagas ---------------------------------------------------------------------
    "E080": _e(
        "step without compensation",
        "saga step '{step}' can fail later steps but has no compensation",
        "add 'compensate: <Command>', 'compensate: none' if it has nothing to undo (a check),"
        " or mark the step 'pivot: true' or 'retriable: true'",
    ),
    "E081": _e(
        "step after pivot not retriable",
        "saga step '{step}' comes after the pivot but is not retriable",
        "steps after the pivot must not fail: mark it 'retriable: true'",
    ),
    "E082": _e("several pivots", "saga '{saga}' has more than one pivot step", "keep one go/no-go step"),
    "E083": _e(
        "forward recovery without retries",
        "saga '{saga}' recovers forward but has no 'retries'",
        "add 'retries: {{max: 5, backoff: exponential}}'",
    ),
    "E084": _e(
        "failed step compensation unspecified",
        "saga '{saga}' recovers backward but does not say whether the failed step is compensated",
        "add 'compensate_failed_step: true' or 'false'",
    ),
    "E085": _e(
        "saga event of another microservice",
        "saga '{saga}' records '{event}', an event of '{owner}', not of '{microservice}'",
        "the saga's own events belong to the microservice that runs it",
    ),
    "E086": _e(
        "saga step outcome",
        "saga step '{step}': command '{command}' never emits '{event}'",
        "its 'emits' lists: {emits}",
    ),
    "E087": _e(
        "retriable step that can fail",
        "saga step '{step}' is retriable yet has a failure event '{event}'",
        "a retriable step is retried on '{event}'; set 'retries' on the saga",
    ),
    # -- event versions -------------------------------------------------------------
    "E090": _e(
        "history beyond the version",
        "event '{event}' has a history entry for version {version} but is at version {current}",
        "raise 'version' to {version}, or correct the entry's version",
    ),
    "E091": _e(
        "history field unknown",
        "event '{event}' version {version}: '{action}' names field '{field}', which that version does not have",
        "{hint}",
    ),
    "E092": _e(
        "history removes a field still there",
        "event '{event}' version {version} {action} field '{field}', yet still has a field '{field}'",
        "remove '{field}' from 'fields', or correct the history entry",
    ),
    "E093": _e(
        "not a widening",
        "event '{event}' version {version}: field '{field}' from {old} to {new} is not a widening",
        "widenings: int to float or decimal, float to decimal, int or uuid to str, T to optional[T];"
        " for another change, remove the field and add a new one with a default",
    ),
    "E094": _e(
        "history default does not fit",
        "the default {value!r} of field '{field}' added to event '{event}' is not of its type {type}",
        "write a value of type {type}: events stored before the field was added get it",
    ),
    "E095": _e(
        "fields changed without a version",
        "the fields of event '{event}' changed since {since} but its version is still {version}",
        "set 'version: {next}' and say under 'history' how it changed, so stored events and consumers can follow",
    ),
    "E096": _e(
        "change not in the history",
        "event '{event}': {change} since {since}, and its history does not say so",
        "{hint}",
    ),
    "E097": _e(
        "version went down",
        "event '{event}' is at version {version}, lower than version {old} at {since}",
        "versions only go up: events stored at version {old} exist",
    ),
    "E098": _e(
        "history default NaN",
        "the default of field '{field}' added to event '{event}' is NaN, which equals no value, not even itself",
        "write a number: events stored before the field was added get it, and the generated upcaster writes it",
    ),
    "E140": _e(
        "saga step on an existing aggregate without its id",
        "saga step '{step}': command '{command}' acts on an existing '{aggregate}', and the saga data has no"
        " '{field}' to find it by",
        "{hint}",
    ),
    "E141": _e(
        "saga outcome on another aggregate",
        "saga '{saga}' records '{event}' on '{aggregate}', which started it, but it is an event of {other}",
        "make '{event}' an event of '{aggregate}'",
    ),
    "E170": _e(
        "scenario outcome contradicts the lifecycle",
        "scenario '{scenario}' expects {expected}, but command '{command}' {actual}",
        "{hint}",
    ),
    "E171": _e(
        "name too long",
        "{kind} '{name}' becomes '{ident}', longer than the {limit} characters the generated code can carry",
        "choose a shorter name (the generated lines must fit 120 columns, its paths the file system; a class"
        " name's snake case, its methods' names, may have 55 characters)",
    ),
    "E172": _e(
        "creation event given twice",
        "'{event}' creates a new '{aggregate}': only the first 'given' event of a scenario can",
        "start 'given' with it, or remove it: the events after the first happen to the aggregate it created",
    ),
    # -- saga data (issue 13) ------------------------------------------------------
    "E150": _e(
        "not in the saga data",
        "saga step '{step}': {what} '{field}' is not in the saga's data at this step",
        "{hint}",
    ),
    "E151": _e(
        "saga target not an id",
        "saga step '{step}': target '{field}' is a {type} in the saga data, not a uuid",
        "'target' names the saga data field that holds the id of the '{aggregate}' the step acts on",
    ),
    "E154": _e(
        "saga target made by another step",
        "saga step '{step}': target '{field}' holds the id of the '{other}' that step '{made_by}' created, but"
        " '{command}' is a command of '{aggregate}'",
        "name the saga data field that holds the id of the '{aggregate}' the step acts on: 'target: <field>'{ids}",
    ),
    "E152": _e(
        "saga map of an unknown field",
        "saga step '{step}': '{field}' is not a field of {commands}",
        "{hint}",
    ),
    "E153": _e(
        "saga data of another type",
        "saga step '{step}': field '{field}' of '{command}' is a {expected}, but saga data '{source}' is a {found}",
        "map the field to saga data of its type, or change one of the types",
    ),
    "E156": _e(
        "a new aggregate has no previous state",
        "event '{event}' creates '{aggregate}' (command '{command}' creates it), so 'enters: previous' has no state"
        " to return to",
        "name the state it enters",
    ),
    "E157": _e(
        "compensation retries with nothing to compensate",
        "saga '{saga}': 'compensation_retries' retries failed compensations, but {why}",
        "remove 'compensation_retries', or give a step before the pivot a 'compensate' command",
    ),
    "E158": _e(
        "compensation retries of a step with no compensation",
        "saga step '{step}': 'compensation_retries' retries its compensation, but it has none",
        "remove 'compensation_retries' from the step, or give it a 'compensate' command",
    ),
    "E159": _e(
        "circuit breaker with no timeout",
        "saga '{saga}': its circuit breaker counts timeouts, but no step of it has a 'timeout'",
        "give the saga a 'timeout' (or its steps), or remove 'circuit_breaker'",
    ),
    "E230": _e(
        "compensation timeout with nothing to compensate",
        "saga '{saga}': 'compensation_timeout' limits how long a compensation may go unanswered, but {why}",
        "remove 'compensation_timeout', or give a step before the pivot a 'compensate' command",
    ),
    "E231": _e(
        "compensation timeout of a step with no compensation",
        "saga step '{step}': 'compensation_timeout' limits its compensation, but it has none",
        "remove 'compensation_timeout' from the step, or give it a 'compensate' command",
    ),
    "E239": _e(
        "saga on an event nothing records",
        "saga '{saga}' never starts: no command emits '{event}' and no saga records it",
        "add '{event}' to the 'emits' of the command that makes it happen, or start the saga on an event that is",
    ),
    "E155": _e(
        "target of a creating step",
        "saga step '{step}': command '{command}' creates its aggregate, so 'target' has nothing to find",
        "remove 'target': the new aggregate's id joins the saga data as '{identity}'",
    ),
    "E173": _e(
        "creation expects no event",
        "scenario '{scenario}' expects no event, but command '{command}' creates its aggregate with one of: {emits}",
        "write the event it records under 'then'",
    ),
    "E174": _e(
        "event expected twice",
        "scenario '{scenario}' expects '{event}' twice, but command '{command}' records each of its events once",
        "list '{event}' once under 'then'",
    ),
    "E175": _e(
        "projection hears an event twice",
        "projection '{projection}' lists '{event}' twice in 'from'",
        "list '{event}' once",
    ),
    "E176": _e(
        "command emits an event twice",
        "command '{command}' lists '{event}' twice in 'emits'",
        "list '{event}' once",
    ),
    "E177": _e(
        "scenario expects another value than the command copies",
        "scenario '{scenario}' expects {field}={expects!r} in '{event}', but '{event}' copies '{field}' from"
        " command '{command}', which the scenario gives {gives!r}",
        "expect the value the command gives (or leave '{field}' out of the 'then'), or give the command that value",
    ),
    "E178": _e(
        "list of lists in a query",
        "query '{query}': field '{field}' is a {type}, but a query's fields are the parameters of an HTTP GET",
        "a GET parameter holds a value or, repeated, a list of values: make it 'list[{scalar}]' or a scalar",
    ),
    "E250": _e(
        "value objects collide",
        "value objects '{name}' and '{other}' become the same class '{cls}' in the generated value_objects module",
        "rename one of them: a type another microservice also declares is generated as its microservice's"
        " class name followed by its own",
    ),
    # -- keys: aggregates found by a correlation key (E180-E189) --------------------
    "E180": _e(
        "key not recorded at creation",
        "key '{key}' of '{aggregate}' is not recorded when it is created: not by {events}",
        "add the field '{key}' to the events that create '{aggregate}': the index finds an aggregate from its start",
    ),
    "E181": _e(
        "key type",
        "key '{key}' of '{aggregate}' is recorded as {found}",
        "a key holds one str, int, uuid or date, of the same type in every event that records it",
    ),
    "E182": _e(
        "listener key unknown",
        "listener on '{event}' finds '{aggregate}' by '{key}', which is not one of its keys",
        "{hint}",
    ),
    "E183": _e(
        "listener finds one by a key many hold",
        "listener on '{event}' finds one '{aggregate}' by '{key}', but many may hold a value of that key",
        "to reach every one, write 'for_each: {key}'; or make the key 'unique'",
    ),
    "E184": _e(
        "listener key not in the event",
        "listener on '{event}' finds '{aggregate}' by '{key}', but '{event}' carries no '{key}'",
        "add the field '{key}' to '{event}'",
    ),
    "E185": _e(
        "listener key type",
        "listener on '{event}' finds '{aggregate}' by '{key}': the event carries a {found},"
        " '{aggregate}' keeps a {kept}",
        "make the two types match: a value of another type never finds anything",
    ),
    "E186": _e(
        "listener cannot find by a key",
        "listener on '{event}' {problem}",
        "a listener finds the aggregates its command goes to by 'target' (an id), 'by' or 'for_each' (a key)",
    ),
    # -- keys released: the index follows the values an aggregate holds (E240-E244) -
    "E240": _e(
        "released key unknown",
        "event '{event}' releases '{key}', which is not a key of '{aggregate}'",
        "{hint}",
    ),
    "E241": _e(
        "released key not in the event",
        "event '{event}' releases '{key}' of '{aggregate}' but carries no '{key}'",
        "add the field '{key}' to '{event}': the value it carries is the one '{aggregate}' no longer holds",
    ),
    # -- bounded contexts: names qualified by their microservice (E200-E209) --------
    "E200": _e(
        "unknown microservice in a qualified name",
        "'{name}' is qualified by '{qualifier}', which is no microservice",
        "{hint}",
    ),
    "E201": _e(
        "ambiguous name",
        "{kind} '{name}' is defined in several microservices ({where}): this reference does not say which",
        "{hint}",
    ),
    # -- business logic: the hand-written rules.py (E220-E229) ---------------------
    "E220": _e(
        "rule overrides nothing",
        "rules.Rules.{method} overrides no rule the journey asks for: the generated code never calls it",
        "a command or event was renamed or removed: rename the method to a rule hooks.py lists, or remove it;"
        " a helper of yours starts with '_'",
    ),
    "E221": _e(
        "rules.py without Rules",
        "rules.py has no class '{cls}': the generated application and aggregates import it",
        "define 'class {cls}(Hooks)' again (from the microservice's hooks module), with your rules in it",
    ),
    "E222": _e(
        "rules.py does not parse",
        "rules.py is not valid Python: {reason}",
        "fix the syntax: the generated package imports this file",
    ),
    # -- found by the property test of random journeys (E251-E255) -------------------
    "E251": _e(
        "aggregate never comes to exist",
        "aggregate '{name}' is never created{others}: only listeners or sagas create {it}, on events of "
        "aggregates that never exist themselves: {ways}",
        "let an actor issue one of its creating commands (one no listener or saga issues), or create it on an "
        "event that something outside this knot records",
    ),
    # -- found by bench/fuzz.py (E260-E264) ----------------------------------------
    "E260": _e(
        "listener repeated",
        "this listener on '{event}' issues '{command}' as the one at line {line} does: {why}",
        "remove one of them",
    ),
    # -- warnings ------------------------------------------------------------------
    "W100": _w(
        "event never produced",
        "no command, listener or saga produces event '{name}'",
        "add it to a command's 'emits', or remove it",
    ),
    "W101": _w(
        "integration event unheard",
        "integration event '{name}' has no listener, projection or saga",
        "add a listener in another microservice, or make it a domain event",
    ),
    "W102": _w(
        "state never entered",
        "no event enters state '{state}' of aggregate '{aggregate}'",
        "add 'enters: {state}' to an event, or remove the state",
    ),
    "W103": _w(
        "event not in the past tense",
        "event '{name}' does not read as something that happened",
        "name events in the past tense, e.g. '{suggestion}'",
    ),
    "W104": _w(
        "command not imperative",
        "command '{name}' does not read as an instruction",
        "name commands as imperatives, e.g. '{suggestion}'",
    ),
    "W105": _w("unknown actor", "actor '{name}' is not in the journey's 'actors'", "add it to 'actors'"),
    "W106": _w("hotspot", "open question: {text}", "resolve it with the team and remove the hotspot"),
    "W107": _w(
        "hotspot about unknown name",
        "hotspot is about '{name}', which the model does not define",
        "correct the name in 'about', or remove 'about'",
    ),
    "W111": _w(
        "compensation in a forward-recovery saga",
        "saga '{saga}' recovers forward, so compensation '{command}' of step '{step}' never runs",
        "remove 'compensate', or make the saga 'recovery: backward'",
    ),
    "W124": _w(
        "timer never starts",
        "timer '{timer}': no event of '{aggregate}' enters state '{state}', so the timer never starts",
        "add 'enters: {state}' to the event that puts the aggregate in that state",
    ),
    "W125": _w(
        "timer stopped twice",
        "timer '{timer}': 'unless' event '{event}' enters state '{enters}', and leaving '{state}' stops the timer"
        " already",
        "remove '{event}' from 'unless'",
    ),
    "W112": _w(
        "too many warnings",
        "and {count:,} more warnings not shown: esp reports the first {limit:,} problems",
        "fix the warnings shown first (often one habit repeated), then validate again",
    ),
    "W110": _w(
        "renamed in the generated code",
        "{kind} '{name}' becomes '{ident}' in the generated code: the code or eventsourcing uses '{taken}' there",
        "rename it in the journey if '{ident}' reads badly",
    ),
    "W116": _w(
        "saga field filled by a rule",
        "saga step '{step}': field '{field}' of '{command}' is not in the saga data until step '{later}' succeeds:"
        " a rule of '{microservice}' fills it",
        "move the step after '{later}', map the field to data it has ('map: {{{field}: <data field>}}'),"
        " or write the rule in rules.py",
    ),
    "W120": _w(
        "value object unused",
        "value object '{name}' is the type of no field",
        "use it as a field's type, or remove it from 'types:'",
    ),
    "W133": _w(
        "projection built from no events",
        "projection '{projection}' is built from no events: its rows stay empty",
        "list the events it is built from in 'from', or remove the projection",
    ),
    "W122": _w(
        "own event shadows an integration event",
        "'{name}' here is {microservice}'s own event; '{other}' is an integration event of the same name",
        "write '{own}' to keep this one, or '{other}' to hear the other microservice's",
    ),
    "W132": _w(
        "rule rejection with no rule",
        "scenario '{scenario}' expects a business rule to reject '{command}', but {path} has no {method}",
        "its generated test fails until you write {method} there, raising DomainError with a message that holds"
        " '{words}'",
    ),
    "W126": _w(
        "rules of a microservice no longer in the model",
        "rules.py of '{microservice}': the journey has no such microservice, so nothing in {package} uses it",
        "move the rules to the microservice that now does this work, or delete the folder",
    ),
    "W108": _w(
        "field is a Python keyword",
        "field '{field}' is a Python keyword: code uses '{ident}'",
        "rename the field if '{ident}' reads badly in the generated code",
    ),
    "W109": _w(
        "compatibility of a domain event",
        "event '{name}' is a domain event: its 'compatibility' promises nothing to anyone",
        "only integration events have consumers: remove 'compatibility', or make it 'kind: integration'",
    ),
}
