#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cft.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.db.utils import OperationalError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # Bad configuration stops start-up with one clear line naming the variable, not a stack trace.
        print(f"Configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    except OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"Configuration error: cannot reach the database given by DATABASE_URL: {reason}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
