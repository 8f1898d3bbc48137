"""The component schemas of the OpenAPI document: the shapes `/api/v1` answers with (as
`api_shapes` builds them) and, per register, its records' values and the bodies that
create a record or take each action."""

from __future__ import annotations

from typing import Any

from ..config.models import Deployment, Register, Transition
from ..forms.json_schema import value_schema
from ..storage.history_kinds import Kind
from ..forms.steps import create_fields, edit_fields, transition_fields
from ..workflow.inputs import SETTABLE

Schema = dict[str, Any]

TEXT: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
MAYBE_TEXT: Schema = {"type": ["string", "null"]}
MAYBE_INTEGER: Schema = {"type": ["integer", "null"]}
INSTANT: Schema = {"type": "string", "format": "date-time"}
MAYBE_INSTANT: Schema = {"type": ["string", "null"], "format": "date-time"}


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Schema], required: list[str] | None = None, *,
        closed: bool = True, **extra: Any) -> Schema:
    """An object schema; ``closed`` ones allow no other properties."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema | extra


def schema_name(register: str, suffix: str) -> str:
    """The component name of one of a register's schemas: `event_Record`."""
    return f"{register}_{suffix}"


def common_schemas() -> dict[str, Schema]:
    """The schemas every deployment's document shares."""
    page = {"total": INTEGER, "page": INTEGER, "per_page": INTEGER}
    return {
        "Error": obj({"error": TEXT}, ["error"]),
        "FieldErrors": obj({"errors": {"type": "object", "additionalProperties": {
            "type": "array", "items": TEXT}}}, ["errors"],
            description="Messages by field name (or `node`, `values`, `version`…)."),
        "Me": obj({"username": TEXT, "display_name": TEXT, "roles": {"type": "array",
                                                                      "items": TEXT},
                   "nodes": {"type": "array", "items": obj(
                       {"code": TEXT, "name": TEXT, "level": TEXT}, ["code", "name", "level"])},
                   "departments": {"type": "array", "items": obj(
                       {"code": TEXT, "name": TEXT}, ["code", "name"])}},
                  ["username", "display_name", "roles", "nodes", "departments"]),
        "Queue": obj({"name": TEXT, "label": TEXT, "workflow": TEXT, "count": INTEGER},
                     ["name", "label", "workflow", "count"]),
        "Message": obj({}, closed=False, description="One message of the log: channel, "
                       "recipient, status, attempts, last error and cause."),
        "MessagePage": obj({"items": {"type": "array", "items": ref("Message")}, **page},
                           ["items", "total", "page", "per_page"]),
        "Duty": obj({}, closed=False, description="One duty: schedule, period, entry, "
                    "occurrence, node, assignee, due time, state and the record fulfilling it."),
        "DutyPage": obj({"items": {"type": "array", "items": ref("Duty")}, **page},
                        ["items", "total", "page", "per_page"]),
        "Upload": obj({"id": TEXT, "type": TEXT, "size": INTEGER}, ["id", "type", "size"]),
        "Field": obj({}, ["name", "type", "label", "required"], closed=False,
                     description="A field as a client needs it to build a form."),
        "RegisterInfo": obj({"name": TEXT, "label": TEXT, "workflow": MAYBE_TEXT,
                             "level": TEXT, "levels": {"type": "array", "items": TEXT},
                             "fields": {"type": "array", "items": ref("Field")},
                             "create": {"type": "array", "items": TEXT},
                             "edit": {"type": "array", "items": TEXT},
                             "categories": {"type": "array", "items": {"type": "object"}}},
                            ["name", "label", "workflow", "level", "fields", "create", "edit"]),
        "HistoryEntry": obj({"at": INSTANT, "actor": MAYBE_TEXT,
                             "kind": {"type": "string", "enum": [k.value for k in Kind]},
                             "action": TEXT, "from": MAYBE_TEXT, "to": MAYBE_TEXT,
                             "comment": MAYBE_TEXT, "round": MAYBE_INTEGER,
                             "config": MAYBE_TEXT},
                            ["at", "actor", "kind", "action", "from", "to", "comment",
                             "round"]),
        "Action": obj({"name": TEXT, "label": TEXT, "to": TEXT,
                       "require": {"type": "array", "items": TEXT},
                       "optional": {"type": "array", "items": TEXT}},
                      ["name", "label", "to", "require", "optional"]),
    }


def register_schemas(deployment: Deployment, name: str) -> dict[str, Schema]:
    """A register's schemas: its values, a record, a page of records, the new-record body,
    and one body per action of its workflow."""
    spec = deployment.registers[name]
    values = obj({f.name: value_schema(deployment, f, answer=True) for f in spec.fields})
    states = _states(deployment, spec)
    record = obj({
        "id": INTEGER, "register": {"const": name}, "node": TEXT, "values": ref(
            schema_name(name, "Values")), "state": {"enum": [*states, None]}
        if states else {"type": "null"}, "version": INTEGER,
        "round": MAYBE_INTEGER, "category": MAYBE_TEXT, "severity": MAYBE_TEXT,
        "assignee": MAYBE_INTEGER, "reporter": MAYBE_INTEGER, "priority": MAYBE_TEXT,
        "deadline": MAYBE_INSTANT, "created_at": MAYBE_INSTANT, "updated_at": MAYBE_INSTANT,
        "department": MAYBE_TEXT,
        "history": {"type": "array", "items": ref("HistoryEntry")},
        "actions": {"type": "array", "items": ref("Action")}},
        ["id", "register", "node", "values", "state", "version"])
    found = {
        schema_name(name, "Values"): values,
        schema_name(name, "Record"): record,
        schema_name(name, "Page"): obj({
            "items": {"type": "array", "items": ref(schema_name(name, "Record"))},
            "total": INTEGER, "page": INTEGER, "per_page": INTEGER},
            ["items", "total", "page", "per_page"]),
        schema_name(name, "New"): _new_body(deployment, name),
        schema_name(name, "Edit"): _edit_body(deployment, name),
    }
    for transition in actions(deployment, spec).values():
        found[schema_name(name, f"Action_{transition.name}")] = _action_body(
            deployment, spec, transition)
    return found


def actions(deployment: Deployment, spec: Register) -> dict[str, Transition]:
    """The register's actions by name (a name taken from several states counts once)."""
    workflow = deployment.workflows.get(spec.workflow) if spec.workflow else None
    found: dict[str, Transition] = {}
    for transition in workflow.transitions if workflow else ():
        if transition.by:
            found.setdefault(transition.name, transition)
    return found


def _states(deployment: Deployment, spec: Register) -> list[str]:
    workflow = deployment.workflows.get(spec.workflow) if spec.workflow else None
    return list(workflow.states) if workflow else []


def _new_body(deployment: Deployment, name: str) -> Schema:
    """`{"node": CODE, "values": {…}}` with the fields the new-record form takes."""
    spec = deployment.registers[name]
    fields = [spec.field(n) for n in create_fields(deployment, name)]
    given = [f for f in fields if f is not None and f.computed is None]
    properties = {f.name: value_schema(deployment, f) for f in given}
    required = [f.name for f in given if f.required and f.show_if is None]
    if spec.categorized and deployment.categories:
        properties["category"] = {"type": "string", "enum": [
            c.code for c, _ in deployment.all_categories()]}
        properties["severity"] = _codes(deployment, "severity")
        required.insert(0, "category")
    if spec.workflow and "priority" in deployment.choices:
        properties["priority"] = _codes(deployment, "priority")
    node: Schema = {"type": "string", "minLength": 1, "description":
                    f"the code of {deployment.record_place(name)} node within your area"}
    example = next((n.code for n in deployment.record_nodes(name)), None)
    if example is not None:
        node["examples"] = [example]
    body = {"node": node, "values": obj(properties, required)}
    if any(schedule.creates == name for schedule in deployment.schedules):
        body["duty"] = {"type": "integer", "minimum": 1,
                        "description": "the id of an open duty of yours this record fulfils"}
    return obj(body, ["node", "values"])


def _edit_body(deployment: Deployment, name: str) -> Schema:
    """`{"version": N, "values": {…}}` with the fields an edit takes (only those given
    change), and the node, category and severity it may move the record to."""
    spec = deployment.registers[name]
    fields = [spec.field(n) for n in edit_fields(deployment, name)]
    properties = {f.name: value_schema(deployment, f) for f in fields
                  if f is not None and f.computed is None}
    body: dict[str, Schema] = {
        "version": {"type": "integer", "description": "the version of the record you read"},
        "values": obj(properties, []),
        "node": {"type": "string", "minLength": 1,
                 "description": "the code of a node to move the record to, within your area"}}
    if spec.categorized and deployment.categories:
        body["category"] = {"type": "string", "enum": [
            c.code for c, _ in deployment.all_categories()]}
        body["severity"] = _codes(deployment, "severity")
    return obj(body, ["version", "values"])


def _action_body(deployment: Deployment, spec: Register, transition: Transition) -> Schema:
    """`{"version": N, "values": {…}, "comment": "…"}` with what the action asks for."""
    properties: dict[str, Schema] = {}
    for field in transition_fields(spec, transition):
        found = spec.field(field)
        if found is not None:
            properties[field] = value_schema(deployment, found)
    for name in (*transition.require, *transition.optional):
        if name in SETTABLE and name not in properties:
            properties[name] = (
                {"type": "string", "enum": [d.code for d in deployment.departments]}
                if name == "department" else _codes(deployment, name)
                if name == "priority" else {"type": "string", "description": "a username"})
    required = [n for n in transition.require if n in properties]
    body = {"version": {"type": "integer", "description": "the version of the record you read"},
            "values": obj(properties, required), "comment": TEXT}
    return obj(body, ["version", "values", *(["comment"] if "comment" in transition.require
                                              else [])])


def _codes(deployment: Deployment, dictionary: str) -> Schema:
    codes = deployment.choices.get(dictionary)
    return {"type": "string"} if codes is None else {"type": "string", "enum": list(codes)}
