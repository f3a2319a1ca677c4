#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
    from django.core.management import execute_from_command_line

    from apps.core.guard import system_reads

    # Commands are run by an operator (migrations, seeding, sweeps); a development server's
    # requests are guarded again per request by ReadGuardMiddleware.
    with system_reads("a management command run by an operator"):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
