"""Settings from the environment: the production guard rails."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def run_manage(*args, env_extra, tmp_path):
    dropped = {"SECRET_KEY", "DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "activecitizen.settings"})
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_debug_the_site_refuses_the_generated_key(tmp_path):
    done = run_manage("check", env_extra={"DEBUG": "0"}, tmp_path=tmp_path)
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


def test_a_short_secret_key_is_refused_in_production(tmp_path):
    done = run_manage("check", env_extra={"SECRET_KEY": "short"}, tmp_path=tmp_path)
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


def test_dev_key_is_generated_once(tmp_path):
    first = run_manage("check", env_extra={}, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "secret_key").read_text()
    run_manage("check", env_extra={}, tmp_path=tmp_path)
    assert (tmp_path / "secret_key").read_text() == key
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_check_deploy_is_clean_for_production_settings(tmp_path):
    done = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "SECRET_KEY": "x9" * 20 + "Qw3rTy-ZxCvB_nM1234567890abcdefgh",
            "ALLOWED_HOSTS": "ag.example.org",
        },
        tmp_path=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_unknown_sms_backend_is_refused(tmp_path):
    done = run_manage("check", env_extra={"SMS_BACKEND": "pigeon"}, tmp_path=tmp_path)
    assert done.returncode != 0
    assert "SMS_BACKEND" in done.stderr


@pytest.mark.parametrize("url", ["", "redis://127.0.0.1:6379/0"])
def test_cache_follows_redis_url(tmp_path, url):
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "activecitizen.settings"})
    if url:
        env["REDIS_URL"] = url
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert ("RedisCache" if url else "LocMemCache") in done.stdout
