"""Fixtures for every app's tests: SMS into a per-test file, a clean cache, PostgreSQL-only
tests skipped (loudly) elsewhere, and the browser harness for journeys (`make e2e`)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings as hypothesis_settings

from activecitizen.core.testing.sms import SmsInbox

# In CI the property tests (and the API fuzzing built on them) draw the same examples every
# run, so a red build names a real regression that reruns the same way; on a developer's
# machine they keep exploring new examples. `HYPOTHESIS_PROFILE=ci make test` reproduces CI.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("dev", print_blob=True)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

POSTGRES_ONLY_REASON = (
    "needs PostgreSQL, the database is {vendor}: `make test-postgres` runs it "
    "(DATABASE_URL=postgres://…, the server on 127.0.0.1:5432 or a throwaway cluster)"
)


# --- SMS and cache ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def sms_inbox(settings, tmp_path) -> SmsInbox:
    """Every SMS of the test goes to its own file; `sms_inbox.last_code(phone)` reads it.

    Autouse so that no test writes to var/sms.jsonl or prints codes; a test (or an app's
    conftest) may still choose another backend, e.g. "memory".
    """
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE = str(tmp_path / "sms.jsonl")
    return SmsInbox(tmp_path / "sms.jsonl")


@pytest.fixture
def last_sms_code(sms_inbox):
    """`last_sms_code(phone)`: the code of the latest SMS sent to `phone` in this test."""
    return sms_inbox.last_code


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits and sign-in cooldowns live in the cache: each test starts with none spent.
    from django.core.cache import caches

    from activecitizen.polls.selectors import forget_all_polls

    for cache in caches.all():
        cache.clear()
    forget_all_polls()
    yield
    for cache in caches.all():
        cache.clear()
    forget_all_polls()


# --- PostgreSQL-only tests ----------------------------------------------------------------------


def _database_vendor() -> str:
    from django.db import connection

    return connection.vendor


def pytest_collection_modifyitems(config, items):
    vendor = _database_vendor()
    if vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=POSTGRES_ONLY_REASON.format(vendor=vendor))
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # Counted from the reports, so that it also works with xdist (where workers collect).
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "needs PostgreSQL" in str(getattr(report, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.write_sep(
            "!",
            f"{len(skipped)} PostgreSQL-only test(s) SKIPPED on {_database_vendor()}: "
            "`make test-postgres` runs them",
            yellow=True,
            bold=True,
        )


# --- Browser journeys ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium for the whole session (system Chromium, never a download)."""
    from django.db import connections

    from activecitizen.core.testing.browser import launch

    # What the migrations loaded, kept by Django on each connection for serialized rollback.
    # Once Playwright's event loop runs in this thread, Django hands out new connection
    # objects (its connections are context-local), which lack that copy: journeys after a
    # flush would then find no districts. Give the new objects the same copy.
    saved = {
        conn.alias: conn._test_serialized_contents
        for conn in connections.all()
        if hasattr(conn, "_test_serialized_contents")
    }
    try:
        with launch() as chromium:
            for alias, contents in saved.items():
                if not hasattr(connections[alias], "_test_serialized_contents"):
                    connections[alias]._test_serialized_contents = contents
            yield chromium
    except RuntimeError as error:  # no Chromium: fail loudly, a skipped journey proves nothing
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def page(browser, live_server, django_db_serialized_rollback, sms_inbox):
    """A fresh browser context on the live server, in Russian like a Moscow resident's phone.

    Serialized rollback puts back what the migrations loaded (districts, interests, roles)
    after each journey, since the live server needs a flushed, not rolled-back, database.
    """
    from activecitizen.core.testing.browser import ACTION_TIMEOUT_MS

    context = browser.new_context(
        base_url=live_server.url,
        locale="ru-RU",
        timezone_id="Europe/Moscow",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed and "page" in getattr(item, "funcargs", {}):
        from activecitizen.core.testing.browser import save_failure_artifacts

        try:
            saved = save_failure_artifacts(item.funcargs["page"], item.name)
        except Exception as error:  # the test's own failure matters more than the screenshot
            report.sections.append(("e2e artifacts", f"could not save: {error!r}"))
        else:
            report.sections.append(("e2e artifacts", "\n".join(str(path) for path in saved)))
    return report
