"""Import daily figures from a spreadsheet (.xlsx, or CSV in UTF-8 or GB18030): one row per
region and day, with the columns 日期, 区域代码 (or 区域名称, when no two regions in the
importer's area share the name), 新增确诊, 新增疑似, 新增无症状, 新增密接.

The file is read as the registry reads its imports (registry.importing.read_table: the size
checked first, formulas never evaluated); the rows go through figures.enter like the entry
page's, all in one transaction. Every problem is named by the spreadsheet's row number, and
with any problem nothing is written; a check runs the same way and writes nothing either.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.emergency import figures
from gridgov.emergency.phases import parse_day
from gridgov.lib.masking import fold_digits
from gridgov.regions.models import Region
from gridgov.registry.importing import (
    HEADER_SEARCH_ROWS,
    Formula,
    ImportFileError,
    normal_header,
    read_table,
)

# The header names each column answers to, Chinese first; matched as the registry's are
# (spaces, a required-mark * and a bracketed note dropped, case folded).
HEADERS = {
    "day": ["日期", "day", "date"],
    "code": ["区域代码", "代码", "region code", "code"],
    "name": ["区域名称", "区域", "名称", "region", "name"],
    "confirmed": ["新增确诊", "确诊", "confirmed"],
    "suspected": ["新增疑似", "疑似", "suspected"],
    "asymptomatic": ["新增无症状", "无症状", "asymptomatic"],
    "close_contacts": ["新增密接", "新增密切接触者", "密接", "close contacts"],
}
HEADER_FIELDS = {normal_header(word): name for name, words in HEADERS.items() for word in words}


@dataclass
class FigureImport:
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    regions: set = field(default_factory=set)
    first: date | None = None
    last: date | None = None
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def columns() -> list[str]:
    return [HEADERS[name][0] for name in HEADERS]


def import_figures(actor, upload, *, dry_run: bool) -> FigureImport:
    """Read the file and enter its figures, or only check them with dry_run. ImportFileError
    when the file as a whole cannot be read; otherwise the report, with its problems."""
    table = read_table(upload, size=upload.size)
    header_number, fields = _find_header(table)
    report = FigureImport()
    parsed = []
    for number, cells in table:
        values = {name: cells[i] if i < len(cells) else None for i, name in fields.items()}
        if all(_text(value) == "" for value in values.values()):
            continue
        report.rows += 1
        parsed.append((number, values))
    if not parsed:
        report.problems.append(_("The file has a header but no figures under it."))
        return report
    regions = _regions(actor, parsed)
    rows = []
    for number, values in parsed:
        row = _row(number, values, regions, report.problems)
        if row is not None:
            rows.append(row)
    with transaction.atomic():
        try:
            figures.enter(actor, rows)
        except ValidationError as error:
            report.problems.extend(error.messages)
        # The rows the file could not name were left out above: with any problem the rest
        # is not written either, and a check never writes.
        if report.problems or dry_run:
            transaction.set_rollback(True)
    for row in rows:
        report.regions.add(row.region)
        report.first = min(report.first or row.day, row.day)
        report.last = max(report.last or row.day, row.day)
    report.written = report.ok and not dry_run
    return report


def _find_header(table) -> tuple[int, dict[int, str]]:
    for number, cells in table:
        mapped = {i: HEADER_FIELDS.get(normal_header(cell)) for i, cell in enumerate(cells)}
        found = {i: name for i, name in mapped.items() if name}
        if len(found) >= 2:
            names = list(found.values())
            for name in set(names):
                if names.count(name) > 1:
                    raise ImportFileError(
                        _("Two columns are both read as %(column)s: keep one.")
                        % {"column": HEADERS[name][0]}
                    )
            missing = [HEADERS[name][0] for name in ("day", *figures.COUNTS) if name not in names]
            if "code" not in names and "name" not in names:
                missing.insert(1, HEADERS["code"][0])
            if missing:
                raise ImportFileError(
                    _("The header row (row %(row)d) has no column %(columns)s.")
                    % {"row": number, "columns": "、".join(missing)}
                )
            return number, found
        if number >= HEADER_SEARCH_ROWS:
            break
    raise ImportFileError(
        _("No header row found in the first %(rows)d rows: it names the columns, e.g. %(columns)s.")
        % {"rows": HEADER_SEARCH_ROWS, "columns": "、".join(columns())}
    )


def _regions(actor, parsed) -> dict:
    """The regions the file names, in the importer's area: by code, and by name where the
    name is unique there (a name given twice maps to None). Two queries."""
    visible = Region.objects.visible_to(actor)
    codes = {_text(values.get("code")) for _number, values in parsed} - {""}
    names = {_text(values.get("name")) for _number, values in parsed} - {""}
    by_code = {region.code: region for region in visible.filter(code__in=codes)}
    by_name: dict[str, Region | None] = {}
    for region in visible.filter(name__in=names).order_by("path"):
        by_name[region.name] = None if region.name in by_name else region
    return {"code": by_code, "name": by_name}


def _row(number, values, regions, problems) -> figures.Row | None:
    def problem(column, message):
        problems.append(
            _("Row %(row)d, %(column)s: %(message)s")
            % {"row": number, "column": HEADERS[column][0], "message": message}
        )

    day = _day(values.get("day"))
    if day is None:
        text = _text(values.get("day"))
        problem(
            "day",
            _("%(value)s is not a date such as 2022-04-01.") % {"value": text[:20]}
            if text
            else _("the day is missing."),
        )
    code, name = _text(values.get("code")), _text(values.get("name"))
    region = None
    if code:
        region = regions["code"].get(code)
        if region is None:
            problem("code", _("no region of your area has the code %(code)s.") % {"code": code})
    elif name:
        if name not in regions["name"]:
            problem("name", _("no region of your area is called %(name)s.") % {"name": name})
        else:
            region = regions["name"][name]
            if region is None:
                problem(
                    "name",
                    _("more than one region of your area is called %(name)s: give its code.")
                    % {"name": name},
                )
    else:
        problem("code", _("give the region's code or name."))
    counts, formula = {}, False
    for column in figures.COUNTS:
        value = values.get(column)
        if isinstance(value, Formula):
            problem(column, _("a formula is not imported: type the number."))
            formula = True
        counts[column] = _count(value)
    if day is None or region is None or formula:
        return None
    return figures.Row(region, day, counts, number=number)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _day(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = fold_digits(_text(value))
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return parse_day(text) if text else None


def _count(value):
    """A whole number as it came (Excel keeps 3 as 3.0), anything else as its text for
    figures.enter to refuse by name."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return fold_digits(_text(value))
