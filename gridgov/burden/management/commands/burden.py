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
            description="Print each secondment past its planned end and not returned. With "
            "--notify, also alert the people responsible: the staff of the street or "
            "community the person was borrowed from and their burden office (减负办), and "
            "the handlers of the borrowing department; they see the alert on the burden "
            "overview (/burden/) until the person is back or the planned end is moved. Each "
            "secondment is alerted once an overdue episode: running daily alerts none twice, "
            "and a planned end moved later and passed again alerts anew.",
        )
        overdue.add_argument("--region", help="only those from under this region code")
        overdue.add_argument(
            "--notify",
            action="store_true",
            help="alert those responsible for each one not yet alerted for its planned end "
            "(its line ends in 'notified')",
        )

    def handle(self, *args, subcommand, **options):
        handler = getattr(self, "handle_" + subcommand.replace("-", "_"))
        return handler(**options)

    def handle_secondments_overdue(self, region, notify=False, **options):
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
        alerted = {s.pk for s in secondments.alert_overdue(found, today)} if notify else set()
        for s in secondments.shown(secondments.overdue(found, today)):
            days = (today - s.planned_end_on).days
            self.stdout.write(
                f"{s.pk}\t{s.from_region.code} {s.from_region.name}\t{s.person_name}\t"
                f"{s.borrower}\tplanned end {s.planned_end_on.isoformat()}\t{days} days overdue"
                + ("\tnotified" if s.pk in alerted else "")
            )
