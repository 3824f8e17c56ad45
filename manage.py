#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from oncall.audit.context import audit_context

    with audit_context(via="command"):  # changes made by commands are logged as such
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
