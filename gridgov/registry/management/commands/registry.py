"""gridgov registry …: the registry of people and places from the command line."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gridgov.registry import crypto


class Command(BaseCommand):
    help = "The registry of people and places: keys, import, counts."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True)
        new_key = commands.add_parser("new-key", help="print a new key as ID:KEY")
        new_key.add_argument("key_id", help="a short name for the key, e.g. k2")
        rotate = commands.add_parser(
            "rotate-keys",
            help="re-seal every personal number under the current key of REGISTRY_KEYS and "
            "re-index it under the current key of REGISTRY_HMAC_KEYS",
        )
        rotate.add_argument("--batch", type=int, default=500)
        self.add_more_subcommands(commands)

    def add_more_subcommands(self, commands):
        """Further subcommands (import, counts, …) are added here."""
        counts = commands.add_parser(
            "counts",
            help="compare the kept counts of each community with a recount of the records "
            "(--check), or replace them by it (--rebuild)",
        )
        action = counts.add_mutually_exclusive_group(required=True)
        action.add_argument("--check", action="store_true")
        action.add_argument("--rebuild", action="store_true")
        load = commands.add_parser(
            "import",
            help="import a community's list of people (.xlsx, or CSV in UTF-8 or GB18030): "
            "every row checked, all imported or nothing",
        )
        load.add_argument("file")
        load.add_argument("--community", required=True, help="the community's region code")
        load.add_argument("--dry-run", action="store_true", help="check and report only")
        load.add_argument(
            "--create-rooms",
            action="store_true",
            help="create a room the file names under a building of the community",
        )

    def handle(self, *args, subcommand, **options):
        handler = getattr(self, "handle_" + subcommand.replace("-", "_"))
        return handler(**options)

    def handle_import(self, file, community, dry_run, create_rooms, **options):
        from gridgov.regions.models import Region
        from gridgov.registry.importing import ImportFileError, import_people

        place = Region.objects.filter(code=community, level="community").first()
        if place is None:
            raise CommandError(f"No community has the code {community!r}.")
        try:
            with open(file, "rb") as upload:
                report = import_people(
                    None, upload, place, dry_run=dry_run, create_rooms=create_rooms
                )
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from None
        for header in report.unknown_headers:
            self.stdout.write(f"ignored column: {header}")
        for line in report.problems + report.flagged:
            self.stdout.write(str(line))
        if not report.ok:
            raise CommandError(
                f"{len(report.problems)} problem(s) in {report.rows} rows: nothing was imported."
            )
        self.stdout.write(
            ("dry run, nothing saved: " if dry_run else "")
            + f"{report.rows} rows: {report.created} new, {report.updated} updated, "
            f"{report.moved} moved within the community, {report.unchanged} unchanged, "
            f"{len(report.flagged)} registered elsewhere (not imported), "
            f"{report.rooms_created} rooms created"
        )

    def handle_counts(self, check, rebuild, **options):
        from gridgov.registry import rollups

        if rebuild:
            self.stdout.write(f"{rollups.rebuild()} counts rewritten from the records")
            return
        differences = rollups.differences()
        for (path, figure, key), kept, counted in differences:
            self.stdout.write(f"{path} {figure} {key or '-'}: kept {kept}, recounted {counted}")
        if differences:
            raise CommandError(
                f"{len(differences)} count(s) differ from the records; "
                "`gridgov registry counts --rebuild` rewrites them."
            )
        self.stdout.write("every kept count agrees with the records")

    def handle_new_key(self, key_id, **options):
        if not key_id.isalnum():
            raise CommandError("A key id is letters and digits, e.g. k2.")
        self.stdout.write(crypto.new_key_text(key_id))

    def handle_rotate_keys(self, batch, **options):
        from gridgov.registry.rotation import rotate

        if batch < 1:
            raise CommandError("--batch takes a whole number of 1 or more.")
        with transaction.atomic():
            counts = rotate(batch)
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} re-sealed and re-indexed")
