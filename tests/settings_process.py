"""The settings module imported in a fresh interpreter with exactly the given environment:
what the app's start does with those variables (a bad one stops it with ImproperlyConfigured)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_settings(env, code="import handlingsplan.settings"):
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
