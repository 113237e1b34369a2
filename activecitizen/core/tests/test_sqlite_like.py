"""Searching Russian text folds case on SQLite too (the embedded mode), as on PostgreSQL."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activecitizen.accounts.models import User
from activecitizen.core.sqlite import unicode_like


@pytest.mark.django_db
def test_icontains_folds_cyrillic_case():
    User.objects.create_user("+79031230001", first_name="Мария")
    User.objects.create_user("+79031230002", first_name="Пётр")
    assert list(User.objects.filter(first_name__icontains="МАРИ").values_list("phone", flat=True))
    assert User.objects.filter(first_name__icontains="пётр").count() == 1
    assert User.objects.filter(first_name__icontains="100%").count() == 0
    assert User.objects.filter(first_name__istartswith="мар").count() == 1


def test_the_pattern_language_and_its_escape():
    assert unicode_like("%мос%", "Москва")
    assert unicode_like("м_сква", "МОСКВА")
    assert not unicode_like("м_сква", "Мсква")
    assert unicode_like("100\\%", "100%", "\\")
    assert not unicode_like("100\\%", "1000", "\\")
    assert unicode_like("a\\_b", "a_b", "\\") and not unicode_like("a\\_b", "axb", "\\")
    assert unicode_like(None, "x") is None and unicode_like("x", None) is None


@given(text=st.text(max_size=20), needle=st.text(max_size=5))
def test_a_contains_pattern_agrees_with_python(text, needle):
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    assert unicode_like(f"%{escaped}%", text, "\\") == (needle.casefold() in text.casefold())
