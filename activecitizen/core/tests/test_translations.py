"""Russian and English ship complete: every message has a Russian translation, compiled."""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "activecitizen/locale/ru/LC_MESSAGES/django.po"
MO = PO.with_suffix(".mo")


def po_entries(path: Path) -> list[dict]:
    """A minimal .po reader: context, msgid, plural, translations and flags of each entry."""
    entries: list[dict] = []
    current: dict = {}
    key = None

    def unquote(text: str) -> str:
        return (
            bytes(text.strip()[1:-1], "utf-8")
            .decode("unicode_escape")
            .encode("latin-1")
            .decode("utf-8")
        )

    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if current.get("msgid") is not None:
                entries.append(current)
            current, key = {}, None
            continue
        if line.startswith("#,"):
            current["flags"] = line[2:]
        elif line.startswith("#~"):
            current["obsolete"] = True
        elif line.startswith("#"):
            continue
        elif m := re.match(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (\".*\")$", line):
            key = m.group(1)
            current[key] = unquote(m.group(2))
        elif line.startswith('"') and key:
            current[key] += unquote(line)
    return [e for e in entries if e.get("msgid") and not e.get("obsolete")]


def test_every_message_has_a_russian_translation():
    untranslated = [
        e["msgid"]
        for e in po_entries(PO)
        if "fuzzy" in e.get("flags", "")
        or not all(v for k, v in e.items() if k.startswith("msgstr"))
    ]
    assert untranslated == []


def _compiled(catalogue: gettext.GNUTranslations, entry: dict) -> str:
    if "msgctxt" in entry:
        return catalogue.pgettext(entry["msgctxt"], entry["msgid"])
    return catalogue.gettext(entry["msgid"])


def test_the_compiled_catalogue_matches_the_po_file():
    with MO.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    stale = [
        e["msgid"]
        for e in po_entries(PO)
        if "msgstr" in e and _compiled(catalogue, e) != e["msgstr"]
    ]
    assert stale == [], "run `make messages`"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_no_message_in_the_code_is_missing_from_the_catalogue(tmp_path):
    # makemessages on a copy, so that the check never changes the working tree.
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT / "activecitizen",
        copy / "activecitizen",
        ignore=shutil.ignore_patterns("__pycache__", "tests", "data"),
    )
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": str(copy)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "--no-obsolete"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    fresh = {e["msgid"] for e in po_entries(copy / "activecitizen/locale/ru/LC_MESSAGES/django.po")}
    shipped = {e["msgid"] for e in po_entries(PO)}
    assert sorted(fresh - shipped) == [], "new messages: run `make messages` and translate them"


@pytest.mark.django_db
def test_pages_speak_russian_by_default_and_english_on_request():
    russian = Client().get("/").content.decode()
    assert "Активный гражданин" in russian and "Голосования" in russian
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/").content.decode()
    assert "Active Citizen" in english and "Votes" in english
    assert "Голосования" not in english


@pytest.mark.django_db
def test_api_errors_follow_the_language():
    answer = Client(HTTP_ACCEPT_LANGUAGE="ru").post(
        "/api/v1/auth/code", {"phone": "123"}, content_type="application/json"
    )
    assert answer.json()["message"] == "Такого номера не существует. Проверьте цифры."
