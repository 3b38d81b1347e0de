#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handlingsplan.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    # settings.py checks the environment as it is read; a bad value (FRAGMENT_REFRESH_SECONDS=abc)
    # stops `make run` and every command with its one line, not a traceback that puts it last.
    try:
        settings.INSTALLED_APPS  # noqa: B018 (reads settings.py)
    except ImproperlyConfigured as error:
        sys.exit(f"ImproperlyConfigured: {error}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
