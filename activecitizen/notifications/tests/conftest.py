import pytest


@pytest.fixture(autouse=True)
def _example_push_services(settings):
    # The tests' push endpoints live under example domains (and the local test push service).
    settings.WEBPUSH_PUSH_SERVICES = [
        *settings.WEBPUSH_PUSH_SERVICES,
        ".example",
        "127.0.0.1",
    ]
