"""The notification endpoints fuzzed from the OpenAPI document, as core's whole-API fuzz does
(that one spreads its examples over every endpoint; these get more)."""

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings

from activecitizen.accounts.models import User
from activecitizen.accounts.services import issue_api_token
from activecitizen.core.tests.test_api_fuzz import CHECKS, api_operations  # noqa: F401

MINE = ("/me/notification", "/me/push-subscriptions")


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_no_request_breaks_the_notification_api(api_operations, signed_in):  # noqa: F811
    user, _ = User.objects.get_or_create(phone="+79160000001")
    mine = [op for op in api_operations if any(part in op.path for part in MINE)]
    assert len(mine) == 5
    for operation in mine:

        @given(case=operation.as_strategy())
        @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case):
            cache.clear()
            headers = {}
            if signed_in:
                headers["Authorization"] = f"Bearer {issue_api_token(user=user, device='f')[1]}"
            case.call_and_validate(headers=headers, checks=CHECKS)

        fuzz()
