"""The registry's figures on the region pages, and their Excel export."""

from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook

from gridgov.registry.models import PersonTag, Tag
from gridgov.registry.tests.base import RegistryTestCase


class RegionFiguresTests(RegistryTestCase):
    def setUp(self):
        self.person = self.add_person(serial=1)
        self.add_person(room=self.neighbour_room, serial=2, name="李四")
        PersonTag.objects.create(person=self.person, tag=self.elderly_alone)

    def test_the_community_page_counts_its_residents(self):
        self.login(self.community_staff)
        page = self.client.get(reverse("regions:detail", args=[self.community.code]))
        rows = {label: value for _group, label, value in page.context["registry_rows"]}
        self.assertEqual(rows["实有人口"], 1)
        self.assertEqual(rows["独居老人"], 1)
        self.assertContains(page, "导出 Excel")

    def test_the_street_counts_both_communities_and_a_grid_worker_only_their_grids(self):
        self.login(self.street_staff)
        page = self.client.get(reverse("regions:detail", args=[self.street.code]))
        rows = {label: value for _group, label, value in page.context["registry_rows"]}
        self.assertEqual(rows["实有人口"], 2)
        self.login(self.grid_worker)
        page = self.client.get(reverse("regions:detail", args=[self.community.code]))
        rows = {label: value for _group, label, value in page.context["registry_rows"]}
        self.assertEqual(rows["实有人口"], 1)

    def test_a_department_handler_sees_the_area_but_not_its_registry(self):
        self.login(self.handler)
        page = self.client.get(reverse("regions:detail", args=[self.district.code]))
        self.assertEqual(page.status_code, 200)
        self.assertIsNone(page.context["registry_rows"])
        export = self.client.get(reverse("regions:registry_export", args=[self.district.code]))
        self.assertEqual(export.status_code, 404)

    def test_the_export_holds_the_figures_and_no_formula(self):
        Tag.objects.filter(pk=self.elderly_alone.pk).update(name='=HYPERLINK("http://x","y")')
        self.login(self.community_staff)
        response = self.client.get(reverse("regions:registry_export", args=[self.community.code]))
        self.assertEqual(response.status_code, 200)
        sheet = load_workbook(BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(rows[0], ("分组", "项目", "数量"))
        self.assertIn(("实有人口", "实有人口", 1), rows)
        tag_cell = next(c for c in sheet["B"] if c.value and str(c.value).startswith("="))
        self.assertEqual(tag_cell.data_type, "s")
        self.assertTrue(tag_cell.quotePrefix)

    def test_out_of_scope_export_is_not_found(self):
        self.login(self.outsider)
        response = self.client.get(reverse("regions:registry_export", args=[self.community.code]))
        self.assertEqual(response.status_code, 404)
