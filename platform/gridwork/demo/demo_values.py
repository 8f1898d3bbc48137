"""Realistic demo values for any field: its field type makes them from the sources here."""

from __future__ import annotations

import ast
import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from .. import plugins
from ..config import Deployment
from ..config.expressions import parse_expression
from ..config.models import FieldSpec, Register
from ..config.plugin_checks import deployment_manager
from ..hierarchy import locate
from ..storage.columns import choice_codes

_DEFAULT_BOX = (120.0, 30.0, 120.4, 30.4)
"""min lon, min lat, max lon, max lat of points when a deployment has no boundaries."""


@dataclass
class Known:
    """Ids of what demo data made so far: records by register, nodes by code, nodes'
    codes by level, users by role."""

    records: dict[str, list[int]] = field(default_factory=dict)
    node_ids: dict[str, int] = field(default_factory=dict)
    by_level: dict[str, list[str]] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)


class DemoValues:
    """Makes field values; deterministic for a given seed."""

    def __init__(self, deployment: Deployment, seed: int = 0,
                 now: dt.datetime | None = None) -> None:
        self.deployment = deployment
        self.random = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        self._parents = {n.code: n.parent for n in deployment.nodes}
        self._names = {n.code: n.name for n in deployment.nodes}
        self._seen: dict[str, set[Any]] = {}
        points = [p for g in deployment.boundaries.values() for p in _points(g)]
        self.box = _box(points) if points else _DEFAULT_BOX
        self._boxes: dict[str, tuple[float, float, float, float]] = {}
        self.types = plugins.field_types(deployment_manager(deployment))
        self.known = Known()
        """What the seeder has made so far, for fields that point at it."""
        self.reported: dt.datetime | None = None
        """When the record being made was reported, once the seeder knows."""

    def value(self, spec: FieldSpec, node: str) -> Any:
        """A valid value for ``spec`` on a record at ``node`` (unique where it must be)."""
        kind = self.types[spec.type]
        for _ in range(50):
            value = kind.demo_value(spec, node, self)
            if not spec.unique or value is None:
                return value
            seen = self._seen.setdefault(spec.name, set())
            if value not in seen:
                seen.add(value)
                return value
        raise ValueError(f"cannot make a unique demo value for '{spec.name}'")

    def settle(self, register: Register, row: dict[str, Any]) -> None:
        """Make ``row`` keep the register's equality rules (``birth_date ==
        f(id_card)``): the field on the left takes the value the right side gives."""
        for rule in register.rules:
            body = rule.rule.tree.body
            if (isinstance(body, ast.Compare) and isinstance(body.left, ast.Name)
                    and len(body.ops) == 1 and isinstance(body.ops[0], ast.Eq)
                    and register.field(body.left.id) is not None):
                right = ast.Expression(body.comparators[0])
                value = parse_expression(ast.unparse(right)).evaluate(row)
                if value is not None:
                    row[body.left.id] = value

    def point(self, node: str) -> tuple[float, float]:
        """A point inside ``node``'s boundary (or its nearest bounded ancestor's) when one
        holds it, else inside the map's box."""
        area = node
        while area is not None and area not in self.deployment.boundaries:
            area = self._parents.get(area)
        min_lon, min_lat, max_lon, max_lat = (
            self._boxes.setdefault(area, _box(_points(self.deployment.boundaries[area])))
            if area is not None else self.box)
        for _ in range(200):
            lat = self.random.uniform(min_lat, max_lat)
            lon = self.random.uniform(min_lon, max_lon)
            if area is None or locate(self.deployment, lat, lon) == area:
                return round(lat, 6), round(lon, 6)
        return round((min_lat + max_lat) / 2, 6), round((min_lon + max_lon) / 2, 6)

    def address(self, node: str) -> str:
        """A street address inside the district: the names above ``node``, then a number."""
        names: list[str] = []
        at = self._parents.get(node)
        while at is not None:
            names.insert(0, self._names[at])
            at = self._parents.get(at)
        return "".join(names) + f"{self.random.randint(1, 200)}号"

    def moment(self) -> dt.datetime:
        """A time shortly before the record being made was reported, else within the year
        before ``now``."""
        if self.reported is not None:
            return self.reported - dt.timedelta(minutes=self.random.randint(10, 48 * 60))
        return self.now - dt.timedelta(minutes=self.random.randint(0, 365 * 24 * 60))

    def choice_codes(self, spec: FieldSpec) -> list[str] | None:
        """The codes a choice field allows."""
        return choice_codes(spec, self.deployment.choices)

    def record(self, register: str) -> int | None:
        """One of the demo records of ``register`` made so far."""
        targets = self.known.records.get(register, [])
        return self.random.choice(targets) if targets else None

    def node_id(self, level: str | None, node: str) -> int | None:
        """A node at ``level`` (else the last level), ``node`` itself when none is known."""
        if not self.known.node_ids:
            return None
        level = level or self.deployment.hierarchy.levels[-1].key
        return self.known.node_ids[self.random.choice(self.known.by_level.get(level, [node]))]

    def user(self, role: str | None) -> int | None:
        """The demo user of ``role``, else any demo user or none."""
        if not self.known.users:
            return None
        return (self.known.users.get(role or "")
                or self.random.choice([*self.known.users.values(), None]))


def _box(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    return (min(p[0] for p in points), min(p[1] for p in points),
            max(p[0] for p in points), max(p[1] for p in points))


def _points(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                else geometry["coordinates"])
    return [(float(p[0]), float(p[1])) for polygon in polygons for p in polygon[0]]
