from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.regions import importing
from gridgov.regions.choices import Datum, Level


class Command(BaseCommand):
    @property
    def help(self):
        # Translated when asked for, not at import, so the active language applies.
        return _(
            "Import region boundaries from a GeoJSON FeatureCollection, one region per "
            "feature. Everything is checked first; an import with any error changes nothing."
        )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help=_("GeoJSON FeatureCollection"))
        parser.add_argument("--level", required=True, choices=Level.values)
        parser.add_argument("--parent", required=True, help=_("code of the existing parent region"))
        parser.add_argument("--name-field", required=True, help=_("property holding the name"))
        parser.add_argument(
            "--code-field",
            help=_(
                "property holding the code (12 digits, or shorter such as a 6-digit adcode); "
                "without it codes are numbered west to east, north to south"
            ),
        )
        parser.add_argument("--datum", choices=Datum.values, default=Datum.GCJ02)
        parser.add_argument(
            "--parent-field",
            help=_("property naming each feature's parent below --parent"),
        )
        parser.add_argument(
            "--tolerance",
            type=float,
            default=importing.DEFAULT_TOLERANCE_M2,
            metavar="M2",
            help=_("gaps and overlaps up to this area (m²) are only warnings"),
        )
        parser.add_argument("--dry-run", action="store_true", help=_("check only, write nothing"))

    def handle(self, *args, **options):
        try:
            plan = importing.plan_import(
                importing.load_feature_collection(options["file"]),
                level=options["level"],
                parent=importing.resolve_parent(options["parent"]),
                name_field=options["name_field"],
                code_field=options["code_field"],
                datum=options["datum"],
                parent_field=options["parent_field"],
                tolerance_m2=options["tolerance"],
                progress=True,
            )
        except importing.RegionImportError as exc:
            raise CommandError(str(exc)) from None
        for line in importing.format_issues(plan.warnings):
            self.stdout.write(_("Warning: %(issue)s") % {"issue": line}, self.style.WARNING)
        if plan.errors:
            header = _("%(count)d errors; nothing was imported:") % {"count": len(plan.errors)}
            raise CommandError("\n".join([header, *importing.format_issues(plan.errors)]))
        if options["dry_run"]:
            counts = {"created": plan.to_create, "updated": plan.to_update}
            summary = _("Dry run: would create %(created)d and update %(updated)d regions")
        else:
            result = importing.apply_import(plan, progress=True)
            counts = {"created": result.created, "updated": result.updated}
            summary = _("Created %(created)d and updated %(updated)d regions")
        self.stdout.write(
            _("%(summary)s; %(warnings)d warnings; total area %(area).2f km².")
            % {
                "summary": summary % counts,
                "warnings": len(plan.warnings),
                "area": plan.area_m2 / 1e6,
            },
            self.style.SUCCESS,
        )
