"""The property: whatever shares are offered to `add_ownership`, in whatever order, the shares
it accepts for one premises add up to at most 1, and it refuses only what would exceed 1."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activecitizen.core.errors import InvalidInput
from activecitizen.house import register, selectors
from activecitizen.house.models import Ownership
from activecitizen.house.tests import house_fixtures as make

# Shares as people write them, including the malformed: 0, over 1, negative.
SHARES = st.lists(
    st.builds(
        Fraction,
        st.integers(min_value=-1, max_value=13),
        st.integers(min_value=1, max_value=13),
    ),
    max_size=12,
)


class _Rollback(Exception):
    """Raised at the end of an example: each starts from an empty register."""


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shares=SHARES)
def test_accepted_shares_of_one_premises_never_exceed_the_whole(shares):
    try:
        with transaction.atomic():
            flat = make.premises(make.building())
            accepted = Fraction(0)
            for share in shares:
                try:
                    register.add_ownership(premises=flat, owner_name="Совладелец", share=share)
                except InvalidInput:
                    # Refused only when the share itself is wrong or would overfill the premises.
                    assert share <= 0 or share > 1 or accepted + share > 1
                else:
                    assert 0 < share <= 1
                    accepted += share
                assert accepted <= 1
            assert selectors.share_owned(flat) == accepted
            stored = Ownership.objects.filter(premises=flat)
            assert sum((o.share for o in stored), Fraction(0)) == accepted
            raise _Rollback
    except _Rollback:
        pass
