"""Property-based tests of `/api/v1` with schemathesis, against each shipped deployment
served over HTTP: for every operation of its OpenAPI document, generated requests never get
a 5xx, and every answer conforms to the document (status, content type, body); then
stateful runs follow the document's links (create → read → act)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.examples import get_strategies_from_examples
from served import Served, served
from support import SHIPPED

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 8
"""Generated requests per operation: enough to meet each refusal, few enough for minutes."""
ADMINS = {"community": "admin", "safety": "admin", "environment": "admin"}
"""Whose token the requests carry: the user who may see and do the most."""


@pytest.fixture(scope="module", params=SHIPPED)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[tuple[Served, str]]:
    """A shipped deployment served with a few demo records, and an administrator's token."""
    name = request.param
    with served(name, tmp_path_factory.mktemp(f"fuzz-{name}"), records=12) as found:
        yield found, found.token(ADMINS[name])


def _settings(examples: int) -> hypothesis.settings:
    return hypothesis.settings(max_examples=examples, deadline=None, derandomize=True,
                               database=None, phases=[Phase.explicit, Phase.generate],
                               suppress_health_check=list(HealthCheck))


def test_every_operation_answers_as_documented(server: tuple[Served, str]) -> None:
    """Each operation, with generated parameters and bodies, answers a documented status
    with a body of the documented shape, never a 5xx."""
    found, token = server
    schema = schemathesis.openapi.from_url(f"{found.url}/api/v1/openapi.json")
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        strategy = hypothesis.strategies.one_of(
            operation.as_strategy(), *get_strategies_from_examples(operation, fill_missing=True))

        @_settings(EXAMPLES)
        @hypothesis.given(case=strategy)
        def run(case: Any) -> None:
            case.call_and_validate(session=session, headers=headers, checks=CHECKS)

        run()


def test_links_create_read_act(server: tuple[Served, str]) -> None:
    """Sequences that create a record, read it and act on it, following the document's
    links, answer as documented."""
    found, token = server
    schema = schemathesis.openapi.from_url(f"{found.url}/api/v1/openapi.json")
    machine = schema.as_state_machine()
    headers = {"Authorization": f"Bearer {token}"}

    class Steps(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, headers=headers)

    Steps.run(settings=hypothesis.settings(
        max_examples=6, stateful_step_count=4, deadline=None, derandomize=True,
        database=None, suppress_health_check=list(HealthCheck)))
