"""Import the spreadsheets communities already keep (.xlsx, or CSV in UTF-8 or GB18030)
into the registry of one community.

Columns are found by their header (Chinese first: 姓名、身份证号、联系电话、住址 …), in the
first rows of the first sheet, so a title row above the headers does no harm. Every row
is checked and the report names each problem by its spreadsheet row number and column.
Rows go through services.save_person like every other door, all in one transaction: any
invalid row and nothing changes. A person whose record already says what the row says is
not saved again, so re-importing a file changes nothing.

A person the file names who is registered in another community is flagged in the report
and left where they are — neither duplicated nor moved: a community's list may be older
than the other community's record, and a move is made on the person's own page, where
someone answers for it. Within the community, a person found in another room moves there.

An address that names no room of the community is an error; with create_rooms, a room
(unit and number) that does not exist yet under a building of the community is created,
since a community's list is often the only record of its rooms. Buildings are never made.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.lib.masking import fold_digits
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.registry import crypto, identity, rollups, services
from gridgov.registry.choices import DocumentType, Relation, ResidenceType, Sex
from gridgov.registry.models import Household, Person, Room, Tag

# The header names each field answers to, Chinese first; matched after normalising
# (spaces, a required-mark * and a bracketed note such as （必填） dropped, case folded).
HEADERS = {
    "name": ["姓名", "name"],
    "sex": ["性别", "sex"],
    "birth_date": ["出生日期", "出生年月日", "birth date"],
    "document_type": ["证件类型", "证件种类", "document type"],
    "document_number": [
        "身份证号",
        "身份证号码",
        "证件号码",
        "证件号",
        "公民身份号码",
        "document number",
    ],
    "phone": ["联系电话", "手机号", "手机号码", "电话", "phone"],
    "relation": ["与户主关系", "relation"],
    "residence_type": ["户籍类型", "人口类型", "residence type"],
    "address": ["住址", "地址", "现住址", "居住地址", "address"],
    "building": ["楼栋", "楼号", "building"],
    "unit": ["单元", "unit"],
    "room": ["房号", "室号", "户室", "room"],
    "moved_in_on": ["迁入日期", "入住日期", "moved in"],
    "tags": ["标签", "tags"],
}
REQUIRED = ["name", "residence_type"]

SEXES = {"男": Sex.MALE, "女": Sex.FEMALE, "male": Sex.MALE, "female": Sex.FEMALE}
DOCUMENT_TYPES = {
    "身份证": DocumentType.RESIDENT_ID,
    "居民身份证": DocumentType.RESIDENT_ID,
    "身份证号": DocumentType.RESIDENT_ID,
    "护照": DocumentType.PASSPORT,
    "港澳通行证": DocumentType.HK_MACAO_PERMIT,
    "港澳居民来往内地通行证": DocumentType.HK_MACAO_PERMIT,
    "回乡证": DocumentType.HK_MACAO_PERMIT,
    "台胞证": DocumentType.TAIWAN_PERMIT,
    "台湾居民来往大陆通行证": DocumentType.TAIWAN_PERMIT,
    "外国人永久居留身份证": DocumentType.FOREIGN_RESIDENCE,
    "永居证": DocumentType.FOREIGN_RESIDENCE,
    "其他": DocumentType.OTHER,
}
RELATIONS = {
    Relation.HEAD: ["户主", "本人"],
    Relation.SPOUSE: ["配偶", "妻", "妻子", "夫", "丈夫"],
    Relation.CHILD: ["子", "女", "儿子", "女儿", "子女", "长子", "长女", "次子", "次女"],
    Relation.PARENT: ["父亲", "母亲", "父母", "父", "母"],
    Relation.GRANDCHILD: ["孙子", "孙女", "外孙", "外孙女", "孙子女"],
    Relation.GRANDPARENT: ["祖父", "祖母", "外祖父", "外祖母", "祖父母"],
    Relation.SIBLING: ["兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹", "兄弟姐妹"],
    Relation.OTHER_RELATIVE: ["其他亲属", "亲属", "儿媳", "女婿"],
    Relation.TENANT: ["租户", "租客", "承租人", "借住"],
    Relation.OTHER: ["其他"],
}
RELATION_WORDS = {word: code for code, words in RELATIONS.items() for word in words}
RESIDENCE_TYPES = {
    "户籍": ResidenceType.REGISTERED,
    "常住": ResidenceType.RESIDENT,
    "流动": ResidenceType.FLOATING,
    "境外": ResidenceType.FOREIGN,
}
TAG_SEPARATORS = re.compile(r"[、,，;；/\s]+")
# A room after its building's name: "2单元302", "2-302", "302室", "302".
ROOM_TEXT = re.compile(r"^(?:([0-9A-Za-z]+)单元|([0-9A-Za-z]+)-)?([0-9A-Za-z]+)[室号]?$")
DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
PHONE_TEXT = re.compile(r"^\+?[\d\s()（）-]+$")
# How far down a title block may push the header row.
HEADER_SEARCH_ROWS = 10
SNIFF_BYTES = 8192


class ImportFileError(Exception):
    """The file as a whole cannot be imported: not a spreadsheet, too large, no header."""


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.column}: {self.message}" if self.column else self.message
        return _("Row %(row)d, %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ImportReport:
    community: Region
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    # Registered in another community: not imported, not moved (see the module's doc).
    flagged: list[Problem] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    moved: int = 0
    unchanged: int = 0
    rooms_created: int = 0
    applied: bool = False
    # Each field's header as the file spells it, to name it in the report.
    labels: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Row:
    number: int
    data: services.PersonInput
    building_text: str = ""
    unit: str = ""
    room_number: str = ""
    address_column: str = ""
    room: Room | None = None
    new_room: tuple | None = None
    person: Person | None = None
    bad: bool = False


def limits() -> dict:
    return {"MAX_BYTES": 20 * 2**20, "MAX_ROWS": 100_000, **settings.REGISTRY_IMPORT}


# --- reading the file ---------------------------------------------------------------------


def read_table(upload, size: int | None = None) -> Iterator[tuple[int, list]]:
    """(row number, cells) of the first sheet of an .xlsx or of a CSV file; the size is
    checked before a byte is parsed. Formula cells come as Formula, never evaluated."""
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    upload.seek(0)
    limit = limits()["MAX_BYTES"]
    if size > limit:
        raise ImportFileError(
            _("The file is %(size)s MB; at most %(limit)s MB can be imported.")
            % {"size": f"{size / 2**20:.1f}", "limit": f"{limit / 2**20:g}"}
        )
    if size == 0:
        raise ImportFileError(_("The file is empty."))
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(upload, limit)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("This is an old Excel .xls file: open it in Excel or WPS and save it as .xlsx.")
        )
    if b"\x00" in head:
        raise ImportFileError(_("This file is not a spreadsheet: import an .xlsx or .csv file."))
    return _read_csv(upload.read())


class Formula(str):
    """A formula cell's text: reported, never stored or evaluated."""


def _read_xlsx(upload, limit: int) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(upload)
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFileError(_("This file is damaged: it cannot be read as .xlsx.")) from None
    if "xl/workbook.xml" not in names:
        raise ImportFileError(
            _("This is a zip archive, not an Excel workbook: import an .xlsx or .csv file.")
        )
    # A sheet compresses well, but not a hundredfold: more is a zip bomb.
    if unpacked > 100 * limit:
        raise ImportFileError(_("This workbook unpacks to too much data to be a list of people."))
    upload.seek(0)
    try:
        # Not data_only: a formula must be seen as one, not trusted as its cached value.
        workbook = load_workbook(upload, read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
    except Exception:  # noqa: BLE001 — openpyxl raises anything from KeyError to XML errors
        raise ImportFileError(_("This file is damaged: it cannot be read as .xlsx.")) from None

    def rows():
        try:
            for number, cells in enumerate(sheet.iter_rows(), start=1):
                yield (
                    number,
                    [
                        Formula(cell.value) if cell.data_type == "f" else cell.value
                        for cell in cells
                    ],
                )
        except Exception:  # noqa: BLE001 — a damaged sheet fails only as it is read
            raise ImportFileError(_("This file is damaged: it cannot be read as .xlsx.")) from None
        finally:
            workbook.close()

    return rows()


def _read_csv(content: bytes) -> Iterator[tuple[int, list]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(
            _("This CSV file is neither UTF-8 nor GB18030 (GBK) text: save it as CSV UTF-8.")
        )
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count)

    def rows():
        try:
            yield from enumerate(
                csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
            )
        except csv.Error as exc:
            raise ImportFileError(
                _("This CSV file cannot be read: %(error)s.") % {"error": exc}
            ) from None

    return rows()


def normal_header(text) -> str:
    text = re.sub(r"[（(][^）)]*[）)]", "", str(text or ""))
    return re.sub(r"[\s*＊:：]", "", text).casefold()


HEADER_FIELDS = {normal_header(word): name for name, words in HEADERS.items() for word in words}


def find_header(rows) -> tuple[int, list[str], dict[int, str], list[str]]:
    """The header row: the first of the first rows naming two known columns."""
    for number, cells in rows:
        mapped = {i: HEADER_FIELDS.get(normal_header(c)) for i, c in enumerate(cells)}
        if sum(1 for name in mapped.values() if name) >= 2:
            headers = ["" if c is None else str(c).strip() for c in cells]
            columns, unknown, seen = {}, [], set()
            for i, name in mapped.items():
                if name is None:
                    if headers[i]:
                        unknown.append(headers[i])
                elif name in seen:
                    raise ImportFileError(
                        _("Two columns are both read as %(column)s: keep one.")
                        % {"column": HEADERS[name][0]}
                    )
                else:
                    seen.add(name)
                    columns[i] = name
            return number, headers, columns, unknown
        if number >= HEADER_SEARCH_ROWS:
            break
    raise ImportFileError(
        _(
            "No header row found in the first %(rows)d rows: it names the columns, "
            "e.g. 姓名、身份证号、住址."
        )
        % {"rows": HEADER_SEARCH_ROWS}
    )


# --- one cell at a time ----------------------------------------------------------------------
# The cell readers are shared with the other spreadsheet imports (emergency's arrivals), so
# that a date, a phone or an ID number typed one way reads the same everywhere.


class CellError(Exception):
    pass


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def cell_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = fold_digits(cell_text(value))
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = DATE_TEXT.match(text)
    try:
        if match:
            return date(*(int(part) for part in match.groups()))
    except ValueError:
        pass
    raise CellError(_("%(value)s is not a date such as 1950-03-08.") % {"value": text[:20]})


def cell_choice(value, table: dict, what: str) -> str:
    text = cell_text(value)
    if not text:
        return ""
    key = text.casefold()
    if key in table:
        return table[key]
    for suffix in ("人口", "人员"):
        if key.endswith(suffix) and key[: -len(suffix)] in table:
            return table[key[: -len(suffix)]]
    raise CellError(
        _("%(value)s is not a known %(what)s; use one of %(choices)s.")
        % {"value": text[:20], "what": what, "choices": "、".join(list(table)[:6])}
    )


def cell_document_number(value) -> str:
    if isinstance(value, (int, float)):
        # Excel keeps 15 significant digits: an 18-digit number typed as a number has
        # already lost its last ones.
        raise CellError(
            _(
                "The ID number was stored as a number and has lost digits: format the column "
                "as text and type it again."
            )
        )
    return identity.normal_document_number(cell_text(value))


def cell_phone(value) -> str:
    text = fold_digits(cell_text(value))
    if not text:
        return ""
    if not PHONE_TEXT.match(text):
        raise CellError(_("%(value)s is not a phone number.") % {"value": text[:20]})
    try:
        return identity.check_phone(text)
    except ValidationError as exc:
        raise CellError(exc.messages[0]) from None


# --- the import ------------------------------------------------------------------------------


def import_people(
    actor,
    upload,
    community: Region,
    *,
    size: int | None = None,
    dry_run: bool = False,
    create_rooms: bool = False,
    via: str = "import",
) -> ImportReport:
    """Check every row, then import them all in one transaction, or nothing when any row
    has a problem (or with dry_run). ImportFileError when the file cannot be read at all."""
    report = ImportReport(community=community)
    table = read_table(upload, size)
    _header_row, headers, columns, report.unknown_headers = find_header(table)
    missing = [HEADERS[name][0] for name in REQUIRED if name not in columns.values()]
    if not ({"address", "room"} & set(columns.values())):
        missing.append(f"{HEADERS['address'][0]} / {HEADERS['room'][0]}")
    if missing:
        raise ImportFileError(
            _("The file has no column for: %(columns)s.") % {"columns": "、".join(missing)}
        )
    label = report.labels = {name: headers[i] for i, name in columns.items()}
    tags = {}
    for tag in Tag.objects.filter(is_active=True):
        tags[tag.name.casefold()] = tags[tag.code.casefold()] = tag
    max_rows = limits()["MAX_ROWS"]
    rows = []
    for number, cells in table:
        values = {name: cells[i] if i < len(cells) else None for i, name in columns.items()}
        if all(cell_text(v) == "" for v in values.values()):
            continue
        report.rows += 1
        if report.rows > max_rows:
            raise ImportFileError(
                _("The file has more than %(limit)d rows: split it into smaller files.")
                % {"limit": max_rows}
            )
        row = _parse_row(number, values, label, tags, "tags" in label, report)
        if row is not None:
            rows.append(row)
    if report.rows == 0:
        raise ImportFileError(_("The file has no rows below its header."))
    _resolve_rooms(rows, community, create_rooms, report)
    _find_duplicates(rows, report)
    try:
        with transaction.atomic(), rollups.batched():
            _write(actor, rows, community, report, via)
            report.applied = report.ok and not dry_run
            if not report.applied:
                transaction.set_rollback(True)
    except IntegrityError:
        # Someone registered one of these documents while this import ran: nothing of it
        # was written, and a second run finds that person like any other.
        raise ImportFileError(
            _(
                "Someone else registered one of these persons while the file was being "
                "imported; nothing was imported. Import the file again."
            )
        ) from None
    report.problems.sort(key=lambda p: p.row or 0)
    return report


def _parse_row(number, values, label, tags, has_tags, report) -> Row | None:
    problems = []
    parsed = {}

    def cell(name, parse):
        value = values.get(name)
        if isinstance(value, Formula):
            problems.append(
                Problem(number, label[name], _("a formula, not a value: paste values only."))
            )
            return None
        try:
            return parse(value)
        except CellError as exc:
            problems.append(Problem(number, label[name], str(exc)))
            return None

    name = cell("name", cell_text)
    if name == "":
        problems.append(Problem(number, label["name"], _("the name is missing.")))
    elif name and (len(name) > 50 or name[0] in "=+-@"):
        problems.append(Problem(number, label["name"], _("this is not a name.")))
    residence = cell(
        "residence_type", lambda v: cell_choice(v, RESIDENCE_TYPES, _("residence type"))
    )
    if residence == "":
        problems.append(
            Problem(number, label["residence_type"], _("the residence type is missing."))
        )
    parsed["sex"] = cell("sex", lambda v: cell_choice(v, SEXES, _("sex"))) if "sex" in label else ""
    parsed["relation"] = (
        cell("relation", lambda v: cell_choice(v, RELATION_WORDS, _("relation")))
        if "relation" in label
        else ""
    )
    parsed["birth_date"] = cell("birth_date", cell_date) if "birth_date" in label else None
    parsed["moved_in_on"] = cell("moved_in_on", cell_date) if "moved_in_on" in label else None
    number_text = (
        cell("document_number", cell_document_number) if "document_number" in label else ""
    )
    document_type = (
        cell("document_type", lambda v: cell_choice(v, DOCUMENT_TYPES, _("document type")))
        if "document_type" in label
        else ""
    )
    if number_text and not document_type:
        document_type = DocumentType.RESIDENT_ID
    phone = cell("phone", cell_phone) if "phone" in label else ""
    today = timezone.localdate()
    if number_text and document_type == DocumentType.RESIDENT_ID:
        try:
            born = identity.check_resident_id(number_text, today)
        except ValidationError as exc:
            problems.append(Problem(number, label["document_number"], exc.messages[0]))
        else:
            if parsed["birth_date"] and parsed["birth_date"] != born:
                problems.append(
                    Problem(
                        number,
                        label["birth_date"],
                        _("the birth date differs from the one in the ID number."),
                    )
                )
            parsed["birth_date"] = born
            id_sex = Sex.MALE if int(number_text[16]) % 2 else Sex.FEMALE
            if parsed["sex"] and parsed["sex"] != id_sex:
                problems.append(
                    Problem(number, label["sex"], _("the sex differs from the ID number's."))
                )
            parsed["sex"] = id_sex
    elif number_text:
        try:
            identity.check_other_document(number_text)
        except ValidationError as exc:
            problems.append(Problem(number, label["document_number"], exc.messages[0]))
    born, moved_in = parsed["birth_date"], parsed["moved_in_on"]
    if born and born > today:
        problems.append(
            Problem(number, label["birth_date"], _("a birth date cannot be in the future."))
        )
    if moved_in and moved_in > today:
        problems.append(
            Problem(number, label["moved_in_on"], _("a move-in date cannot be in the future."))
        )
    if moved_in and born and moved_in < born:
        problems.append(Problem(number, label["moved_in_on"], _("moved in before being born.")))
    # A blank cell keeps the tags on record, as a blank phone keeps the phone.
    row_tags = None
    tag_text = cell("tags", cell_text) if has_tags else ""
    if tag_text:
        row_tags = []
        for word in TAG_SEPARATORS.split(tag_text):
            if not word:
                continue
            if word.casefold() not in tags:
                problems.append(
                    Problem(number, label["tags"], _("no tag is named %(tag)s.") % {"tag": word})
                )
            else:
                row_tags.append(tags[word.casefold()])
    row = Row(
        number,
        services.PersonInput(
            name=name or "",
            residence_type=residence or "",
            document_type=document_type if number_text else "",
            document_number=number_text or "",
            phone=phone or "",
            sex=parsed["sex"] or "",
            birth_date=parsed["birth_date"],
            relation=parsed["relation"] or "",
            moved_in_on=parsed["moved_in_on"],
            tags=row_tags,
        ),
    )
    if "building" in label or "room" in label:
        row.address_column = label.get("room") or label.get("building")
        row.building_text = cell("building", cell_text) if "building" in label else ""
        row.unit = (cell("unit", cell_text) or "").removesuffix("单元") if "unit" in label else ""
        row.room_number = cell("room", cell_text) or ""
        row.room_number = row.room_number.removesuffix("室").removesuffix("号")
    if "address" in label and not row.room_number:
        row.address_column = label["address"]
        address = re.sub(r"\s", "", cell("address", cell_text) or "")
        row.building_text = address
    if not row.building_text and not row.room_number:
        problems.append(Problem(number, row.address_column, _("the address is missing.")))
    report.problems.extend(problems)
    return None if problems else row


def _resolve_rooms(rows, community, create_rooms, report) -> None:
    buildings = list(
        Region.objects.filter(level=Level.BUILDING, path__startswith=community.path).only(
            "id", "name", "code", "path", "parent_id"
        )
    )
    by_name = sorted(buildings, key=lambda b: len(b.name), reverse=True)
    rooms = {
        (room.building_id, room.unit, room.number): room
        for room in Room.objects.filter(region_path__startswith=community.path)
    }
    for row in rows:
        text = row.building_text
        building = next((b for b in by_name if b.name == text), None) or next(
            (b for b in by_name if b.name in text), None
        )
        if building is None:
            row.bad = True
            report.problems.append(
                Problem(
                    row.number,
                    row.address_column,
                    _("no building of %(community)s is named in %(address)s.")
                    % {"community": community.name, "address": text[:60]},
                )
            )
            continue
        unit, number = row.unit, row.room_number
        if not number:
            rest = text[text.index(building.name) + len(building.name) :]
            match = ROOM_TEXT.match(fold_digits(rest))
            if match is None:
                row.bad = True
                report.problems.append(
                    Problem(
                        row.number,
                        row.address_column,
                        _("no room is named after %(building)s (e.g. 2单元302).")
                        % {"building": building.name},
                    )
                )
                continue
            unit, number = match.group(1) or match.group(2) or "", match.group(3)
        key = (building.pk, unit, number)
        row.room = rooms.get(key)
        if row.room is not None:
            continue
        if create_rooms and (unit == "" or unit.isalnum()) and number.isalnum():
            row.new_room = (building, unit, number)
            continue
        row.bad = True
        report.problems.append(
            Problem(
                row.number,
                row.address_column,
                _("%(building)s has no room %(unit)s%(number)s.")
                % {
                    "building": building.name,
                    "unit": f"{unit}单元" if unit else "",
                    "number": number,
                },
            )
        )


def _find_duplicates(rows, report) -> None:
    """The same person twice in the file; and who of the file is registered already."""
    first_row = {}
    by_index = {}
    for row in rows:
        data = row.data
        if data.document_number:
            key = (data.document_type, data.document_number)
            for index in crypto.blind_indexes(
                data.document_number, f"document:{data.document_type}"
            ):
                by_index[index] = row
        else:
            key = ("name", data.name, data.birth_date, row.room, row.new_room)
        if key in first_row:
            row.bad = True
            report.problems.append(
                Problem(
                    row.number,
                    report.labels["name"],
                    _("the same person as in row %(row)d.") % {"row": first_row[key]},
                )
            )
        else:
            first_row[key] = row.number
    indexes = list(by_index)
    for start in range(0, len(indexes), 500):
        batch = indexes[start : start + 500]
        for person in Person.objects.filter(document_index__in=batch).prefetch_related("tags"):
            row = by_index[person.document_index]
            if person.document_type == row.data.document_type:
                row.person = person


def _write(actor, rows, community, report, via) -> None:
    new_rooms = {}
    # Each room's current household and each household's members, read once per import.
    households = {
        household.room_id: household
        for household in Household.objects.filter(
            region_path__startswith=community.path, moved_out_on__isnull=True
        ).order_by("-pk")  # the first, as household_at takes it, is put last
    }
    members = {}
    for row in rows:
        if row.bad:
            continue
        person = row.person
        if (
            person is not None
            and person.region_path
            and not person.region_path.startswith(community.path)
        ):
            report.flagged.append(
                Problem(
                    row.number,
                    report.labels["document_number"],
                    _(
                        "registered in another community: not imported here, and not moved; "
                        "move them on their page if they live here now."
                    ),
                )
            )
            continue
        if row.new_room is not None:
            room = new_rooms.get(row.new_room)
            if room is None:
                building, unit, number = row.new_room
                room = Room(
                    building=building,
                    unit=unit,
                    number=number,
                    floor=int(number[:-2]) if number.isdigit() and len(number) >= 3 else None,
                )
                room.save()
                services.record_change(actor, room, {"address": ["", room.address]}, via)
                new_rooms[row.new_room] = room
                report.rooms_created += 1
            row.room = room
        household = households.get(row.room.pk)
        if household is None:
            household = services.household_at(row.room, moved_in_on=row.data.moved_in_on)
            households[row.room.pk] = household
            members[household.pk] = []
        if person is None:
            if household.pk not in members:
                members[household.pk] = list(household.members.prefetch_related("tags"))
            # Without a number on both sides, a member is known by name (and birth date).
            data = row.data
            person = next(
                (
                    member
                    for member in members[household.pk]
                    if member.name == data.name
                    and (not data.birth_date or member.birth_date == data.birth_date)
                    and not (data.document_number and member.document_index)
                ),
                None,
            )
        if person is not None:
            _keep_numbers(person, row.data)
            if _same(person, row.data, household):
                report.unchanged += 1
                continue
        try:
            result = services.save_person(actor, row.data, household, via=via, person=person)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                column = report.labels.get(name, name)
                report.problems.extend(Problem(row.number, column, m) for m in messages)
            continue
        if result.created:
            report.created += 1
            members[household.pk].append(result.person)
        elif result.moved_from is not None:
            report.moved += 1
            for listed in members.values():
                if result.person in listed:
                    listed.remove(result.person)
            if household.pk in members:
                members[household.pk].append(result.person)
        else:
            report.updated += 1


def _keep_numbers(person, data) -> None:
    """A blank cell does not erase a number already on record (save_person would)."""
    if not data.document_number and person.document_sealed:
        data.document_type, data.document_number = person.document_type, person.document_number
    if not data.phone and person.phone_sealed:
        data.phone = person.phone


def _same(person, data, household) -> bool:
    """The record already says everything the row says: nothing to save."""
    if person.household_id != household.pk or person.moved_out_on is not None:
        return False
    for name in services.PERSON_FIELDS:
        value = getattr(data, name, None)
        if value not in (None, "") and getattr(person, name) != value:
            return False
    if data.document_number and (
        person.document_type != data.document_type
        or person.document_index
        not in crypto.blind_indexes(data.document_number, f"document:{data.document_type}")
    ):
        return False
    if data.phone and person.phone_index not in crypto.blind_indexes(
        identity.normal_phone(data.phone), "phone"
    ):
        return False
    if data.tags is not None and {tag.pk for tag in person.tags.all()} != {
        tag.pk for tag in data.tags
    }:
        return False
    return True
