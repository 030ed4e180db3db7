"""Schemathesis against `medkg serve` (a real process, a real embedded store):
requests generated from /openapi.json, valid and invalid, get no server error
and no status the OpenAPI document does not list (issue 20).

The operations are driven from a plain test (not ``schemathesis.pytest``, whose
fixture loader fails on pytest 9) so that every operation and both generation
modes run against one server; a failure shows the request that reproduces it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, status_code_conformance

from tests.api.test_hostile_server import WRITER, Server, start_server, stop_server
from tests.conftest import needs_hetionet

pytestmark = needs_hetionet
#: Examples per operation and mode: enough to reach every refusal path, bounded for CI.
EXAMPLES = 40


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("fuzz"), MEDKG_WARM_START="false")
    yield srv
    stop_server(srv)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_get_documented_answers(fuzz_server: Server, mode) -> None:  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_url(f"http://127.0.0.1:{fuzz_server.port}/openapi.json")
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def run(case) -> None:  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            response = case.call(headers={"X-API-Key": WRITER}, timeout=60)
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance])

        try:
            run()
        except Unsatisfiable:  # nothing invalid to send (e.g. GET /healthz in negative mode)
            continue
    assert calls >= 5 * EXAMPLES, calls  # the operations were exercised
