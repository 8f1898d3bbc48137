"""Plan steps for changed columns: new, retyped, required or unique, and what each would lose."""

from __future__ import annotations

from typing import Any

from alembic.operations import ops
from sqlalchemy import Connection, and_, column, delete, func, select, table, update
from sqlalchemy.types import Float, Integer, Numeric, String, TypeDecorator, TypeEngine

from .exports import Export
from .plan import Migrator, Step
from .schema import Schema
from .steps import config_default, count, describe, on_table


def add_column(conn: Connection, schema: Schema, op: ops.AddColumnOp) -> Step:
    """Add a column; a required one on a table with records needs the field's default."""
    name, col = op.table_name, _bare(op.column)
    op = ops.AddColumnOp(name, col)
    text = f"add column {describe(schema, name, col.name)}"
    rows = 0 if col.nullable else count(conn, name)
    if not rows:
        return Step(text, on_table(op))
    default = config_default(schema, name, col.name)
    if default is None:
        return Step(text, blocked=f"its {rows} records would have no value; give the field "
                    "a default, or add it optional, fill it in, then make it required")
    optional = col._copy()
    optional.nullable = True
    require = ops.AlterColumnOp(name, col.name, modify_nullable=False, existing_type=col.type)

    def run(m: Migrator) -> None:
        on_table(ops.AddColumnOp(name, optional))(m)
        _fill(m, name, col.name, default)
        on_table(require)(m)
    return Step(f"{text}, filling its {rows} records with the default {default!r}", run)


def _bare(col: Any) -> Any:
    """The column without its unique and index flags: their own steps add those after."""
    bare = col._copy()
    bare.unique = None
    bare.index = None
    return bare


def alter_column(conn: Connection, schema: Schema, op: ops.AlterColumnOp) -> list[Step]:
    """Steps for a column whose type or nullability changed."""
    if op.modify_type is None:
        return [_nullability(conn, schema, op)]
    if op.modify_nullable:  # optional first, so a shortened value may be cleared
        return [_nullability(conn, schema, op), _retype(conn, schema, op)[0]]
    step, rebuilt = _retype(conn, schema, op)
    return [step] if rebuilt or op.modify_nullable is None else [
        step, _nullability(conn, schema, op)]


def add_unique(conn: Connection, schema: Schema, op: ops.CreateUniqueConstraintOp,
               added: set[str]) -> Step:
    """Make columns unique, unless values already repeat (or a new column's default would)."""
    cols = [str(c) for c in op.columns]
    text = f"make {op.table_name}({', '.join(cols)}) unique"
    new = [c for c in cols if c in added]
    if new:
        # A new column starts empty, unless a required field fills every record with its
        # default: then two records or more would share it.
        filled = [c for c in new if not schema.metadata.tables[op.table_name].c[c].nullable]
        rows = count(conn, op.table_name) if filled else 0
        if rows > 1:
            default = config_default(schema, op.table_name, filled[0])
            return Step(text, blocked=f"its {rows} records would all get the default "
                        f"{default!r}; add the field optional and fill in distinct values")
        return Step(text, on_table(op))
    t = table(op.table_name, *(column(c) for c in cols))
    repeated = (select(*t.c).where(and_(*(c.isnot(None) for c in t.c)))
                .group_by(*t.c).having(func.count() > 1).subquery())
    dups = int(conn.execute(select(func.count()).select_from(repeated)).scalar() or 0)
    if dups:
        return Step(text, blocked=f"{dups} values occur more than once; make them unique first")
    return Step(text, on_table(op))


def _retype(conn: Connection, schema: Schema, op: ops.AlterColumnOp) -> tuple[Step, bool]:
    """A type change: widen in place, shorten text, or rebuild the column (values lost)."""
    name, col = op.table_name, op.column_name
    target = schema.metadata.tables[name].c[col]
    assert op.existing_type is not None and op.modify_type is not None
    old, new = op.existing_type, _base(op.modify_type)
    where = f"{name}.{col}"
    in_place = ops.AlterColumnOp(name, col, modify_type=op.modify_type, existing_type=old,
                                 existing_nullable=op.existing_nullable)
    if _widens(old, new):
        return Step(f"widen column {where} from {old} to {new}", on_table(in_place)), False
    if isinstance(old, String) and isinstance(new, String) and new.length:
        limit = new.length
        too_long = count(conn, name, lambda t: func.length(t.c[col]) > limit, col)
        text = f"shorten column {where} to {limit} characters"
        if not too_long:
            return Step(text, on_table(in_place)), False
        if not target.nullable:
            return Step(text, blocked=f"{too_long} values are longer; shorten them first"), False

        def shorten(m: Migrator) -> None:
            t = m.schema.metadata.tables[name]
            m.conn.execute(update(t).where(func.length(t.c[col]) > limit).values({col: None}))
            on_table(in_place)(m)
        return Step(text, shorten, loss=f"{too_long} values longer than {limit} characters",
                    export=Export(name, (col,), lambda t: func.length(t.c[col]) > limit,
                                  col)), False
    text = f"change type of {where} from {old} to {new}"
    rows = count(conn, name)
    if not target.nullable and rows:
        return Step(text, blocked=f"the field is required and its table holds {rows} records; "
                    "make it optional first"), True
    values = count(conn, name, lambda t: t.c[col].isnot(None), col)
    indexes = [ops.CreateIndexOp.from_index(index) for index in target.table.indexes
               if col in index.columns]
    rebuild = on_table(ops.DropColumnOp(name, col), ops.AddColumnOp(name, target._copy()),
                       *indexes)
    return Step(text, rebuild, loss=f"{values} non-empty values" if values else None,
                export=Export(name, (col,), lambda t: t.c[col].isnot(None), col)), True


def _nullability(conn: Connection, schema: Schema, op: ops.AlterColumnOp) -> Step:
    name, col = op.table_name, op.column_name
    alter = ops.AlterColumnOp(name, col, modify_nullable=op.modify_nullable,
                              existing_type=op.existing_type)
    if op.modify_nullable:
        return Step(f"make {name}.{col} optional", on_table(alter))
    text = f"make {name}.{col} required"
    empty = count(conn, name, lambda t: t.c[col].is_(None), col)
    if not empty:
        return Step(text, on_table(alter))
    default = config_default(schema, name, col)
    if default is not None:
        def fill(m: Migrator) -> None:
            _fill(m, name, col, default)
            on_table(alter)(m)
        return Step(f"{text}, filling its {empty} empty values with the default {default!r}",
                    fill)

    def prune(m: Migrator) -> None:
        t = m.schema.metadata.tables[name]
        m.conn.execute(delete(t).where(t.c[col].is_(None)))
        on_table(alter)(m)
    return Step(text, prune, loss=f"{empty} records with no value",
                export=Export(name, (), lambda t: t.c[col].is_(None), f"{col}-empty"))


def _fill(m: Migrator, name: str, col: str, value: Any) -> None:
    t = m.schema.metadata.tables[name]
    m.conn.execute(update(t).where(t.c[col].is_(None)).values({col: value}))


def _base(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    if isinstance(type_, TypeDecorator):
        return type_.impl_instance  # type: ignore[no-any-return]
    return type_


def _widens(old: TypeEngine[Any], new: TypeEngine[Any]) -> bool:
    """Whether every value of ``old`` fits ``new`` unchanged."""
    if isinstance(old, String) and isinstance(new, String):
        return new.length is None or (old.length is not None and new.length >= old.length)
    py_old, py_new = _python(old), _python(new)
    if py_old is int and py_new in ("decimal", float):
        return True
    if py_old == "decimal" and py_new == "decimal":
        (whole, scale), (old_whole, old_scale) = _digits(new), _digits(old)
        return whole >= old_whole and scale >= old_scale
    return False


def _python(type_: TypeEngine[Any]) -> Any:
    if isinstance(type_, Integer):
        return int
    if isinstance(type_, Float):
        return float
    if isinstance(type_, Numeric):
        return "decimal"
    return None


def _digits(type_: Any) -> tuple[float, float]:
    """(digits before the point, after it); unlimited when the precision is not set."""
    if type_.precision is None:
        return float("inf"), float("inf")
    scale = type_.scale or 0
    return type_.precision - scale, scale

