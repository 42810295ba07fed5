from django.urls import reverse

from gridgov.cases.models import Notification
from gridgov.cases.tests.base import CaseTestCase


class NoticeTestCase(CaseTestCase):
    def notices_of(self, case, action):
        return Notification.objects.filter(case=case, action=action)

    def page(self, user, **params):
        self.login(user)
        return self.client.get(reverse("notices:list"), params)

    def unread_on_page(self, response) -> set[int]:
        return {notice.pk for notice, _kind in response.context["rows"] if notice.unread}

    def listed(self, response) -> set[int]:
        return {notice.pk for notice, _kind in response.context["rows"]}
