"""Where a picked point lies against the record's chosen node, as the map picker and the
form's check both say it: the server's boundaries decide, so the page and the save agree."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from .. import hierarchy
from ..auth import User
from .i18n import translate
from .records import scope_node_ids
from .site import NodeInfo, Site

if TYPE_CHECKING:
    from .widgets import FormState


@dataclass(frozen=True)
class PointNote:
    """What to say about a point: the words, whether it lies outside the chosen node, and
    the node in the user's scope (at the record's level) that holds it, to offer instead."""

    message: str
    outside: bool
    offer: NodeInfo | None = None


def place_name(site: Site, node: NodeInfo) -> str:
    """A node's name with its parent's, since names like 第一网格 repeat across the tree."""
    codes = hierarchy.ancestor_codes(node.path)
    parent = site.node_by_code(codes[-2]) if len(codes) > 1 else None
    if parent is None or node.name.startswith(parent.name):
        return node.name
    return parent.name + ("" if site.locale == "zh" else " ") + node.name


def scope_codes(conn: Connection, site: Site, user: User) -> set[str]:
    """The codes of the nodes the user may see."""
    nodes = site.nodes()
    return {nodes[i].code for i in scope_node_ids(conn, site, user)}


def note_for(conn: Connection, site: Site, user: User, lat: float, lon: float,
             chosen: str | None, level: str | Collection[str] | None,
             locale: str | None = None,
             ) -> PointNote | None:
    """What to say about the point for a record at node ``chosen`` (when one is chosen) and
    hierarchy ``level`` (or any of several), in ``locale`` (default the site's); None when no boundary can
    tell."""
    if not site.deployment.boundaries:
        return None

    def t(text: str, **params: Any) -> str:
        return translate(text, locale or site.locale, **params)

    scope = scope_codes(conn, site, user)
    holding = hierarchy.containing(site.deployment, lat, lon)
    seen = [node for node in (site.node_by_code(code) for code in holding if code in scope)
            if node is not None]
    levels = level.split(",") if isinstance(level, str) else level
    offer = next((node for node in seen if levels is None or node.level in levels), None)
    node = site.node_by_code(chosen) if chosen and chosen in scope else None
    if node is None:
        if offer is not None:
            return PointNote(t("The point lies in {place}.", place=place_name(site, offer)),
                             False, offer)
        if not holding:
            return PointNote(t("The point lies outside every grid."), False)
        if not seen:
            return PointNote(t("The point lies outside your area."), False)
        return PointNote(t("The point lies in {place}.", place=place_name(site, seen[0])),
                         False)
    inside = hierarchy.within(site.deployment, node.code, lat, lon)
    if inside is None:
        return None
    chosen_name = place_name(site, node)
    if inside:
        return PointNote(t("The point lies in {place}.", place=chosen_name), False)
    if not holding:
        return PointNote(t("The point lies outside every grid, not in {chosen}.",
                           chosen=chosen_name), True)
    if offer is not None and offer.code != node.code:
        return PointNote(t("The point lies outside {chosen}, in {place}.",
                           chosen=chosen_name, place=place_name(site, offer)), True, offer)
    if seen:
        return PointNote(t("The point lies outside {chosen}, in {place}.",
                           chosen=chosen_name, place=place_name(site, seen[0])), True)
    return PointNote(t("The point lies outside {chosen} and outside your area.",
                       chosen=chosen_name), True)


def outside_points(conn: Connection, site: Site, user: User, register: str,
                   chosen: str | None, points: Mapping[str, tuple[float, float] | None],
                   confirmed: Collection[str], locale: str | None = None,
                   ) -> tuple[dict[str, PointNote], dict[str, list[str]]]:
    """The rule for points, for the pages and the API alike: a point outside the record's
    chosen node is refused until the person confirms it (a worker may well report what
    they saw next door, but never unknowingly). Return the notes on the points that lie
    outside, and the refusals of those not ``confirmed``, by field."""
    spec = site.deployment.registers[register]
    level = site.deployment.record_levels(register)
    notes: dict[str, PointNote] = {}
    if chosen is None:
        return notes, {}
    for name, point in points.items():
        note = None if point is None else note_for(conn, site, user, *point, chosen, level,
                                                   locale)
        if note is not None and note.outside:
            notes[name] = note
    return notes, {name: [note.message] for name, note in notes.items()
                   if name not in confirmed}


def flag_points(conn: Connection, site: Site, user: User, register: str, state: FormState,
                system: Mapping[str, str], errors: dict[str, list[Any]],
                visible: Collection[str]) -> None:
    """Refuse a shown point outside the record's chosen node until the user ticks
    ``NAME_confirm``, and keep the note in ``state`` for the form to show beside the map."""
    points = {field.name: _point(state, field.name)
              for field in site.deployment.registers[register].fields
              if site.schema.field_type(field).located and field.name not in errors
              and field.name in visible}
    confirmed = {name for name in points if state.get(f"{name}_confirm")}
    notes, refused = outside_points(conn, site, user, register, system.get("node") or None,
                                    points, confirmed)
    for name, note in notes.items():
        state[f"{name}_note"] = note.message
        if note.offer is not None:
            state[f"{name}_offer"] = note.offer.code
            state[f"{name}_offer_name"] = place_name(site, note.offer)
    errors.update(refused)


def _point(state: FormState, name: str) -> tuple[float, float] | None:
    try:
        lat, lon = float(state.get(f"{name}_lat") or ""), float(state.get(f"{name}_lon") or "")
    except ValueError:
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None
