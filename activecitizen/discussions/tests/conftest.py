import pytest


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # Uploaded documents and attachments of a test go to its own folder.
    settings.MEDIA_ROOT = str(tmp_path / "media")
