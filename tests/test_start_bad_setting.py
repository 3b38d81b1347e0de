"""A bad value in the environment stops the start with one clear line, not a traceback: as
`make run` starts the app (manage.py) and as production does (gunicorn with gunicorn.conf.py,
where the settings were read only in the workers: a traceback from each and "Worker failed to
boot" last)."""

import subprocess
import sys

import pytest

from tests.settings_process import ROOT

BAD = [
    ("FRAGMENT_REFRESH_SECONDS", "abc", "FRAGMENT_REFRESH_SECONDS must be a number; got 'abc'."),
    ("FRAGMENT_REFRESH_SECONDS", "61", "FRAGMENT_REFRESH_SECONDS must be at most 60; got '61'."),
    ("FRAGMENT_REFRESH_SECONDS", "-1", "FRAGMENT_REFRESH_SECONDS must be 0 or more; got '-1'."),
]


def run(args, **env):
    return subprocess.run(
        [sys.executable, *args],
        env={"PATH": "/usr/bin:/bin", "DEBUG": "0", "SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


@pytest.mark.parametrize(("name", "value", "message"), BAD)
def test_manage_py_says_what_is_wrong_in_one_line(name, value, message):
    result = run(["manage.py", "check"], **{name: value})
    assert result.returncode == 1
    assert result.stderr.strip() == f"ImproperlyConfigured: {message}"


@pytest.mark.parametrize(("name", "value", "message"), BAD[:2])
def test_gunicorn_says_what_is_wrong_in_one_line_before_any_worker(name, value, message):
    result = run(
        ["-m", "gunicorn", "handlingsplan.wsgi", "-c", "gunicorn.conf.py"],
        GUNICORN_BIND="127.0.0.1:0",
        **{name: value},
    )
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in out
    assert "Booting worker" not in out
    assert result.stderr.strip().splitlines()[-1] == f"ImproperlyConfigured: {message}"
