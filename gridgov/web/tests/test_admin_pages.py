from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from gridgov.accounts.tests.base import CastTestCase


class AdminPagesTests(CastTestCase):
    def test_every_admin_list_and_add_page_opens_for_the_administrator(self):
        self.client.force_login(self.admin)
        for model, model_admin in admin.site._registry.items():
            opts = model._meta
            with self.subTest(model=opts.label):
                url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
                self.assertEqual(self.client.get(url).status_code, 200)
                if model_admin.has_add_permission(self._request()):
                    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
                    self.assertEqual(self.client.get(url).status_code, 200)

    def _request(self):
        request = RequestFactory().get("/admin/")
        request.user = self.admin
        return request
