"""The dashboard at /: counts over exactly the user's scope, drilled down by child node, and
every number the same as the list it links to."""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.testclient import TestClient

from gridwork.web.site import Site

_LIST_TOTAL = re.compile(r'data-total="(\d+)"')


def _site(client: TestClient) -> Site:
    site: Site = client.app.state.site  # type: ignore[attr-defined]
    return site


def _links(html: str) -> list[tuple[str, int]]:
    """(href, number) of each dashboard number that links to a list."""
    found = re.findall(r'<a (?:class="child-\w+" |data-\w+="[\w-]+" )href="(/registers/[^"]+)">'
                       r'(?:<strong>)?(\d+)', html)
    return [(href.replace("&amp;", "&"), int(n)) for href, n in found]


def _list_total(client: TestClient, href: str) -> int:
    page = client.get(href)
    assert page.status_code == 200, href
    found = _LIST_TOTAL.search(page.text)
    return int(found.group(1)) if found else 0


def dashboard_agrees_with_its_lists(client: TestClient) -> None:
    """Every number on the dashboard is the total of the list it links to."""
    home = client.get("/")
    assert home.status_code == 200
    links = _links(home.text)
    assert len(links) > 10 and any(n for _href, n in links)
    for href, number in links:
        assert _list_total(client, href) == number, href


def test_each_dashboard_number_is_the_list_it_links_to(
        make_client: Callable[..., TestClient]) -> None:
    users = {"community": ("admin", "grid_worker"),
             "environment": ("town_officer", "env_grid_worker"),
             "safety": ("leader", "dept_inspector")}
    for deployment, usernames in users.items():
        for username in usernames:
            client = make_client(deployment, username)
            assert client.get("/").url.path == "/", (deployment, username)
            dashboard_agrees_with_its_lists(client)


def test_a_grid_worker_sees_only_their_grid(make_client: Callable[..., TestClient]) -> None:
    from sqlalchemy import func, select

    from gridwork.hierarchy import in_subtree

    client = make_client("community", "grid_worker")
    site = _site(client)
    home = client.get("/")
    own = re.search(r'<h1>[^<]*: ([^<]+)</h1>', home.text)
    assert own is not None
    node = next(n for n in site.nodes().values() if n.name == own.group(1) and n.level == "grid")
    other = next(n for n in site.nodes().values() if n.level == "grid" and n.code != node.code)
    assert client.get(f"/?node={other.code}").status_code == 404
    assert client.get(f"/?node={other.path.strip('/').split('/')[0]}").status_code == 404
    table, nodes = site.schema.table("event"), site.schema.system("nodes")
    with site.engine.connect() as conn:
        mine = conn.execute(select(func.count()).select_from(table).join(
            nodes, nodes.c.id == table.c.node).where(in_subtree(nodes.c.path, node.path))
        ).scalar_one()
    total = re.search(r'data-register="event".*?class="count">(\d+)<', home.text, re.S)
    assert total is not None and int(total.group(1)) == mine


def test_the_dashboard_drills_down_and_back(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "admin")
    site = _site(client)
    top = client.get("/").text
    street = re.search(r'class="drill" href="/\?node=(\d+)"', top)
    assert street is not None
    below = client.get(f"/?node={street.group(1)}").text
    assert site.node_by_code(street.group(1)).name in below  # type: ignore[union-attr]
    assert 'class="crumbs"' in below and 'href="/?node=330106"' in below
    grid = re.search(r'class="drill" href="/\?node=(\d+)"', below)
    assert grid is not None and len(grid.group(1)) > len(street.group(1))


def test_search_finds_within_scope_only(make_client: Callable[..., TestClient]) -> None:
    from sqlalchemy import select

    admin = make_client("community", "admin")
    site = _site(admin)
    table = site.schema.table("event")
    with site.engine.connect() as conn:
        title, node = conn.execute(select(table.c.title, table.c.node).order_by(table.c.id)
                                   .limit(1)).one()
    found = admin.get("/search", params={"q": title})
    assert found.status_code == 200 and 'data-register="event"' in found.text
    assert title in found.text
    worker = make_client("community", "grid_worker")
    own = re.search(r'<h1>[^<]*: ([^<]+)</h1>', worker.get("/").text)
    assert own is not None
    grid = next(n for n in site.nodes().values() if n.name == own.group(1) and n.level == "grid")
    with site.engine.connect() as conn:
        theirs = conn.execute(select(table.c.title).where(table.c.node == grid.id).limit(1)
                              ).scalar_one()
    hits = worker.get("/search", params={"q": theirs}).text
    ids = [int(i) for i in re.findall(r'href="/registers/event/(\d+)"', hits)]
    assert ids
    with site.engine.connect() as conn:
        where = set(conn.execute(select(table.c.node).where(table.c.id.in_(ids))).scalars())
    assert all(site.nodes()[n].path.startswith(grid.path) for n in where)
    assert worker.get("/search", params={"q": "no-such-words-anywhere"}).text.count(
        'id="no-hits"') == 1


def _api(client: TestClient, username: str) -> dict[str, str]:
    from gridwork.auth import create_token

    site = _site(client)
    with site.engine.begin() as conn:
        secret = create_token(conn, site.schema, username, site.clock())[1]
    return {"Authorization": f"Bearer {secret}"}


def test_stats_rows_agree_with_the_lists(make_client: Callable[..., TestClient]) -> None:
    for username in ("admin", "grid_worker"):
        stats_agree_with_the_lists(make_client("community", username), username)


def stats_agree_with_the_lists(client: TestClient, username: str) -> None:
    """The API's rows by state, and the page's by node and month, add up to the lists."""
    import json

    if True:
        headers = _api(client, username)
        span = {"from": "2020-01-01", "to": "2030-12-31"}
        answer = client.get("/api/v1/stats", headers=headers,
                            params={"register": "event", "by": "state", "period": "quarter",
                                    **span})
        assert answer.status_code == 200, answer.text
        rows = answer.json()["rows"]
        assert rows and sum(r["count"] for r in rows) == _list_total(
            client, "/registers/event?from=2020-01-01&to=2030-12-31")
        for row in rows:
            assert row["count"] == _list_total(
                client, f"/registers/event?state={row['state']}&from=2020-01-01&to=2030-12-31")
        assert sum(r["overdue"] for r in rows) == _list_total(
            client, "/registers/event?overdue=1&from=2020-01-01&to=2030-12-31")
        page = client.get("/stats", params={"register": "event", "by": "node,period",
                                            "period": "month", **span})
        data = json.loads(re.search(r'id="stats-data">(.*?)</script>', page.text, re.S
                                    ).group(1))  # type: ignore[union-attr]
        for node in {r["node"] for r in data}:
            assert sum(r["count"] for r in data if r["node"] == node) == _list_total(
                client, f"/registers/event?node={node}&from=2020-01-01&to=2030-12-31")


def test_stats_refuse_a_bad_parameter_and_export_excel(
        make_client: Callable[..., TestClient]) -> None:
    import io

    from openpyxl import load_workbook

    client = make_client("community", "admin")
    bad = client.get("/api/v1/stats", headers=_api(client, "admin"), params={"by": "colour"})
    assert bad.status_code == 422
    assert "category, node, period, state" in bad.json()["errors"]["by"][0]
    assert client.get("/stats?period=day&from=2000-01-01").status_code == 400
    sheet = client.get("/stats/export.xlsx", params={"register": "event", "by": "category"})
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.content)).active
    cells = list(book.iter_rows(values_only=True))
    page = client.get("/stats", params={"register": "event", "by": "category"}).text
    found = re.search(r'id="stats-total" data-total="(\d+)"', page)
    assert found is not None
    total = int(found.group(1))
    assert sum(int(r[1]) for r in cells[1:]) == total > 0
    assert cells[0][-1] == "中位办理时长（工作小时）"   # the header as the page shows it
    rows = client.get("/api/v1/stats", headers=_api(client, "admin"),
                      params={"register": "event", "by": "category"}).json()["rows"]
    assert [r[-1] if r[-1] != "" else None for r in cells[1:]] == [
        r["median_working_hours"] for r in rows]
    assert any(r["median_working_hours"] is not None for r in rows)


def test_the_map_layer_is_clustered_and_scoped(make_client: Callable[..., TestClient]) -> None:
    admin = make_client("community", "admin")
    site = _site(admin)
    whole = admin.get("/map/layers/event", params={"zoom": "3"}).json()
    close = admin.get("/map/layers/event", params={"zoom": "18"}).json()
    count = sum(f["properties"]["count"] for f in whole["features"])
    assert count == sum(f["properties"]["count"] for f in close["features"]) > 0
    assert len(whole["features"]) < len(close["features"])
    assert admin.get("/map/layers/event", params={"bbox": "1,2"}).status_code == 400
    worker = make_client("community", "grid_worker")
    mine = worker.get("/map/layers/event", params={"zoom": "18"}).json()
    for feature in mine["features"]:
        if "id" in feature["properties"]:
            assert worker.get(feature["properties"]["url"]).status_code == 200
    assert sum(f["properties"]["count"] for f in mine["features"]) < count
    measures = worker.get("/map/measures", params={"register": "event", "measure": "open"}
                          ).json()["values"]
    grids = [c for c in measures
             if getattr(site.node_by_code(c), "level", "") == "grid"]
    assert len(grids) == 1
    other = next(n.code for n in site.nodes().values() if n.level == "grid"
                 and n.code not in measures and n.code in site.deployment.boundaries)
    assert worker.get("/map/area", params={"node": other}).status_code == 404
    listed = worker.get("/map/area", params={"node": grids[0]}).json()
    event = next(r for r in listed["registers"] if r["register"] == "event")
    assert event["total"] == _list_total(worker, event["list"])


def test_the_map_filters_by_a_state_of_its_register(
        make_client: Callable[..., TestClient]) -> None:
    """The map's state choices are the measured register's; a chosen state narrows the
    areas' counts and the points to that state's list."""
    admin = make_client("community", "admin")
    page = admin.get("/map").text
    states = re.findall(r'<option value="(\w+)" data-register="event">', page)
    assert len(states) > 2
    totals, checked = [], 0
    for state in states:
        listed = _list_total(admin, f"/registers/event?state={state}")
        counted = admin.get("/map/measures", params={"register": "event", "measure": "count",
                                                     "state": state}).json()["values"]
        shown = sorted((c for c in counted if counted[c]), key=lambda c: -counted[c])[:3]
        for code in shown:
            assert counted[code] == _list_total(
                admin, f"/registers/event?state={state}&node={code}"), (state, code)
        points = admin.get("/map/layers/event", params={"zoom": "18", "state": state}).json()
        assert sum(f["properties"]["count"] for f in points["features"]) <= listed
        totals.append(listed)
        checked += len(shown)
    assert sum(totals) == _list_total(admin, "/registers/event") and max(totals) < sum(totals)
    assert checked > 3


def test_the_api_map_layer_clusters_for_the_zoom(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "admin")
    headers = _api(client, "admin")
    low = client.get("/api/v1/map/event", headers=headers, params={"zoom": "5"})
    assert low.status_code == 200 and low.json()["type"] == "FeatureCollection"
    page = client.get("/map/layers/event", params={"zoom": "5"}).json()
    assert low.json()["features"] == page["features"]
    assert len(low.json()["features"]) <= 5
    assert client.get("/api/v1/map/visit", headers=headers).status_code == 404
    bad = client.get("/api/v1/map/event", headers=headers, params={"bbox": "x"})
    assert bad.status_code == 422
    assert "west,south,east,north" in bad.json()["errors"]["bbox"][0]


def test_two_keys_show_a_pivot_whose_totals_add_up(
        make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "admin")
    page = client.get("/stats", params={"register": "event", "by": "category,state",
                                        "chart": "stacked"}).text
    pivot = re.search(r'id="stats-pivot">(.*?)</table>', page, re.S)
    assert pivot is not None
    totals = [int(n) for n in re.findall(r"<strong>(\d+)</strong>", pivot.group(1))]
    found = re.search(r'id="stats-total" data-total="(\d+)"', page)
    assert found is not None and sum(totals) == int(found.group(1)) > 0


def test_a_list_opened_from_the_dashboard_shows_its_status_filter(
        make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "admin")
    page = client.get("/registers/event?status=due_today").text
    assert '<option value="due_today" selected>' in page
    everything = _list_total(client, "/registers/event")
    parts = sum(_list_total(client, f"/registers/event?status={s}") for s in ("open", "closed"))
    assert parts == everything


def test_the_overview_pages_render_for_every_shipped_deployment(
        make_client: Callable[..., TestClient]) -> None:
    for deployment in ("community", "environment", "safety"):
        client = make_client(deployment, "admin")
        for path in ("/stats", "/map", "/search?q=1", "/stats?by=node,period&period=week"):
            assert client.get(path).status_code == 200, (deployment, path)
        layers = re.findall(r'<option value="(\w+)"', client.get("/map").text.split(
            'id="m-layer"')[1].split("</select>")[0])
        assert layers, deployment
        for layer in layers:
            answer = client.get(f"/map/layers/{layer}", params={"zoom": "10"})
            assert answer.status_code == 200, (deployment, layer)


def test_the_child_table_shows_duties_and_the_latest_score(
        make_client: Callable[..., TestClient]) -> None:
    """A community head's grids each show their duties done of those due this month and
    their score on the newest kept sheet, linked to the grid's score page."""
    import datetime as dt

    from sqlalchemy import func, select, update

    from gridwork.assessment import compute, parse_spec, period_of
    from gridwork.assessment.store import save
    from gridwork.duties.generate import generate
    from gridwork.hierarchy import in_subtree

    head = make_client("community", "community_head")
    site = _site(head)
    now = site.clock()
    for back in (3, 2, 1):
        generate(site.engine, site.runtime, now=now - dt.timedelta(days=back))
    page = head.get("/").text
    grids = re.findall(r'<tr data-node="(\w+)">',
                       page.split('id="child-measures"')[1].split("</table>")[0])
    assert len(grids) > 1
    duties, nodes = site.schema.system("duties"), site.schema.system("nodes")
    first = site.node_by_code(grids[0])
    assert first is not None
    with site.engine.begin() as conn:
        some = conn.execute(select(duties.c.id).where(duties.c.node == first.id,
                                                      duties.c.due_at < now)
                            .order_by(duties.c.id).limit(2)).scalars().all()
        conn.execute(update(duties).where(duties.c.id.in_(some)).values(state="done",
                                                                         done_at=now))
        assessment = site.deployment.assessment
        assert assessment is not None
        period = period_of("month", now, site.runtime.zone).previous()
        sheet = compute(conn, site.deployment, site.schema,
                        parse_spec("level:grid", assessment.subjects), period, now)
    save(site.engine, site.schema, sheet)
    table = head.get("/").text.split('id="child-measures"')[1].split("</table>")[0]
    month = dt.datetime.combine(now.astimezone(site.runtime.zone).date().replace(day=1),
                                dt.time(), site.runtime.zone)
    shown = dict(re.findall(r'<tr data-node="(\w+)">.*?class="child-duties">(\d+ / \d+)<',
                            table, re.S))
    assert sorted(shown) == sorted(grids)
    with site.engine.connect() as conn:
        for code, text in shown.items():
            path = site.node_by_code(code).path  # type: ignore[union-attr]
            inside = duties.c.node.in_(select(nodes.c.id).where(in_subtree(nodes.c.path, path)))
            due = conn.execute(select(func.count()).where(
                inside, duties.c.due_at >= month, duties.c.due_at < now,
                duties.c.state != "dropped")).scalar_one()
            done = conn.execute(select(func.count()).where(
                inside, duties.c.due_at >= month, duties.c.due_at < now,
                duties.c.state == "done")).scalar_one()
            assert text == f"{done} / {due}", code
    assert shown[grids[0]].startswith("2 / ") and int(shown[grids[0]].split(" / ")[1]) >= 2
    links = re.findall(r'class="child-score" href="([^"]+)">([\d.]+)<', table)
    assert links and all(period.key in href for href, _n in links)
    answer = head.get(links[0][0].replace("&amp;", "&"))
    assert answer.status_code == 200 and links[0][1] in answer.text


def test_the_child_table_is_left_out_without_schedules_or_assessment(
        make_client: Callable[..., TestClient]) -> None:
    import datetime as dt

    from gridwork.auth import User
    from gridwork.runtime import Runtime
    from gridwork.web import overview
    from gridwork.web.node_measures import node_measures

    site = _site(make_client("community", "admin"))
    community = next(n for n in site.nodes().values() if n.level == "community")
    children = overview.children_of(site, community)
    since = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    nobody = User(0, "nobody", "nobody", ())
    with site.engine.connect() as conn:
        for schedules, assessment, shown in ((True, False, True), (False, False, False)):
            bare = site.deployment.model_copy(update={
                "schedules": site.deployment.schedules if schedules else (),
                "assessment": site.deployment.assessment if assessment else None})
            plain = Site(Runtime.build(bare), site.engine, site.clock, site.data_dir)
            found = node_measures(conn, plain, nobody, children, since)
            assert (found is not None) == shown
            assert found is None or (found.duties is not None and not found.level)


def test_a_role_dashboard_puts_its_measures_and_charts_first(
        make_client: Callable[..., TestClient]) -> None:
    """The community config leads the street officer's dashboard with overdue and due
    today, then the communities' table and the trend; others keep the usual order."""
    officer = make_client("community", "street_officer").get("/").text
    board = officer.split('<article class="card board"')[1]
    assert re.findall(r'data-status="(\w+)"', board) == ["overdue", "due_today", "open",
                                                         "closed"]
    assert board.index('class="records children"') < board.index("board-parts")
    assert board.index("data-week=") < board.index("data-state=")
    admin = make_client("community", "admin").get("/").text
    usual = admin.split('<article class="card board"')[1]
    assert re.findall(r'data-status="(\w+)"', usual) == ["open", "overdue", "due_today",
                                                         "closed"]
    assert usual.index("data-state=") < usual.index("data-week=") < usual.index(
        'class="records children"')
