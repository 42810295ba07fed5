"""Importing a community's list of people: through `gridgov registry import` and the
import page, on the registry cast (gridgov/registry/tests/base.py)."""

import csv
import io
import shutil
import tempfile
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook

from gridgov.accounts.tests.base import build_cast
from gridgov.registry import rollups, services
from gridgov.registry.figures import registry_figures
from gridgov.registry.models import CommunityCount, Household, Person, RecordChange, Room
from gridgov.registry.tests.base import (
    RegistryTestCase,
    build_registry_cast,
    held_by_another_connection,
    resident_id,
)

HEADER = [
    "姓名",
    "性别",
    "身份证号",
    "联系电话",
    "与户主关系",
    "户籍类型",
    "住址",
    "迁入日期",
    "标签",
]
WANG = resident_id(date(1950, 3, 8), 7, male=False)
LI = resident_id(date(1948, 11, 2), 8, male=True)
ZHANG = resident_id(date(1985, 6, 1), 9, male=True)


def good_rows():
    return [
        [
            "王秀英",
            "女",
            WANG,
            "13900001111",
            "户主",
            "户籍",
            "滨江苑1幢1单元302",
            "2001-05-01",
            "独居老人",
        ],
        [
            "李建国",
            "男",
            LI,
            "13900002222",
            "配偶",
            "户籍",
            "滨江苑1幢1单元302室",
            "2001-05-01",
            "",
        ],
        ["张伟", "", ZHANG, "139 0000 3333", "户主", "流动人口", "滨江苑1幢1-402", "", ""],
    ]


def xlsx_bytes(rows, header=HEADER, title=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows, header=HEADER, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


class ImportCase(RegistryTestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="regimport-"))
        self.addCleanup(shutil.rmtree, self.tmp)

    def write(self, content: bytes, name="people.xlsx") -> str:
        path = self.tmp / name
        path.write_bytes(content)
        return str(path)

    def run_import(self, content, *args, name="people.xlsx", community=None):
        out = io.StringIO()
        call_command(
            "registry",
            "import",
            self.write(content, name),
            "--community",
            (community or self.community).code,
            *args,
            stdout=out,
        )
        return out.getvalue()

    def refused(self, content, *args, name="people.xlsx"):
        counts = self.counts()
        out = io.StringIO()
        with self.assertRaises(CommandError) as raised:
            call_command(
                "registry",
                "import",
                self.write(content, name),
                "--community",
                self.community.code,
                *args,
                stdout=out,
            )
        self.assertEqual(self.counts(), counts, "a refused import changed something")
        return out.getvalue() + "\n" + str(raised.exception)

    def counts(self):
        return (
            Person.objects.count(),
            Household.objects.count(),
            Room.objects.count(),
            RecordChange.objects.count(),
        )


class CommandImportTests(ImportCase):
    """The report in English; the page's tests read it in Chinese, the default."""

    def setUp(self):
        super().setUp()
        english = translation.override("en")
        english.__enter__()
        self.addCleanup(english.__exit__, None, None, None)

    def test_a_good_file_imports_every_row(self):
        output = self.run_import(xlsx_bytes(good_rows(), title="滨江社区实有人口登记表"))
        self.assertIn("3 new", output)
        wang = Person.objects.get(name="王秀英")
        self.assertEqual(wang.household.room, self.room)
        self.assertEqual(wang.birth_date, date(1950, 3, 8))
        self.assertEqual(wang.moved_in_on, date(2001, 5, 1))
        self.assertEqual(wang.masked_phone[-4:], "1111")
        self.assertEqual(list(wang.tags.all()), [self.elderly_alone])
        self.assertEqual(Person.objects.get(name="李建国").household, wang.household)
        zhang = Person.objects.get(name="张伟")
        self.assertEqual((zhang.household.room, zhang.sex), (self.second_room, "male"))
        self.assertEqual(zhang.residence_type, "floating")
        self.assertEqual(zhang.phone, "13900003333")
        self.assertEqual(RecordChange.objects.filter(record_type="person").count(), 3)
        self.assertNotIn(WANG, output)

    def test_reimporting_the_same_file_changes_nothing(self):
        content = xlsx_bytes(good_rows())
        self.run_import(content)
        counts = self.counts()
        updated = list(Person.objects.values_list("pk", "updated_at").order_by("pk"))
        output = self.run_import(content)
        self.assertIn("0 new, 0 updated, 0 moved within the community, 3 unchanged", output)
        self.assertEqual(self.counts(), counts)
        self.assertEqual(
            list(Person.objects.values_list("pk", "updated_at").order_by("pk")), updated
        )

    def test_a_changed_row_updates_the_person_once(self):
        self.run_import(xlsx_bytes(good_rows()))
        rows = good_rows()
        rows[0][3] = "13900009999"
        output = self.run_import(xlsx_bytes(rows))
        self.assertIn("1 updated", output)
        wang = Person.objects.get(name="王秀英")
        change = RecordChange.objects.filter(record_type="person", record_id=wang.pk).first()
        self.assertEqual(list(change.changes), ["phone"])
        self.assertNotIn("13900009999", str(change.changes))

    def test_an_id_added_later_completes_the_person_found_by_name(self):
        header = ["姓名", "户籍类型", "住址", "出生日期"]
        self.run_import(xlsx_bytes([["王秀英", "户籍", "滨江苑1幢1单元302", "1950-03-08"]], header))
        output = self.run_import(xlsx_bytes(good_rows()[:1]))
        self.assertIn("0 new, 1 updated", output)
        self.assertEqual(Person.objects.get(name="王秀英").document_number, WANG)

    def test_a_blank_cell_keeps_what_is_on_record(self):
        self.run_import(xlsx_bytes(good_rows()))
        rows = good_rows()
        rows[0][3] = rows[0][8] = ""
        self.assertIn("3 unchanged", self.run_import(xlsx_bytes(rows)))
        wang = Person.objects.get(name="王秀英")
        self.assertEqual(wang.phone, "13900001111")
        self.assertEqual(list(wang.tags.all()), [self.elderly_alone])
        rows[0][8] = "重点人员、独居老人"
        self.assertIn("1 updated", self.run_import(xlsx_bytes(rows)))
        self.assertEqual(set(wang.tags.all()), {self.elderly_alone, self.special_attention})

    def test_each_bad_row_is_named_and_nothing_changes(self):
        bad_check = WANG[:17] + ("0" if WANG[17] != "0" else "1")
        rows = good_rows() + [
            ["赵六", "男", bad_check, "13900004444", "户主", "户籍", "滨江苑1幢1单元302", "", ""],
            ["钱七", "男", "", "13900005555", "户主", "户籍", "滨江苑1幢9单元999", "", ""],
            ["王秀英", "女", WANG, "13900001111", "户主", "户籍", "滨江苑1幢1单元302", "", ""],
            ["孙八", "男", "", "", "户主", "户籍", "滨江苑1幢1单元302", "", ""],
            ["周九", "男", "", "12abc", "户主", "户籍", "滨江苑1幢1单元302", "", ""],
            ["吴十", "男", "", "", "户主", "火星", "滨江苑1幢1单元302", "", "不存在的标签"],
            ["郑一", "男", "", "", "户主", "户籍", "湖心苑1幢1单元101", "", ""],
            ['=HYPERLINK("x")', "男", "", "", "户主", "户籍", "滨江苑1幢1单元302", "", ""],
            [
                "冯二",
                "男",
                LI[:6] + "19480230" + LI[14:],
                "",
                "户主",
                "户籍",
                "滨江苑1幢1单元302",
                "",
                "",
            ],
        ]
        # 孙八 has no ID number: the move-in date is checked against the birth date column.
        rows = [row + [""] for row in rows]
        rows[6][7], rows[6][9] = "1940-01-01", "1950-01-01"
        content = xlsx_bytes(rows, header=HEADER + ["出生日期"])
        report = self.refused(content)
        self.assertIn("nothing was imported", report)
        self.assertIn("Row 5, 身份证号", report)  # check digit
        self.assertIn("Row 6, 住址", report)  # no such room
        self.assertIn("Row 7, 姓名", report)  # the same person as in row 2
        self.assertIn("row 2", report)
        self.assertIn("Row 8, 迁入日期", report)  # moved in before being born
        self.assertIn("Row 9, 联系电话", report)
        self.assertIn("Row 10, 户籍类型", report)
        self.assertIn("Row 10, 标签", report)
        self.assertIn("Row 11, 住址", report)  # another community's building
        self.assertIn("Row 12, 姓名", report)
        self.assertIn("Row 13, 身份证号", report)  # 30 February
        self.assertNotIn("Row 2,", report)

    def test_a_future_birth_date_is_refused(self):
        future = timezone.localdate() + timedelta(days=1)
        rows = [
            ["小明", "男", "", "", "子", "户籍", "滨江苑1幢1单元302", "", "", future.isoformat()]
        ]
        report = self.refused(xlsx_bytes(rows, header=HEADER + ["出生日期"]))
        self.assertIn("Row 2, 出生日期", report)

    def test_a_formula_cell_is_reported_never_evaluated(self):
        rows = good_rows()
        rows[1][0] = '=A2&"x"'
        report = self.refused(xlsx_bytes(rows))
        self.assertIn("Row 3, 姓名", report)
        self.assertIn("formula", report)

    def test_an_id_typed_as_a_number_is_refused(self):
        rows = good_rows()
        rows[0][2] = int(WANG[:17] + "0") if WANG[17] == "X" else int(WANG)
        self.assertIn("Row 2, 身份证号", self.refused(xlsx_bytes(rows)))

    def test_a_person_registered_in_another_community_is_flagged_not_duplicated(self):
        elsewhere = self.add_person(
            room=self.other_room, name="王秀英", born=date(1950, 3, 8), serial=7
        )
        self.assertEqual(elsewhere.document_number, WANG)
        output = self.run_import(xlsx_bytes(good_rows()))
        self.assertIn("Row 2, 身份证号: registered in another community", output)
        self.assertIn("2 new", output)
        self.assertEqual(Person.objects.filter(name="王秀英").count(), 1)
        elsewhere.refresh_from_db()
        self.assertEqual(elsewhere.household.room, self.other_room)

    def test_a_person_found_in_another_room_of_the_community_moves(self):
        person = self.add_person(
            room=self.second_room, name="王秀英", born=date(1950, 3, 8), serial=7
        )
        output = self.run_import(xlsx_bytes(good_rows()))
        self.assertIn("1 moved within the community", output)
        person.refresh_from_db()
        self.assertEqual(person.household.room, self.room)
        self.assertEqual(Person.objects.filter(name="王秀英").count(), 1)

    def test_rooms_are_created_only_when_asked(self):
        rows = [["钱七", "男", "", "", "户主", "户籍", "滨江苑1幢9单元901", "", ""]]
        self.assertIn("has no room 9单元901", self.refused(xlsx_bytes(rows)))
        output = self.run_import(xlsx_bytes(rows), "--create-rooms")
        self.assertIn("1 rooms created", output)
        room = Room.objects.get(building=self.building, unit="9", number="901")
        self.assertEqual(room.floor, 9)
        self.assertEqual(Person.objects.get(name="钱七").household.room, room)

    def test_the_standard_address_names_its_room(self):
        rows = good_rows()[:1]
        rows[0][6] = self.room.address
        self.assertIn("1 new", self.run_import(xlsx_bytes(rows)))
        self.assertEqual(Person.objects.get(name="王秀英").household.room, self.room)

    def test_building_unit_and_room_columns(self):
        header = ["姓名", "户籍类型", "楼栋", "单元", "房号", "出生日期"]
        rows = [["钱七", "户籍", "滨江苑1幢", "1单元", "402室", "1990-01-01"]]
        self.assertIn("1 new", self.run_import(xlsx_bytes(rows, header=header)))
        self.assertIn("1 unchanged", self.run_import(xlsx_bytes(rows, header=header)))
        self.assertEqual(Person.objects.get(name="钱七").household.room, self.second_room)

    def test_a_dry_run_saves_nothing(self):
        counts = self.counts()
        output = self.run_import(xlsx_bytes(good_rows()), "--dry-run")
        self.assertIn("dry run, nothing saved: 3 rows: 3 new", output)
        self.assertEqual(self.counts(), counts)

    def test_csv_in_gb18030_and_utf8(self):
        output = self.run_import(csv_bytes(good_rows(), encoding="gb18030"), name="people.csv")
        self.assertIn("3 new", output)
        self.assertTrue(Person.objects.filter(name="王秀英").exists())
        output = self.run_import(csv_bytes(good_rows(), encoding="utf-8-sig"), name="p.csv")
        self.assertIn("3 unchanged", output)

    def test_unknown_headers_are_reported_and_required_ones_missing_refuse(self):
        rows = [row + ["x"] for row in good_rows()]
        output = self.run_import(xlsx_bytes(rows, header=HEADER + ["备注"]))
        self.assertIn("ignored column: 备注", output)
        header = [h for h in HEADER if h != "户籍类型"]
        rows = [[c for i, c in enumerate(row) if HEADER[i] != "户籍类型"] for row in good_rows()]
        self.assertIn("no column for: 户籍类型", self.refused(xlsx_bytes(rows, header=header)))

    def test_files_that_are_not_a_list_of_people(self):
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
        self.assertIn("not a spreadsheet", self.refused(png))
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("readme.txt", "hello")
        self.assertIn("zip archive, not an Excel workbook", self.refused(archive.getvalue()))
        self.assertIn("damaged", self.refused(b"PK\x03\x04 not really a zip"))
        self.assertIn(".xls", self.refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50))
        self.assertIn("empty", self.refused(b""))
        self.assertIn("No header row", self.refused("甲,乙\n1,2\n".encode(), name="x.csv"))
        self.assertIn("no rows below its header", self.refused(xlsx_bytes([])))
        self.assertIn(
            "neither UTF-8 nor GB18030", self.refused(b"\xff\xfe\xfd,\x81\x20\n", name="x.csv")
        )

    def test_a_damaged_workbook_or_csv_is_refused_whole(self):
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("xl/workbook.xml", "<not xml")
            zipped.writestr("[Content_Types].xml", "<nor this")
        self.assertIn("damaged", self.refused(archive.getvalue()))
        # One field beyond the csv module's limit (128 KiB).
        content = csv_bytes(good_rows()) + b"x" * 200_000 + b",1\n"
        self.assertIn("cannot be read", self.refused(content, name="x.csv"))

    def test_a_tab_separated_file_and_the_sex_the_id_gives(self):
        rows = good_rows()
        rows[0][1] = "男"  # 王秀英's ID number says female
        out = io.StringIO()
        csv.writer(out, delimiter="\t").writerows([HEADER, *rows])
        report = self.refused(out.getvalue().encode(), name="x.txt")
        self.assertIn("Row 2, 性别: the sex differs", report)

    def test_limits_on_size_and_rows(self):
        content = xlsx_bytes(good_rows())
        with override_settings(REGISTRY_IMPORT={"MAX_BYTES": len(content) - 1}):
            self.assertIn("at most", self.refused(content))
        with override_settings(REGISTRY_IMPORT={"MAX_ROWS": 2}):
            self.assertIn("more than 2 rows", self.refused(content))

    def test_an_unknown_community_is_refused(self):
        with self.assertRaisesMessage(CommandError, "No community"):
            self.run_import(xlsx_bytes(good_rows()), community=self.grid)


class PageImportTests(ImportCase):
    url = reverse("registry:import")

    def post(self, content, name="people.xlsx", action="import", community=None, **extra):
        upload = SimpleUploadedFile(name, content)
        data = {"community": (community or self.community).code, "file": upload, "action": action}
        data.update(extra)
        return self.client.post(self.url, data)

    def test_community_staff_checks_then_imports(self):
        self.login(self.community_staff)
        page = self.client.get(self.url)
        self.assertContains(page, "滨江社区")
        self.assertNotContains(page, "湖心社区")
        counts = self.counts()
        checked = self.post(xlsx_bytes(good_rows()), action="check")
        self.assertContains(checked, "检查通过，可以导入")
        self.assertEqual(self.counts(), counts)
        with CaptureQueriesContext(connection) as queries:
            imported = self.post(xlsx_bytes(good_rows()))
        self.assertContains(imported, "已导入")
        self.assertEqual(
            Person.objects.filter(region_path__startswith=self.community.path).count(), 3
        )
        self.assertNotContains(imported, WANG)
        # The community's counts are right, written in one statement for the whole file.
        self.assertEqual(rollups.differences(), [])
        self.assertEqual(registry_figures([self.community.path]).population, 3)
        count_writes = [q for q in queries if "registry_communitycount" in q["sql"]]
        self.assertEqual(len(count_writes), 1)

    def test_a_bad_row_on_the_page_imports_nothing(self):
        self.login(self.street_staff)
        rows = good_rows()
        rows[2][6] = "滨江苑1幢8单元808"
        counts = self.counts()
        kept = list(
            CommunityCount.objects.order_by("pk").values_list(
                "community_path", "figure", "key", "count"
            )
        )
        response = self.post(xlsx_bytes(rows))
        self.assertContains(response, "未导入任何数据", status_code=400)
        self.assertEqual(
            list(
                CommunityCount.objects.order_by("pk").values_list(
                    "community_path", "figure", "key", "count"
                )
            ),
            kept,
        )
        self.assertContains(
            response,
            "<td>4</td><td>住址</td><td>滨江苑1幢 没有 8单元808 室。</td>",
            status_code=400,
        )
        self.assertEqual(self.counts(), counts)

    def test_create_rooms_checkbox(self):
        self.login(self.admin)
        rows = [["钱七", "男", "", "", "户主", "户籍", "滨江苑1幢9单元901", "", ""]]
        response = self.post(xlsx_bytes(rows), create_rooms="on")
        self.assertContains(response, "已导入")
        self.assertTrue(Room.objects.filter(unit="9", number="901").exists())

    def test_csv_gb18030_on_the_page(self):
        self.login(self.community_staff)
        response = self.post(csv_bytes(good_rows(), encoding="gb18030"), name="名单.csv")
        self.assertContains(response, "已导入")
        self.assertTrue(Person.objects.filter(name="张伟").exists())

    def test_scope(self):
        self.login(self.outsider)
        self.assertEqual(self.post(xlsx_bytes(good_rows())).status_code, 404)
        self.login(self.community_staff)
        response = self.post(xlsx_bytes(good_rows()), community=self.neighbour_community)
        self.assertEqual(response.status_code, 404)
        for user in (self.grid_worker, self.leader, self.resident, self.handler):
            self.login(user)
            self.assertEqual(self.client.get(self.url).status_code, 403, user.role)
        self.assertEqual(Person.objects.count(), 0)
        self.client.logout()
        self.assertEqual(self.client.get(self.url).status_code, 302)

    def test_a_200_mb_upload_is_refused_before_it_is_read(self):
        self.login(self.community_staff)
        body = b"--x\r\n"  # what follows would be 200 MB: the view must not read it
        response = self.client.generic(
            "POST",
            self.url,
            body,
            content_type="multipart/form-data; boundary=x",
            CONTENT_LENGTH=str(200 * 2**20),
        )
        self.assertContains(response, "文件过大", status_code=413)
        self.assertEqual(Person.objects.count(), 0)

    def test_the_csrf_check_still_runs_after_the_size_check(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.community_staff)
        upload = SimpleUploadedFile("people.xlsx", xlsx_bytes(good_rows()))
        data = {"community": self.community.code, "file": upload, "action": "import"}
        self.assertEqual(client.post(self.url, data).status_code, 403)
        self.assertEqual(Person.objects.count(), 0)

    def test_a_file_over_the_limit_is_refused(self):
        self.login(self.community_staff)
        content = xlsx_bytes(good_rows())
        with override_settings(REGISTRY_IMPORT={"MAX_BYTES": 1000}):
            response = self.post(content)
        self.assertEqual(response.status_code, 413)
        self.assertEqual(Person.objects.count(), 0)

    def test_not_a_spreadsheet_on_the_page(self):
        self.login(self.community_staff)
        response = self.post(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, name="photo.xlsx")
        self.assertContains(response, "不是表格", status_code=400)


@pytest.mark.postgres
class ConcurrentRegistrationTests(TransactionTestCase):
    """Two transactions register the same new document at once: the one that loses the
    unique index gets a clear refusal, not a server error, and writes nothing."""

    serialized_rollback = True

    def test_the_import_that_loses_the_race_says_so_and_writes_nothing(self):
        if connection.vendor != "postgresql":
            self.skipTest("needs PostgreSQL's row locks between two connections")
        cast = type("Cast", (), {})
        build_cast(cast)
        build_registry_cast(cast)

        def other_user_registers_wang():
            household = services.household_at(cast.neighbour_room)
            data = services.PersonInput(
                name="王秀英",
                residence_type="registered",
                document_type="resident_id",
                document_number=WANG,
            )
            services.save_person(None, data, household, via="test")

        tmp = Path(tempfile.mkdtemp(prefix="regimport-race-"))
        self.addCleanup(shutil.rmtree, tmp)
        path = tmp / "people.xlsx"
        path.write_bytes(xlsx_bytes(good_rows()))
        # The import's insert waits on the other's uncommitted row until that commits.
        with held_by_another_connection(other_user_registers_wang):
            before = Person.objects.count()
            with translation.override("en"), self.assertRaises(CommandError) as raised:
                call_command(
                    "registry",
                    "import",
                    str(path),
                    "--community",
                    cast.community.code,
                    stdout=io.StringIO(),
                )
        self.assertIn("Import the file again", str(raised.exception))
        # Only the other user's person (and household) were written.
        self.assertEqual(Person.objects.count(), before + 1)
