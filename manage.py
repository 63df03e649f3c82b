#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "directory.settings")
    # manage.py is the developer's entry point (production serves through directory/wsgi.py and
    # always sets SECRET_KEY): without a key, commands run in local development mode instead of
    # refusing to start. The settings still refuse a keyless process that is not in DEBUG.
    if not os.environ.get("SECRET_KEY"):
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
