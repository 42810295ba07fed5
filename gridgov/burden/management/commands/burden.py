"""gridgov burden …: the burden module from the command line."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Burden reduction (减负): secondments whose return is overdue."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True)
        overdue = commands.add_parser(
            "secondments-overdue",
            help="print each secondment past its planned end and not returned, one a line, "
            "longest overdue first; nothing when there is none (for cron, which mails output)",
        )
        overdue.add_argument("--region", help="only those from under this region code")

    def handle(self, *args, subcommand, **options):
        handler = getattr(self, "handle_" + subcommand.replace("-", "_"))
        return handler(**options)

    def handle_secondments_overdue(self, region, **options):
        from django.utils import timezone

        from gridgov.burden import secondments
        from gridgov.burden.models import Secondment
        from gridgov.regions.models import Region

        found = Secondment.objects.all()
        if region:
            place = Region.objects.filter(code=region).first()
            if place is None:
                raise CommandError(f"No region has the code {region!r}.")
            found = found.filter(region_path__startswith=place.path)
        today = timezone.localdate()
        for s in secondments.shown(secondments.overdue(found, today)):
            days = (today - s.planned_end_on).days
            self.stdout.write(
                f"{s.pk}\t{s.from_region.code} {s.from_region.name}\t{s.person_name}\t"
                f"{s.borrower}\tplanned end {s.planned_end_on.isoformat()}\t{days} days overdue"
            )
