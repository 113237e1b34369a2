"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis).

Whatever a client sends to any endpoint — signed in or not — the answer is never a 500,
follows the documented status codes, and invalid data is rejected with a 4xx.
"""

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import negative_data_rejection, status_code_conformance

from activecitizen.accounts.models import User
from activecitizen.accounts.services import issue_api_token

CHECKS = [not_a_server_error, status_code_conformance, negative_data_rejection]


@pytest.fixture
def api_operations(db):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from activecitizen.wsgi import application

    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    yield [result.ok() for result in schema.get_all_operations()]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_no_request_breaks_the_api(api_operations, signed_in):
    from django.conf import settings as django_settings

    django_settings.SMS_BACKEND = "memory"
    user, _ = User.objects.get_or_create(phone="+79160000001")
    assert len(api_operations) >= 8
    for operation in api_operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case):
            cache.clear()  # let every example reach the code behind the rate limits
            headers = {}
            if signed_in:
                # A fresh token each time: an example may have revoked the last one.
                token = issue_api_token(user=user, device="fuzz")[1]
                headers["Authorization"] = f"Bearer {token}"
            case.call_and_validate(headers=headers, checks=CHECKS)

        fuzz()
