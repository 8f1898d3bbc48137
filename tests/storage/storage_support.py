"""Helpers the storage tests share (a plain module: the test folders are not packages)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from sqlalchemy import Connection, Table, insert, select

from gridwork.config import Deployment, load_deployment

NOW = dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.UTC)


def node_id(conn: Connection, table: Table, code: str) -> int:
    """The id of the node with ``code``."""
    nodes = table.metadata.tables["nodes"]
    return int(conn.execute(select(nodes.c.id).where(nodes.c.code == code)).scalar_one())


def add_record(conn: Connection, table: Table, node: str, **values: Any) -> int:
    """Insert a record at node ``node``; return its id."""
    row = {"node": node_id(conn, table, node), "created_at": NOW, "updated_at": NOW, **values}
    return int(conn.execute(insert(table).values(row)).inserted_primary_key[0])


class Config:
    """A copy of a fixture deployment that a test may edit and reload."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def edit(self, change: Callable[[Any], None]) -> Deployment:
        """Apply ``change`` to the parsed deployment.yaml, save it, and load the result."""
        yaml = YAML()
        data = yaml.load(self.root / "deployment.yaml")
        change(data)
        yaml.dump(data, self.root / "deployment.yaml")
        return self.load()

    def load(self) -> Deployment:
        """Load the deployment as it stands."""
        return load_deployment(self.root)


def quiet(*_: Any) -> None:
    """An echo that prints nothing."""
