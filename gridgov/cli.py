"""The `gridgov` console command: Django's management commands and ours.

Our commands are spelled with hyphens on the command line (`gridgov import-regions`)
and live in modules with underscores, as Python requires.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    if len(argv) > 1 and "-" in argv[1] and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    argv[0] = "gridgov"
    if argv[1:2] == ["runserver"]:
        # As under `gridgov demo`: a thread per browser connection, each of which would
        # otherwise keep a database connection open while the browser keeps its own.
        os.environ["DB_CONN_MAX_AGE"] = "0"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
