"""gridgov registry …: the registry of people and places from the command line."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gridgov.registry import crypto


class Command(BaseCommand):
    help = "The registry of people and places: keys, import."

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
        """Further subcommands (import, …) are added here."""

    def handle(self, *args, subcommand, **options):
        handler = getattr(self, "handle_" + subcommand.replace("-", "_"))
        return handler(**options)

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
