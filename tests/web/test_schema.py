"""Schemathesis against the running app's OpenAPI description, with a valid token: no route
answers 5xx, and every answer is one the description allows (status, content type, body).

Through schemathesis's Python API and Hypothesis directly: its pytest plugin (4.32) does
not work with pytest 9 (it reads a private attribute of pytest's items)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES = 40      # per operation and mode: both modes of the 17 operations take about 50 s


@pytest.fixture(scope="module")
def operations(base_url):
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) == 17  # 10 of datasets, matches, leaks and alert channels; 7 of the response to a match
    return found


@pytest.fixture(scope="module")
def fuzz_token(runtime, data):
    # An institution of its own: whatever the fuzzer registers, removes or sets touches no other test.
    return runtime.tokens.issue("labo-fuzz", "schemathesis")["token"]


def run(operation, mode, check):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def examples(case):
        check(case)

    examples()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_answers_as_described_and_never_5xx(operations, base_url, fuzz_token, mode):
    auth = {"Authorization": f"Bearer {fuzz_token}"}
    statuses = []

    def check(case):
        if mode is GenerationMode.POSITIVE:
            # Every check but "schema-valid data is accepted": any bytes fit the upload's
            # `format: binary`, yet only a real .lwfp is, and an e-mail list of strings may
            # hold strings that are no addresses. Those answer 422, as they should.
            response = case.call_and_validate(base_url=base_url, headers=auth,
                                              excluded_checks=[positive_data_acceptance])
        else:  # data outside the description: only "no 5xx" holds, any 4xx is a fine answer
            response = case.call_and_validate(base_url=base_url, headers=auth, checks=[not_a_server_error])
        statuses.append(response.status_code)

    for operation in operations:
        run(operation, mode, check)
    assert statuses and max(statuses) < 500
    if mode is GenerationMode.POSITIVE:
        assert 200 in statuses
    else:
        assert 422 in statuses
