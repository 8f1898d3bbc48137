"""Built-in field types that point somewhere: a place on the map, uploaded files, another
record, a node of the grid, a user, a department."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from ..integers import parse_int
from .fieldtype import Demo, FieldType, Lookup, Names, Option, Options, Sheet
from .inputs import RawInput, read

if TYPE_CHECKING:
    from sqlalchemy.types import TypeEngine

    from ..config.models import FieldSpec
    from ..storage.columns import FieldColumns


class GeoValue(NamedTuple):
    """A point field as the form shows it: what was typed and the note on where it lies."""

    lat: str | None
    lon: str | None
    note: str | None = None
    offer: str | None = None
    offer_name: str | None = None
    confirmed: bool = False


class GeoPointType(FieldType):
    """A point (latitude, longitude), kept in two columns ``NAME_lat`` and ``NAME_lon``."""

    name = "geo_point"
    python_type = tuple[float, float]
    widget = "geo"
    located = True
    placed = True

    def column_names(self, spec: FieldSpec) -> tuple[str, ...]:
        return (f"{spec.name}_lat", f"{spec.name}_lon")

    def columns(self, spec: FieldSpec, table: str,
                choices: Mapping[str, Mapping[str, Any]]) -> FieldColumns:
        from sqlalchemy import Column, Float

        from ..storage.columns import FieldColumns

        nullable = not spec.required or spec.show_if is not None
        return FieldColumns([Column(name, Float, nullable=nullable)
                             for name in self.column_names(spec)])

    def from_row(self, spec: FieldSpec, row: Mapping[str, Any]) -> Any:
        lat, lon = (row[name] for name in self.column_names(spec))
        return None if lat is None or lon is None else (lat, lon)

    def to_columns(self, spec: FieldSpec, value: Any) -> dict[str, Any]:
        lat, lon = value if value is not None else (None, None)
        return dict(zip(self.column_names(spec), (lat, lon), strict=True))

    def read(self, spec: FieldSpec, raw: RawInput) -> Any:
        """A point given as ``NAME`` ("lat,lon", a pair or a mapping) or as
        ``NAME_lat``/``NAME_lon``."""
        value = read(raw, spec.name)
        if value is not None:
            return value
        lat, lon = read(raw, f"{spec.name}_lat"), read(raw, f"{spec.name}_lon")
        return None if lat is None and lon is None else [lat, lon]

    def validate(self, value: Any, spec: FieldSpec) -> tuple[float, float]:
        if isinstance(value, dict):
            pair = (value.get("lat"), value.get("lon"))
        elif isinstance(value, (list, tuple)):
            pair = tuple(value)
        else:
            pair = tuple(str(value).replace("，", ",").split(","))
            if len(pair) == 1 and 2 <= len(pair[0].split()) <= 4:
                # ODK's own form: "latitude longitude altitude accuracy".
                pair = tuple(pair[0].split()[:2])
        try:
            lat, lon = (float(x) for x in pair)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError("a point 'latitude, longitude' is needed") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError("latitude must lie within ±90 and longitude within ±180")
        return lat, lon

    def posted(self, spec: FieldSpec, form: Any) -> dict[str, Any]:
        return {f"{spec.name}_{part}": str(form.get(f"{spec.name}_{part}") or "")
                for part in ("lat", "lon", "confirm")}

    def submitted(self, spec: FieldSpec, state: Mapping[str, Any]) -> Any:
        lat, lon = state.get(f"{spec.name}_lat") or "", state.get(f"{spec.name}_lon") or ""
        return {"lat": lat, "lon": lon} if lat or lon else None

    def form_value(self, spec: FieldSpec, state: Mapping[str, Any]) -> GeoValue:
        name = spec.name
        return GeoValue(state.get(f"{name}_lat"), state.get(f"{name}_lon"),
                        state.get(f"{name}_note"), state.get(f"{name}_offer"),
                        state.get(f"{name}_offer_name"), bool(state.get(f"{name}_confirm")))

    def form_state(self, spec: FieldSpec, value: Any, names: Names) -> dict[str, Any]:
        return {f"{spec.name}_lat": str(value[0]), f"{spec.name}_lon": str(value[1])}

    def display(self, spec: FieldSpec, value: Any, names: Names) -> str:
        return f"{value[0]:.6f}, {value[1]:.6f}"

    def export_cell(self, spec: FieldSpec, value: Any, names: Names) -> Any:
        return f"{value[0]}, {value[1]}"

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> tuple[float, float]:
        return demo.point(node)


class PhotoType(FieldType):
    """Uploaded photos, kept as references to the stored files (a list when ``multiple``)."""

    name = "photo"
    options = frozenset({"multiple", "max_size"})
    widget = "photo"
    files = True

    def many(self, spec: FieldSpec) -> bool:
        return bool(spec.multiple)

    def submitted(self, spec: FieldSpec, state: Mapping[str, Any]) -> Any:
        """The references the form holds; the last one unless the field takes several."""
        refs = state.get(spec.name) or []
        return refs if self.many(spec) else refs[-1] if refs else None

    def posted(self, spec: FieldSpec, form: Any) -> dict[str, Any]:
        return {spec.name: [v for v in form.getlist(spec.name) if isinstance(v, str) and v]}

    def import_cell(self, spec: FieldSpec, cell: Any, sheet: Sheet) -> Any:
        if isinstance(cell, str):
            return [part.strip() for part in cell.split(",") if part.strip()]
        return cell


class FileType(PhotoType):
    """Uploaded files of any kind."""

    name = "file"


class ReferenceType(FieldType):
    """Another record, of the register named by ``register``."""

    name = "reference"
    options = frozenset({"register"})
    required_options = options
    python_type = int | str
    widget = "select"
    indexed = True
    listed = True

    def column_type(self, spec: FieldSpec) -> TypeEngine[Any]:
        from sqlalchemy import Integer

        return Integer()

    def foreign_key(self, spec: FieldSpec) -> str | None:
        from ..storage.columns import register_table_name

        return f"{register_table_name(str(spec.register_name))}.id"

    def validate(self, value: Any, spec: FieldSpec) -> int:
        number = parse_int(value if isinstance(value, int) else str(value), lo=1)
        if number is None:
            raise ValueError("pick a record")
        return number

    def resolve(self, spec: FieldSpec, value: Any, lookup: Lookup) -> Any:
        return lookup.record(str(spec.register_name), value) if spec.register_name else value

    def form_options(self, spec: FieldSpec, offer: Options) -> list[Option]:
        return offer.records(spec.register_name) if spec.register_name else []

    def display(self, spec: FieldSpec, value: Any, names: Names) -> str:
        return names.record_title(spec.register_name or "", value) or f"#{value}"

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> int | None:
        return demo.record(spec.register_name or "")


class _Code(FieldType):
    """A value typed as a code: non-blank text."""

    listed = True

    def validate(self, value: Any, spec: FieldSpec) -> str:
        text = str(value).strip()
        if not text:
            raise ValueError("a value is needed")
        return text


class NodeType(_Code):
    """A node of the grid (at ``level``), typed by its code and kept by its id."""

    name = "node"
    options = frozenset({"level"})
    python_type = int | str
    widget = "tree"
    indexed = True

    def column_type(self, spec: FieldSpec) -> TypeEngine[Any]:
        from sqlalchemy import Integer

        return Integer()

    def foreign_key(self, spec: FieldSpec) -> str | None:
        return "nodes.id"

    def resolve(self, spec: FieldSpec, value: Any, lookup: Lookup) -> Any:
        return lookup.node(str(value), spec.level)

    def form_options(self, spec: FieldSpec, offer: Options) -> list[Option]:
        return offer.nodes(spec.level)

    def form_state(self, spec: FieldSpec, value: Any, names: Names) -> dict[str, Any]:
        return {spec.name: names.node_code(value) or ""}

    def display(self, spec: FieldSpec, value: Any, names: Names) -> str:
        return names.node_name(value) or str(value)

    def export_cell(self, spec: FieldSpec, value: Any, names: Names) -> Any:
        return names.node_code(value)

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> int | None:
        return demo.node_id(spec.level, node)


class UserType(_Code):
    """A user (holding ``role``), typed by username and kept by id."""

    name = "user"
    options = frozenset({"role"})
    python_type = int | str
    widget = "select"
    indexed = True

    def column_type(self, spec: FieldSpec) -> TypeEngine[Any]:
        from sqlalchemy import Integer

        return Integer()

    def foreign_key(self, spec: FieldSpec) -> str | None:
        return "users.id"

    def resolve(self, spec: FieldSpec, value: Any, lookup: Lookup) -> Any:
        return lookup.user(str(value))

    def form_options(self, spec: FieldSpec, offer: Options) -> list[Option]:
        return offer.users(spec.role)

    def form_state(self, spec: FieldSpec, value: Any, names: Names) -> dict[str, Any]:
        return {spec.name: names.username(value) or ""}

    def display(self, spec: FieldSpec, value: Any, names: Names) -> str:
        return names.user_name(value) or str(value)

    def export_cell(self, spec: FieldSpec, value: Any, names: Names) -> Any:
        return names.username(value)

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> int | None:
        return demo.user(spec.role)


class DepartmentType(_Code):
    """A department, kept by its code."""

    name = "department"
    widget = "select"

    def form_options(self, spec: FieldSpec, offer: Options) -> list[Option]:
        return offer.departments()

    def display(self, spec: FieldSpec, value: Any, names: Names) -> str:
        return names.department_name(str(value)) or str(value)
