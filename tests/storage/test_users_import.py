"""Users in and out of CSV/XLSX: checked row by row, all or nothing, and round-tripping."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from storage_support import Config, quiet

from gridwork.cli import main
from gridwork.config import Deployment
from gridwork.storage import build_schema, migrate
from gridwork.exchange.importer import ImportFailed
from gridwork.storage.tabular import read_table, write_table
from gridwork.exchange.users import export_users, import_users

GOOD = [
    ["username", "姓名", "password", "角色", "node", "department", "scope", "active", "phone"],
    ["wang", "王伟", None, "worker", "S1C1G1", None, None, None, "13800138000"],
    ["wang", None, None, "社区书记", "S1C1", None, "node", None, None],
    ["li", "李娜", "s3cret-pass", "网格员", "S1C1G2", None, None, "否", None],
    ["zhao", "赵敏", None, "staff", None, "cg", None, None, None],
    ["qian", "钱进", None, "staff", None, "市场监管所", None, None, None],
]


def _file(tmp_path: Path, rows: list[list[Any]], name: str = "users.csv") -> Path:
    path = tmp_path / name
    write_table(path, rows[0], rows[1:])
    return path


def _users(engine: Engine, deployment: Deployment) -> dict[str, Any]:
    """Username → (name, active, phone, hash, sorted grants as codes)."""
    schema = build_schema(deployment)
    users, grants, nodes, departments = (schema.system(n) for n in (
        "users", "grants", "nodes", "departments"))
    with engine.connect() as conn:
        held: dict[int, list[tuple[str, str, str | None, str | None]]] = {}
        for row in conn.execute(
                select(grants.c.user, grants.c.role, grants.c.scope, nodes.c.code,
                       departments.c.code.label("dep"))
                .outerjoin(nodes, nodes.c.id == grants.c.node)
                .outerjoin(departments, departments.c.id == grants.c.department)):
            held.setdefault(row.user, []).append((row.role, row.scope, row.code, row.dep))
        return {row.username: (row.display_name, row.active, row.phone, row.password_hash,
                               sorted(held.get(row.id, []), key=str))
                for row in conn.execute(select(users))}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_good_file_imports_with_grants_and_passwords(
        migrated: Deployment, engine: Engine, tmp_path: Path, suffix: str) -> None:
    path = _file(tmp_path, GOOD, "users" + suffix)
    done = import_users(engine, migrated, path)
    assert done.created == ["wang", "li", "zhao", "qian"]
    assert done.passwords == tmp_path / "users.passwords.csv"
    stored = _users(engine, migrated)
    assert stored["wang"][:3] == ("王伟", True, "13800138000")
    assert stored["wang"][4] == [("leader", "node", "S1C1", None),
                                 ("worker", "subtree", "S1C1G1", None)]
    assert stored["li"][1] is False
    assert stored["zhao"][4] == [("staff", "subtree", "D1", "cg")]
    assert stored["qian"][4] == [("staff", "subtree", "S1", "sc")]
    assert PasswordHasher().verify(stored["li"][3], "s3cret-pass")
    assert stat.S_IMODE(done.passwords.stat().st_mode) == 0o600
    header, rows = read_table(done.passwords)
    assert header == ["username", "name", "password"]
    generated = {r[0]: r[2] for _, r in rows}
    assert set(generated) == {"wang", "zhao", "qian"}
    for username, password in generated.items():
        assert PasswordHasher().verify(stored[username][3], password)


def test_every_problem_is_reported_by_row_and_column_and_nothing_imported(
        migrated: Deployment, engine: Engine, tmp_path: Path) -> None:
    path = _file(tmp_path, [
        ["username", "name", "role", "node", "department", "scope"],
        ["a", "甲", "wroker", "S1C1G1", None, None],
        ["b", "乙", "worker", "S1C1", None, None],
        [None, "丙", "worker", "S1C1G1", None, None],
        ["d", "丁", "worker", "S1C1G1", None, None],
        ["d", "丁二", "worker", "S1C1G2", None, None],
        ["e", "戊", "worker", "S1C1G1", "cg", None],
        ["f", "己", "staff", None, "xx", None],
        ["g", None, "leader", "S1C1", None, "all"],
        ["h", "庚", "staff", "S2", "sc", None],
        ["i", "辛", None, "S1C1G1", None, None],
        ["ok", "好", "worker", "S1C1G1", None, None],
    ], "users.xlsx")
    with pytest.raises(ImportFailed) as failed:
        import_users(engine, migrated, path)
    assert failed.value.problems == [
        "users.xlsx:row 2: role: unknown role 'wroker'; did you mean 'worker'?",
        "users.xlsx:row 3: node: node 'S1C1' is a community, not a grid",
        "users.xlsx:row 4: username: a value is required",
        "users.xlsx:row 6: name: differs from row 5 for user 'd' ('丁二' here, '丁' there)",
        ("users.xlsx:row 7: department: role 'worker' sits at a grid node, not in a "
         "department; leave department empty"),
        "users.xlsx:row 8: department: unknown department 'xx'; expected one of: cg, sc",
        "users.xlsx:row 9: scope: unknown scope 'all'; expected one of: node, subtree",
        "users.xlsx:row 9: name: a new user needs a name",
        ("users.xlsx:row 10: node: department 'sc' serves node 'S1'; write that or leave "
         "node empty"),
        "users.xlsx:row 11: role: a role is needed for the node given",
    ]
    assert _users(engine, migrated) == {}
    assert not (tmp_path / "users.passwords.csv").exists()


def test_columns_are_checked_before_any_row(migrated: Deployment, engine: Engine,
                                            tmp_path: Path) -> None:
    path = _file(tmp_path, [["login name", "role", "nod"], ["a", "worker", "S1C1G1"]])
    with pytest.raises(ImportFailed) as failed:
        import_users(engine, migrated, path)
    assert failed.value.problems == [
        ("users.csv:row 1: unknown column 'login name'; expected username, name, password, "
         "role, node, department, scope, active, phone, email"),
        "users.csv:row 1: unknown column 'nod'; did you mean 'node'?",
        "users.csv:row 1: missing column 'username', which is required",
    ]


def test_roles_of_one_department_and_departments_at_a_level_of_many_nodes(
        config: Config, db_url: str, engine: Engine, tmp_path: Path) -> None:
    def change(data: Any) -> None:
        data["departments"].append({"code": "jd", "name": "街道办", "level": "street"})
        data["roles"]["inspector"] = {"label": "执法员", "department": "cg"}
    deployment = config.edit(change)
    migrate(db_url, deployment, echo=quiet)
    path = _file(tmp_path, [
        ["username", "name", "role", "node", "department"],
        ["a", "甲", "inspector", None, None],
        ["b", "乙", "inspector", None, "sc"],
        ["c", "丙", "staff", None, "jd"],
        ["d", "丁", "staff", "S2", "jd"],
    ])
    with pytest.raises(ImportFailed) as failed:
        import_users(engine, deployment, path)
    assert failed.value.problems == [
        "users.csv:row 3: department: role 'inspector' belongs to department 'cg', not 'sc'",
        ("users.csv:row 4: node: department 'jd' sits at level street, which has 2 nodes; "
         "name one"),
    ]
    write_table(path, ["username", "name", "role", "node", "department"],
                [["a", "甲", "inspector", None, None], ["d", "丁", "staff", "S2", "jd"]])
    import_users(engine, deployment, path)
    stored = _users(engine, deployment)
    assert stored["a"][4] == [("inspector", "subtree", "D1", "cg")]
    assert stored["d"][4] == [("staff", "subtree", "S2", "jd")]


def test_reimport_updates_and_keeps_passwords_not_given(
        migrated: Deployment, engine: Engine, tmp_path: Path) -> None:
    import_users(engine, migrated, _file(tmp_path, GOOD))
    before = _users(engine, migrated)
    again = _file(tmp_path, [
        ["username", "name", "password", "role", "node"],
        ["wang", "王伟伟", None, "worker", "S1C1G2"],
        ["li", "李娜", "new-pass-1", "worker", "S1C1G2"],
        ["sun", "孙", "pw-sun-123", "officer", "S2"],
    ], "more.csv")
    done = import_users(engine, migrated, again)
    assert done.created == ["sun"]
    assert done.updated == {"wang": ["name", "grants"], "li": ["password"]}
    assert done.passwords is None and not (tmp_path / "more.passwords.csv").exists()
    after = _users(engine, migrated)
    assert after["wang"][0] == "王伟伟"
    assert after["wang"][3] == before["wang"][3]
    assert after["wang"][4] == [("worker", "subtree", "S1C1G2", None)]
    assert PasswordHasher().verify(after["li"][3], "new-pass-1")
    assert after["zhao"] == before["zhao"]
    assert after["sun"][4] == [("officer", "node", "S2", None)]


def test_a_file_without_a_role_column_leaves_grants_alone(
        migrated: Deployment, engine: Engine, tmp_path: Path) -> None:
    import_users(engine, migrated, _file(tmp_path, GOOD))
    done = import_users(engine, migrated, _file(
        tmp_path, [["username", "phone"], ["zhao", "13900139000"]], "phones.csv"))
    assert done.updated == {"zhao": ["phone"]}
    assert _users(engine, migrated)["zhao"][4] == [("staff", "subtree", "D1", "cg")]


def test_an_existing_passwords_file_is_never_overwritten(
        migrated: Deployment, engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "users.passwords.csv").write_text("kept\n")
    with pytest.raises(ImportFailed) as failed:
        import_users(engine, migrated, _file(tmp_path, GOOD))
    assert failed.value.problems == [
        (f"{tmp_path / 'users.passwords.csv'}: already exists; hand out and delete those "
         "passwords first, or name another file with --passwords")]
    assert _users(engine, migrated) == {}
    assert (tmp_path / "users.passwords.csv").read_text() == "kept\n"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_exported_file_imports_again_unchanged(
        migrated: Deployment, engine: Engine, tmp_path: Path, suffix: str) -> None:
    import_users(engine, migrated, _file(tmp_path, GOOD))
    before = _users(engine, migrated)
    out = tmp_path / f"export{suffix}"
    assert export_users(engine, migrated, out) == 4
    header, rows = read_table(out)
    assert header == ["username", "name", "password", "role", "node", "department", "scope",
                      "active", "phone", "email"]
    assert all(cells[2] is None for _, cells in rows)
    assert not any("argon2" in str(cell) for _, cells in rows for cell in cells)
    done = import_users(engine, migrated, out)
    assert (done.created, done.updated, sorted(done.unchanged)) == (
        [], {}, ["li", "qian", "wang", "zhao"])
    assert _users(engine, migrated) == before


def test_the_commands(migrated: Deployment, db_url: str, engine: Engine, config: Config,
                      tmp_path: Path) -> None:
    path = _file(tmp_path, GOOD)
    runner = CliRunner()
    result = runner.invoke(main, ["users", "import", str(config.root), str(path),
                                  "--db", db_url, "--passwords", str(tmp_path / "pw.xlsx")])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "users.csv: 4 new, 0 updated, 0 unchanged\n  new: wang, li, zhao, qian\n"
        f"initial passwords of new users written to {tmp_path / 'pw.xlsx'}; hand them out, "
        "then delete the file\n")
    generated = [cells[2] for _, cells in read_table(tmp_path / "pw.xlsx")[1]]
    assert not any(password in result.output for password in generated)
    out = tmp_path / "all.xlsx"
    result = runner.invoke(main, ["users", "export", str(config.root), str(out), "--db", db_url])
    assert (result.exit_code, result.output) == (0, f"exported 4 users to {out}\n")
    with engine.connect() as conn:
        grants = build_schema(migrated).system("grants")
        assert conn.execute(select(func.count()).select_from(grants)).scalar() == 5


def test_nodes_and_users_are_not_registers(config: Config, tmp_path: Path) -> None:
    path = _file(tmp_path, GOOD)
    runner = CliRunner()
    result = runner.invoke(main, ["import", str(config.root), "nodes", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        "error: nodes are not imported: the grid tree is part of the config. To change it, "
        f"edit hierarchy.nodes in {config.root / 'deployment.yaml'}, then run gridwork check "
        f"{config.root} and gridwork migrate {config.root}, which prints the plan (nodes "
        "added, renamed, moved) and keeps every record\n")
    write_table(config.root / "nodes.csv", ["code", "name", "parent", "level"],
                [[n.code, n.name, n.parent, n.level] for n in config.load().nodes])
    config.edit(lambda data: data["hierarchy"].__setitem__("nodes", "nodes.csv"))
    result = runner.invoke(main, ["import", str(config.root), "nodes", str(path)])
    assert result.exit_code == 1
    assert f"To change it, edit or replace {config.root / 'nodes.csv'} (columns code, " \
        "name, parent, level; save an Excel sheet as CSV), then run" in result.output
    result = runner.invoke(main, ["export", str(config.root), "users", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        "error: 'users' is not a register; user accounts have their own commands: gridwork "
        f"users import {config.root} FILE, gridwork users export {config.root} FILE\n")
