"""Reading a spreadsheet of arrivals (.xlsx, or CSV in UTF-8 or GB18030) into the
ArrivalInput rows that arrivals.report_many decides, all or nothing.

The file is read as the registry reads a community's list (gridgov/registry/importing.py:
its size limits, its readers, its header normalising and its cell parsers), with the
columns a list of arrivals has: 姓名、证件类型、证件号码、联系电话、来源地代码 or 来源地、
离开日期、抵达时间、居住楼栋、房号、报告渠道、报告单位. A cell that cannot be read (a date
that is none, a name of a place that is several) is named by its row and column; so is
everything report_many refuses. One problem anywhere and nothing is written.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.emergency import arrivals, divisions
from gridgov.emergency.arrival_forms import room_in, staff_buildings
from gridgov.emergency.models import Arrival, Channel
from gridgov.lib.masking import fold_digits
from gridgov.registry.choices import DocumentType
from gridgov.registry.importing import (
    DOCUMENT_TYPES,
    HEADER_SEARCH_ROWS,
    CellError,
    Formula,
    ImportFileError,
    Problem,
    cell_choice,
    cell_date,
    cell_document_number,
    cell_phone,
    cell_text,
    limits,
    normal_header,
    read_table,
)

# The header names each field answers to, Chinese first (normalised as the registry's).
HEADERS = {
    "name": ["姓名", "name"],
    "document_type": ["证件类型", "证件种类", "document type"],
    "document_number": ["证件号码", "证件号", "身份证号", "身份证号码", "document number"],
    "phone": ["联系电话", "手机号", "手机号码", "电话", "phone"],
    "origin_code": ["来源地代码", "来源地区划代码", "origin code"],
    "origin": ["来源地", "origin"],
    "left_on": ["离开日期", "离开来源地日期", "left on"],
    "arrived_at": ["抵达时间", "到达时间", "arrived at"],
    "building": ["居住楼栋", "楼栋", "building"],
    "room": ["房号", "室号", "room"],
    "channel": ["报告渠道", "channel"],
    "reporter_name": ["报告单位", "reporting organisation"],
}
HEADER_FIELDS = {normal_header(word): name for name, words in HEADERS.items() for word in words}
REQUIRED = ["name", "left_on", "arrived_at", "building"]
CHANNELS = {
    "网格员": Channel.GRID_WORKER,
    "网格": Channel.GRID_WORKER,
    "用人单位": Channel.EMPLOYER,
    "单位": Channel.EMPLOYER,
    "企业": Channel.EMPLOYER,
    "酒店": Channel.HOTEL,
    "宾馆": Channel.HOTEL,
    "旅馆": Channel.HOTEL,
}
# What report_many names a problem by, and the column that holds it.
FIELD_COLUMNS = {"region": "building", "room": "building", "origin_code": "origin_code"}
TIME_TEXT = re.compile(r"^(.+?)[\sT]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2})?秒?)?$")


@dataclass
class ArrivalImport:
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)
    # The arrivals written, or with a check those that would be, unsaved.
    arrivals: list[Arrival] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def import_arrivals(actor, upload, *, size: int | None = None, dry_run: bool = False):
    """Check every row and report them all (or, with dry_run, none). ImportFileError when
    the file cannot be read at all; PermissionDenied from report_many."""
    result = ArrivalImport()
    table = read_table(upload, size)
    headers, columns, result.unknown_headers = _find_header(table)
    labels = {name: headers[i] for i, name in columns.items()}
    missing = [HEADERS[name][0] for name in REQUIRED if name not in labels]
    if "origin_code" not in labels and "origin" not in labels:
        missing.append(f"{HEADERS['origin_code'][0]} / {HEADERS['origin'][0]}")
    if missing:
        raise ImportFileError(
            _("The file has no column for: %(columns)s.") % {"columns": "、".join(missing)}
        )
    reader = _RowReader(actor, labels)
    max_rows = limits()["MAX_ROWS"]
    inputs = []
    for number, cells in table:
        values = {name: cells[i] if i < len(cells) else None for i, name in columns.items()}
        if all(cell_text(value) == "" for value in values.values()):
            continue
        result.rows += 1
        if result.rows > max_rows:
            raise ImportFileError(
                _("The file has more than %(limit)d rows: split it into smaller files.")
                % {"limit": max_rows}
            )
        data = reader.read(number, values, result.problems)
        if data is not None:
            inputs.append((number, data))
    if result.rows == 0:
        raise ImportFileError(_("The file has no rows below its header."))
    if inputs:
        try:
            result.arrivals = arrivals.report_many(
                actor, inputs, dry_run=dry_run or bool(result.problems)
            )
        except arrivals.ArrivalsRefused as refused:
            for error in refused.row_errors:
                for name, message in error.fields.items():
                    column = labels.get(FIELD_COLUMNS.get(name, name))
                    if column is None and name == "origin_code":
                        column = labels.get("origin")
                    result.problems.append(Problem(error.row, column or "", message))
    result.problems.sort(key=lambda problem: problem.row or 0)
    result.applied = result.ok and not dry_run
    if not result.ok:
        result.arrivals = []
    return result


def _find_header(rows) -> tuple[list[str], dict[int, str], list[str]]:
    """The header row: the first of the first rows naming two known columns."""
    for number, cells in rows:
        mapped = {i: HEADER_FIELDS.get(normal_header(cell)) for i, cell in enumerate(cells)}
        if sum(1 for name in mapped.values() if name) >= 2:
            headers = ["" if cell is None else str(cell).strip() for cell in cells]
            columns, unknown = {}, []
            for i, name in mapped.items():
                if name is None:
                    if headers[i]:
                        unknown.append(headers[i])
                elif name in columns.values():
                    raise ImportFileError(
                        _("Two columns are both read as %(column)s: keep one.")
                        % {"column": HEADERS[name][0]}
                    )
                else:
                    columns[i] = name
            return headers, columns, unknown
        if number >= HEADER_SEARCH_ROWS:
            break
    raise ImportFileError(
        _(
            "No header row found in the first %(rows)d rows: it names the columns, "
            "e.g. 姓名、来源地代码、离开日期、抵达时间、居住楼栋."
        )
        % {"rows": HEADER_SEARCH_ROWS}
    )


class _RowReader:
    """Reads one row's cells into an ArrivalInput, with the buildings of the importer's
    area looked up once."""

    def __init__(self, actor, labels):
        self.labels = labels
        self.by_code, self.by_name = {}, {}
        for building in staff_buildings(actor):
            self.by_code[building.code] = building
            self.by_name.setdefault(building.name.casefold(), []).append(building)

    def read(self, number, values, problems) -> arrivals.ArrivalInput | None:
        found = []

        def cell(name, parse):
            if name not in self.labels:
                return None
            value = values.get(name)
            if isinstance(value, Formula):
                found.append(
                    Problem(number, self.labels[name], _("a formula, not a value: paste values."))
                )
                return None
            try:
                return parse(value)
            except CellError as exc:
                found.append(Problem(number, self.labels[name], str(exc)))
                return None

        name = cell("name", cell_text)
        document_number = cell("document_number", cell_document_number) or ""
        document_type = cell(
            "document_type", lambda v: cell_choice(v, DOCUMENT_TYPES, _("document type"))
        )
        phone = cell("phone", cell_phone) or ""
        origin_code = cell("origin_code", cell_text) or cell("origin", _origin) or ""
        left_on = cell("left_on", cell_date)
        arrived_at = cell("arrived_at", _moment)
        building = cell("building", self._building)
        room_text = cell("room", cell_text) or ""
        channel = cell("channel", lambda v: cell_choice(v, CHANNELS, _("channel")))
        reporter_name = cell("reporter_name", cell_text) or ""
        problems.extend(found)
        if found:
            return None
        room = room_in(building, room_text) if building is not None and room_text else None
        return arrivals.ArrivalInput(
            name=name or "",
            origin_code=origin_code,
            left_on=left_on,
            arrived_at=arrived_at,
            region=building,
            room=room,
            address=f"{building.name} {room_text}" if room is None and room_text else "",
            channel=channel or Channel.SPREADSHEET,
            document_type=(document_type or DocumentType.RESIDENT_ID) if document_number else "",
            document_number=document_number,
            phone=phone,
            reporter_name=reporter_name,
        )

    def _building(self, value):
        text = cell_text(value)
        if not text:
            return None
        if text in self.by_code:
            return self.by_code[text]
        named = self.by_name.get(text.casefold(), [])
        if len(named) == 1:
            return named[0]
        if named:
            raise CellError(
                _("%(value)s names %(count)d buildings of your area: give its code.")
                % {"value": text[:40], "count": len(named)}
            )
        raise CellError(
            _("%(value)s is no building of the area you work for.") % {"value": text[:40]}
        )


def _origin(value) -> str:
    """A place's name resolved to its division code: it must name exactly one division."""
    text = cell_text(value)
    if not text:
        return ""
    if text.isdigit():
        return text
    found = divisions.search(text, limit=50)
    exact = [d for d in found if text in (d.full_name, d.name)]
    if len(exact) == 1 or len(found) == 1:
        return (exact or found)[0].code
    if not found:
        raise CellError(_("%(value)s names no national division.") % {"value": text[:40]})
    raise CellError(
        _("%(value)s could be %(choices)s…: give the division code.")
        % {"value": text[:40], "choices": "、".join(d.full_name for d in found[:3])}
    )


def _moment(value) -> datetime | None:
    """A day and time: an Excel date-time, or text such as 2026-03-08 14:30."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        raise CellError(_("give the time of arrival too, e.g. 2026-03-08 14:30."))
    else:
        text = fold_digits(cell_text(value))
        match = TIME_TEXT.match(text)
        if not match:
            raise CellError(
                _("%(value)s is not a day and time such as 2026-03-08 14:30.")
                % {"value": text[:20]}
            )
        day = cell_date(match.group(1))
        try:
            moment = datetime.combine(
                day, time(int(match.group(2)), int(match.group(3)), int(match.group(4) or 0))
            )
        except ValueError:
            raise CellError(_("%(value)s is not a time of day.") % {"value": text[:20]}) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
