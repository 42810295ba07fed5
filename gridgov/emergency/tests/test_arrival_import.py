"""Importing arrivals from a spreadsheet through the import page: .csv in UTF-8 or GB18030
and .xlsx with Chinese headers, checked without writing, all or nothing, every problem
named by its row and column, and the template to fill in."""

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from gridgov.emergency import services
from gridgov.emergency.arrival_import import HEADERS
from gridgov.emergency.models import Arrival, Channel, Measure
from gridgov.emergency.tests.base import WUHAN_JIANGHAN, EmergencyTestCase, at
from gridgov.registry.tests.base import resident_id

HEADER = (
    "姓名,证件类型,证件号码,联系电话,来源地代码,来源地,"
    "离开日期,抵达时间,居住楼栋,房号,报告渠道,报告单位"
)


@override_settings(LANGUAGE_CODE="en")
class ArrivalImportTests(EmergencyTestCase):
    url = "emergency:arrival_import"

    def row(self, name="张伟", code=WUHAN_JIANGHAN, place="", building=None, **cells):
        yesterday = self.days_ago(1).isoformat()
        values = {
            "name": name,
            "type": "",
            "number": "",
            "phone": "13900001234",
            "code": code,
            "place": place,
            "left": self.days_ago(2).isoformat(),
            "arrived": f"{yesterday} 09:30",
            "building": building or self.building.code,
            "room": "1-302",
            "channel": "",
            "by": "",
        }
        values.update(cells)
        return ",".join(values.values())

    def upload(self, lines, action="check", encoding="utf-8", name="arrivals.csv"):
        content = "\n".join([HEADER, *lines]).encode(encoding)
        return self.client.post(
            reverse(self.url),
            {"file": SimpleUploadedFile(name, content), "action": action},
        )

    def test_a_checked_file_writes_nothing_and_an_imported_one_decides_every_row(self):
        services.set_risk_area(
            self.city_leader,
            services.RiskAreaInput("high", self.days_ago(30), "x", division_code="420100"),
        )
        self.login(self.community_staff)
        lines = [
            self.row(),
            self.row(
                name="李娜",
                code="",
                place="武汉市江汉区",
                building=self.building.name,
                type="居民身份证",
                number=resident_id(self.days_ago(365 * 30), 3),
                channel="酒店",
                by="滨江大酒店",
            ),
        ]
        checked = self.upload(lines)
        self.assertContains(checked, "Checked: ready to import")
        self.assertContains(checked, "High risk")
        self.assertFalse(Arrival.objects.exists())
        imported = self.upload(lines, action="import")
        self.assertContains(imported, "Imported")
        first, second = Arrival.objects.order_by("pk")
        self.assertEqual((first.channel, first.room), (Channel.SPREADSHEET, self.room))
        self.assertEqual((second.channel, second.reporter_name), (Channel.HOTEL, "滨江大酒店"))
        self.assertEqual(second.origin_code, WUHAN_JIANGHAN)
        self.assertEqual(second.document_type, "resident_id")
        self.assertEqual(Measure.objects.filter(kind="central_quarantine").count(), 2)

    def test_gb18030_as_excel_saves_it_is_read(self):
        self.login(self.community_staff)
        response = self.upload([self.row()], action="import", encoding="gb18030")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(Arrival.objects.count(), 1)

    def test_one_bad_row_and_nothing_is_written_every_problem_by_row_and_column(self):
        self.login(self.community_staff)
        lines = [
            self.row(),
            self.row(code="999999"),
            self.row(left=self.today.isoformat()),
            self.row(building=self.other_building.code),
            self.row(arrived=self.days_ago(1).isoformat()),
            self.row(code="", place="鼓楼区"),
            self.row(type="居民身份证", number="110101199003071234"),
        ]
        response = self.upload(lines, action="import")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Nothing was imported", status_code=400)
        problems = [(p.row, p.column) for p in response.context["result"].problems]
        self.assertEqual(
            problems,
            [
                (3, "来源地代码"),
                (4, "离开日期"),
                (5, "居住楼栋"),
                (6, "抵达时间"),
                (7, "来源地"),
                (8, "证件号码"),
            ],
        )
        self.assertContains(response, "999999", status_code=400)
        self.assertContains(response, "no building of the area you work for", status_code=400)
        self.assertContains(response, "give the division code", status_code=400)
        self.assertFalse(Arrival.objects.exists())

    def test_a_file_without_the_needed_columns_or_rows_is_refused(self):
        self.login(self.community_staff)
        response = self.client.post(
            reverse(self.url),
            {
                "file": SimpleUploadedFile("a.csv", "姓名,联系电话\n张伟,139\n".encode()),
                "action": "check",
            },
        )
        self.assertContains(response, "no column for", status_code=400)
        response = self.upload([])
        self.assertContains(response, "no rows below its header", status_code=400)

    def test_an_xlsx_with_real_dates_is_read(self):
        self.login(self.grid_worker)
        book = Workbook()
        sheet = book.active
        sheet.append(["登记表"])
        sheet.append(["姓名", "来源地代码", "离开日期", "抵达时间", "居住楼栋"])
        arrived = self.days_ago(1)
        sheet.append(
            [
                "张伟",
                WUHAN_JIANGHAN,
                self.days_ago(2),
                at(arrived, 9).replace(tzinfo=None),
                self.building.code,
            ]
        )
        buffer = BytesIO()
        book.save(buffer)
        response = self.client.post(
            reverse(self.url),
            {"file": SimpleUploadedFile("a.xlsx", buffer.getvalue()), "action": "import"},
        )
        self.assertEqual(response.status_code, 200, response.context["result"].problems)
        arrival = Arrival.objects.get()
        self.assertEqual(arrival.reported_by, self.grid_worker)

    def test_the_template_names_every_column(self):
        self.login(self.community_staff)
        response = self.client.get(reverse("emergency:arrival_import_template"))
        self.assertEqual(response.status_code, 200)
        book = load_workbook(BytesIO(response.content))
        header = next(book.worksheets[0].iter_rows(values_only=True))
        self.assertEqual(list(header), [words[0] for words in HEADERS.values()])
        self.assertEqual(",".join(header), HEADER)

    def test_only_reporting_staff_import(self):
        self.login(self.dispatcher)
        self.assertEqual(self.client.get(reverse(self.url)).status_code, 403)
        self.login(self.handler)
        self.assertEqual(self.client.get(reverse(self.url)).status_code, 404)
        self.client.logout()
        self.assertEqual(self.client.get(reverse(self.url)).status_code, 302)
