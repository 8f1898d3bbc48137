"""Realistic demo values for any field, chosen by its type and options alone."""

from __future__ import annotations

import ast
import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from faker import Faker
from stdnum.cn import uscc

from ..config import Deployment
from ..config.expressions import parse_expression
from ..config.models import FieldSpec, Register
from ..forms.fieldtypes import id_card_number
from ..hierarchy import locate
from ..plugins import field_types
from .columns import choice_codes

_USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_DEFAULT_BOX = (120.0, 30.0, 120.4, 30.4)
"""min lon, min lat, max lon, max lat of points when a deployment has no boundaries."""


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

    def value(self, spec: FieldSpec, node: str) -> Any:
        """A valid value for ``spec`` on a record at ``node`` (unique where it must be)."""
        make: Callable[[FieldSpec, str], Any] = getattr(self, f"_{spec.type}", self._other)
        for _ in range(50):
            value = make(spec, node)
            if not spec.unique:
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

    def _text(self, spec: FieldSpec, node: str) -> str:
        limit = spec.max_length or 60
        name = spec.name.lower()
        if "address" in name or "addr" in name:
            text = self.address(node)
        elif name == "name" or name.endswith("_name") or name == "title":
            text = self.fake.company() if self.random.random() < 0.6 else self.fake.name()
        else:
            text = self.fake.sentence()
        return text[:limit]

    def _textarea(self, spec: FieldSpec, node: str) -> str:
        return self.fake.paragraph()[:spec.max_length or 500]

    def _integer(self, spec: FieldSpec, node: str) -> int:
        low = int(spec.min) if isinstance(spec.min, (int, float)) else 0
        high = int(spec.max) if isinstance(spec.max, (int, float)) else max(low, 0) + 100
        return self.random.randint(low, high)

    def _decimal(self, spec: FieldSpec, node: str) -> Decimal:
        number = self._integer(spec, node) + Decimal(self.random.randint(0, 99)) / 100
        return round(number, spec.decimals if spec.decimals is not None else 2)

    def _boolean(self, spec: FieldSpec, node: str) -> bool:
        return self.random.random() < 0.5

    def _date(self, spec: FieldSpec, node: str) -> dt.date:
        low = spec.min if isinstance(spec.min, dt.date) else self.now.date() - dt.timedelta(1000)
        high = spec.max if isinstance(spec.max, dt.date) else self.now.date()
        return low + dt.timedelta(days=self.random.randint(0, max((high - low).days, 0)))

    def _datetime(self, spec: FieldSpec, node: str) -> dt.datetime:
        return self.now - dt.timedelta(minutes=self.random.randint(0, 365 * 24 * 60))

    def _choice(self, spec: FieldSpec, node: str) -> str | None:
        codes = choice_codes(spec, self.deployment.choices)
        return self.random.choice(codes) if codes else None

    def _multichoice(self, spec: FieldSpec, node: str) -> list[str]:
        codes = choice_codes(spec, self.deployment.choices) or []
        return sorted(self.random.sample(codes, self.random.randint(0, len(codes))))

    def _phone(self, spec: FieldSpec, node: str) -> str:
        check = field_types()["phone"].validate
        for _ in range(50):
            try:
                return str(check(self.fake.phone_number(), spec))
            except ValueError:
                continue  # Faker knows a few prefixes the numbering plan does not
        raise ValueError("cannot make a valid demo phone number")

    def _email(self, spec: FieldSpec, node: str) -> str:
        return str(self.fake.email())

    def _id_card(self, spec: FieldSpec, node: str) -> str:
        for _ in range(50):
            try:
                return id_card_number(self.fake.ssn())
            except ValueError:
                continue  # Faker's area codes are not all known for every birth year
        raise ValueError("cannot make a valid demo ID-card number")

    def _credit_code(self, spec: FieldSpec, node: str) -> str:
        body = "91330106" + "".join(self.random.choice(_USCC_BODY) for _ in range(9))
        return str(uscc.validate(body + uscc.calc_check_digit(body)))

    def _geo_point(self, spec: FieldSpec, node: str) -> tuple[float, float]:
        return self.point(node)

    def _other(self, spec: FieldSpec, node: str) -> None:
        """Files, references, nodes and users are filled by the seeder, plugin types not at all."""


def _box(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    return (min(p[0] for p in points), min(p[1] for p in points),
            max(p[0] for p in points), max(p[1] for p in points))


def _points(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                else geometry["coordinates"])
    return [(float(p[0]), float(p[1])) for polygon in polygons for p in polygon[0]]
