from django.core.management.base import BaseCommand, CommandError

from gridgov.regions.gridding import STANDARD_CELL_AREA_M2, GriddingError, make_grids
from gridgov.regions.models import Region


class Command(BaseCommand):
    help = "Cut a community into unit grids of about --cell-area square metres."

    def add_arguments(self, parser):
        parser.add_argument("--community", required=True, metavar="CODE", help="region code")
        parser.add_argument(
            "--cell-area",
            type=float,
            default=STANDARD_CELL_AREA_M2,
            metavar="M2",
            help=f"target grid area in m² (default {STANDARD_CELL_AREA_M2:,})",
        )
        parser.add_argument(
            "--replace", action="store_true", help="delete the community's grids and cut again"
        )

    def handle(self, *args, community, cell_area, replace, **options):
        region = Region.objects.filter(code=community).first()
        if region is None:
            raise CommandError(f"No region has the code {community}.")
        try:
            grids = make_grids(region, cell_area, replace=replace)
        except GriddingError as exc:
            raise CommandError(str(exc)) from None
        areas = [grid.area_m2 for grid in grids]
        self.stdout.write(
            f"Made {len(grids)} grids in {region}: {grids[0].code} to {grids[-1].code}, "
            f"average {sum(areas) / len(areas):,.0f} m² "
            f"(smallest {min(areas):,.0f}, largest {max(areas):,.0f})."
        )
