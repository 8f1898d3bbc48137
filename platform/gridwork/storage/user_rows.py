"""Read a users file into one checked plan per username: account values and role grants."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import Deployment
from ..config.models import Department, Role
from ..config.problems import did_you_mean, unknown
from ..plugins import field_types
from .cells import Lookups, node_id
from .system import CODE

USER_COLUMNS: dict[str, tuple[str, ...]] = {
    "username": ("用户名", "账号", "login"),
    "name": ("姓名", "display_name", "display name"),
    "password": ("密码",),
    "role": ("角色",),
    "node": ("节点",),
    "department": ("部门",),
    "scope": ("范围",),
    "active": ("启用", "enabled"),
    "phone": ("电话", "手机"),
    "email": ("邮箱", "e-mail"),
}
"""Columns of a users file, each with the other headers it may go by."""
ACCOUNT = ("name", "password", "active", "phone", "email")
"""Columns that describe the account; rows of one user must not disagree on them."""
_LIMITS = {"username": CODE, "name": 200}
SCOPES = ("node", "subtree")


@dataclass(frozen=True)
class GrantSpec:
    """A role grant as codes, so a file's grants compare with the database's."""

    role: str
    scope: str
    node: str | None
    department: str | None


@dataclass
class UserPlan:
    """What a file says about one username, gathered from all its rows."""

    username: str
    row: int
    account: dict[str, Any] = field(default_factory=dict)
    """Only the account values the file gives (a blank cell keeps what is stored)."""
    grants: list[GrantSpec] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    """The row each account value came from, to point at both rows of a conflict."""


def map_columns(name: str, header: list[str]) -> tuple[dict[int, str], list[str]]:
    """Map header cells to user columns by key or alias; list the problems."""
    known = {key: key for key in USER_COLUMNS}
    known |= {alias.lower(): key for key, aliases in USER_COLUMNS.items() for alias in aliases}
    columns: dict[int, str] = {}
    problems = []
    for index, cell in enumerate(header):
        key = known.get(cell.strip().lower())
        if key is None:
            hint = (did_you_mean(cell.strip().lower(), USER_COLUMNS)
                    or "; expected " + ", ".join(USER_COLUMNS))
            problems.append(f"{name}:row 1: unknown column '{cell}'{hint}")
        elif key in columns.values():
            problems.append(f"{name}:row 1: column '{cell}' repeats column '{key}'")
        else:
            columns[index] = key
    if "username" not in columns.values():
        problems.append(f"{name}:row 1: missing column 'username', which is required")
    return columns, problems


class RowReader:
    """Checks the rows of one users file against the config and the tree."""

    def __init__(self, name: str, deployment: Deployment, lookups: Lookups) -> None:
        self.name, self.deployment, self.lookups = name, deployment, lookups
        self._problems: list[tuple[int, str]] = []
        self.roles = {text: key for key, role in deployment.roles.items()
                      for text in (role.label.zh, role.label.en, key) if text}
        self.departments = {text: dep for dep in deployment.departments
                            for text in (dep.name.zh, dep.name.en, dep.code) if text}
        self.nodes_at: dict[str, list[str]] = {}
        for code, (_, level) in lookups.nodes.items():
            self.nodes_at.setdefault(level, []).append(code)
        self._types = field_types()

    def read(self, rows: list[tuple[int, list[Any]]], columns: dict[int, str]
             ) -> dict[str, UserPlan]:
        """Plans by username; problems gather in ``self.problems``."""
        plans: dict[str, UserPlan] = {}
        for number, cells in rows:
            given = {key: text for index, key in columns.items()
                     if (text := _text(cells[index])) is not None}
            username = self._username(number, given.get("username"))
            if username is None:
                continue
            plan = plans.setdefault(username, UserPlan(username, number))
            self._account(number, plan, given)
            grant = self._grant(number, given)
            if grant is not None and grant not in plan.grants:
                plan.grants.append(grant)
        for plan in plans.values():
            if plan.username not in self.lookups.users and "name" not in plan.account:
                self._problem(plan.row, "name", "a new user needs a name")
        return plans

    @property
    def problems(self) -> list[str]:
        """Every problem found, in row order."""
        return [text for _, text in sorted(self._problems, key=lambda p: p[0])]

    def _problem(self, number: int, column: str, message: str) -> None:
        self._problems.append((number, f"{self.name}:row {number}: {column}: {message}"))

    def _username(self, number: int, text: str | None) -> str | None:
        if text is None:
            self._problem(number, "username", "a value is required")
        elif any(c.isspace() for c in text):
            self._problem(number, "username", f"'{text}' holds a space; a username is one word")
        elif len(text) > _LIMITS["username"]:
            self._problem(number, "username", f"longer than {_LIMITS['username']} characters")
        else:
            return text
        return None

    def _account(self, number: int, plan: UserPlan, given: dict[str, str]) -> None:
        for key in ACCOUNT:
            if key not in given:
                continue
            try:
                value = self._value(key, given[key])
            except ValueError as err:
                self._problem(number, key, str(err))
                continue
            if key not in plan.account:
                plan.account[key], plan.rows[key] = value, number
            elif plan.account[key] != value:
                first = plan.rows[key]
                shown = "" if key == "password" else (
                    f" ('{_show(value)}' here, '{_show(plan.account[key])}' there)")
                self._problem(number, key, f"differs from row {first} for user "
                              f"'{plan.username}'{shown}")

    def _value(self, key: str, text: str) -> Any:
        if key == "name" and len(text) > _LIMITS["name"]:
            raise ValueError(f"longer than {_LIMITS['name']} characters")
        if key in ("active", "phone", "email"):
            return self._types["boolean" if key == "active" else key].validate(text, None)
        return text

    def _grant(self, number: int, given: dict[str, str]) -> GrantSpec | None:
        text = given.get("role")
        if text is None:
            for column in ("node", "department", "scope"):
                if column in given:
                    self._problem(number, "role", f"a role is needed for the {column} given")
            return None
        found = self.roles.get(text)
        if found is None:
            self._problem(number, "role", unknown("role", text, self.deployment.roles))
            return None
        key, role = found, self.deployment.roles[found]
        scope = given.get("scope", role.scope)
        if scope not in SCOPES:
            self._problem(number, "scope", unknown("scope", scope, SCOPES))
        if role.at:
            return self._territorial(number, key, role, given, scope)
        return self._departmental(number, key, role, given, scope)

    def _territorial(self, number: int, key: str, role: Role, given: dict[str, str],
                     scope: str) -> GrantSpec | None:
        levels = " or ".join(role.at)
        if "department" in given:
            self._problem(number, "department", f"role '{key}' sits at a {levels} node, not "
                          "in a department; leave department empty")
        code = given.get("node")
        if code is None:
            self._problem(number, "node", f"role '{key}' needs the code of a {levels} node")
            return None
        if not self._node(number, code, role.at):
            return None
        return GrantSpec(key, scope, code, None)

    def _departmental(self, number: int, key: str, role: Role, given: dict[str, str],
                      scope: str) -> GrantSpec | None:
        fixed = role.department if role.department != "*" else None
        text: str | None = given.get("department", fixed)
        if text is None:
            self._problem(number, "department", f"role '{key}' needs a department: "
                          + ", ".join(d.code for d in self.deployment.departments))
            return None
        department = self.departments.get(text)
        if department is None:
            self._problem(number, "department", unknown(
                "department", text, [d.code for d in self.deployment.departments]))
            return None
        if fixed is not None and department.code != fixed:
            self._problem(number, "department", f"role '{key}' belongs to department "
                          f"'{fixed}', not '{department.code}'")
            return None
        ok, node = self._department_node(number, department, given.get("node"))
        return GrantSpec(key, scope, node, department.code) if ok else None

    def _department_node(self, number: int, department: Department,
                         code: str | None) -> tuple[bool, str | None]:
        """Whether the row's node fits the department, and the node the grant acts at."""
        if code is None:
            if department.node is not None:
                return True, department.node
            at_level = self.nodes_at.get(department.level, [])
            if len(at_level) == 1:
                return True, at_level[0]
            self._problem(number, "node", f"department '{department.code}' sits at level "
                          f"{department.level}, which has {len(at_level)} nodes; name one")
            return False, None
        if department.node is not None and code != department.node:
            self._problem(number, "node", f"department '{department.code}' serves node "
                          f"'{department.node}'; write that or leave node empty")
            return False, None
        return self._node(number, code, department.level), code

    def _node(self, number: int, code: str, level: str | tuple[str, ...] | None) -> bool:
        try:
            node_id(self.lookups, code, level)
        except ValueError as err:
            hint = "" if code in self.lookups.nodes else did_you_mean(code, self.lookups.nodes)
            self._problem(number, "node", f"{err}{hint}")
            return False
        return True


def _text(raw: Any) -> str | None:
    if raw is None or isinstance(raw, bool):
        return None if raw is None else ("yes" if raw else "no")
    text = str(raw).strip()
    return text or None


def _show(value: Any) -> str:
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)
