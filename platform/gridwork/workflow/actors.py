"""Who acts: a user's grants, and what those grants allow on a record or at a node."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, select

from ..config import Deployment
from ..hierarchy import Grant, user_grants
from ..storage import Schema


class Actor(Protocol):
    """A signed-in user as the engine needs them: an id and the roles they hold where."""

    @property
    def id(self) -> int: ...

    @property
    def grants(self) -> Sequence[Grant]: ...


@dataclass(frozen=True)
class User:
    """A user loaded from the database."""

    id: int
    username: str
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class _Granted:
    """A subset of a user's grants, for scope_filter."""

    grants: tuple[Grant, ...]


def load_user(conn: Connection, schema: Schema, username: str) -> User:
    """The user called ``username`` with their grants; KeyError when there is none."""
    users = schema.system("users")
    user_id = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
    if user_id is None:
        raise KeyError(username)
    return User(user_id, username, user_grants(conn, schema.system("grants"), user_id))


def may(deployment: Deployment, role: str, verb: str, register: str) -> bool:
    """Whether ``role`` is granted ``verb`` on ``register`` (plainly or for that register)."""
    spec = deployment.roles.get(role)
    return spec is not None and (verb in spec.can or f"{verb}:{register}" in spec.can)


def granted(user: Actor, roles: Sequence[str]) -> _Granted:
    """The user's grants of any of ``roles``."""
    return _Granted(tuple(g for g in user.grants if g.role in roles))


def with_verb(deployment: Deployment, user: Actor, verb: str, register: str) -> _Granted:
    """The user's grants whose role may ``verb`` records of ``register``."""
    return _Granted(tuple(g for g in user.grants if may(deployment, g.role, verb, register)))


def holds_node(grant: Grant, node_id: int, node_path: str) -> bool:
    """Whether a grant covers a node: its own node, its subtree, or (departmental) anywhere."""
    if grant.node_path is None:
        return grant.department is not None
    if grant.scope == "node":
        return grant.node == node_id
    return node_path.startswith(grant.node_path)

