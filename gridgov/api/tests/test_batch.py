"""POST /api/v1/cases/batch: many cases at once, each checked on its own, retries safe."""

from gridgov.api.tests.base import ApiTestCase, api_url
from gridgov.cases.models import Case, CaseEvent, Reporter
from gridgov.cases.tests.base import run_queued_tasks

BATCH = api_url("case-batch")


def item(n, **fields):
    return {
        "channel": "hotline",
        "case_type": "complaint",
        "title": f"路灯不亮 {n}",
        "description": "晚上很黑。",
        "lng": 120.105,
        "lat": 30.205,
        "datum": "gcj02",
        "reporter_name": "王五",
        "reporter_phone": f"1390000{n:04d}",
        "idempotency_key": f"feed-{n}",
        **fields,
    }


class BatchIntakeTests(ApiTestCase):
    def send(self, items, user=None):
        return self.post(BATCH, {"cases": items}, user or self.dispatcher)

    def test_each_case_is_taken_in_as_a_single_intake_would(self):
        response = self.send([item(1, category="E0502"), item(2)])
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual((body["created"], body["existing"], body["refused"]), (2, 0, 0))
        numbers = [result["number"] for result in body["results"]]
        self.assertEqual(len(set(numbers)), 2)
        first = Case.objects.get(number=numbers[0])
        self.assertEqual(
            (first.channel, first.category.code, first.region, first.status, first.title),
            ("hotline", "E0502", self.grid, "received", "路灯不亮 1"),
        )
        self.assertEqual(first.reporter.phone, "13900000001")
        self.assertIsNotNone(first.due_at)
        self.assertEqual(first.created_by, self.dispatcher)
        event = CaseEvent.objects.get(case=first)
        self.assertEqual(
            (event.action, event.actor, event.data),
            ("receive", self.dispatcher, {"channel": "hotline"}),
        )
        # The same case as a single intake answers it, at the URL the result gives.
        detail = self.get(body["results"][0]["url"], self.dispatcher).json()
        self.assertEqual(detail["number"], numbers[0])
        self.assertEqual(detail["events"][0]["action"], "receive")

    def test_numbers_follow_on_from_single_intakes_without_gaps(self):
        single = self.post(api_url("case-list"), item(9), self.dispatcher).json()["number"]
        numbers = [r["number"] for r in self.send([item(1), item(2), item(3)]).json()["results"]]
        after = self.post(api_url("case-list"), item(10), self.dispatcher).json()["number"]
        sequence = [int(n.split("-")[1]) for n in [single, *numbers, after]]
        self.assertEqual(sequence, list(range(sequence[0], sequence[0] + 5)))

    def test_a_bad_item_is_refused_with_its_errors_and_the_others_are_taken_in(self):
        items = [
            item(1),
            item(2, lng=150.0),
            item(3, title=""),
            "not a case",
            item(4, category={"code": "E0502"}),
        ]
        body = self.send(items).json()
        statuses = [result["status"] for result in body["results"]]
        self.assertEqual(statuses, [201, 400, 400, 400, 400])
        self.assertEqual([r["index"] for r in body["results"]], [0, 1, 2, 3, 4])
        self.assertIn("lng", body["results"][1]["errors"])
        self.assertIn("title", body["results"][2]["errors"])
        self.assertIn("non_field_errors", body["results"][3]["errors"])
        self.assertIn("category", body["results"][4]["errors"])
        self.assertEqual(Case.objects.count(), 1)
        self.assertEqual(Case.objects.get().title, "路灯不亮 1")

    def test_a_retried_batch_creates_nothing_twice(self):
        first = self.send([item(1), item(2)]).json()
        again = self.send([item(1), item(2), item(3)]).json()
        self.assertEqual([r["status"] for r in again["results"]], [200, 200, 201])
        self.assertEqual(
            [r["number"] for r in again["results"][:2]], [r["number"] for r in first["results"]]
        )
        self.assertEqual(Case.objects.count(), 3)

    def test_the_same_key_twice_in_one_batch_is_one_case(self):
        body = self.send([item(1), item(1)]).json()
        self.assertEqual([r["status"] for r in body["results"]], [201, 200])
        self.assertEqual(body["results"][0]["number"], body["results"][1]["number"])
        self.assertEqual(Case.objects.count(), 1)

    def test_a_key_a_single_intake_used_answers_with_its_case(self):
        single = self.post(
            api_url("case-list"), item(1), self.dispatcher, HTTP_IDEMPOTENCY_KEY="feed-1"
        ).json()
        body = self.send([item(1)]).json()
        self.assertEqual(body["results"][0]["status"], 200)
        self.assertEqual(body["results"][0]["number"], single["number"])

    def test_keys_are_per_client(self):
        self.send([item(1)])
        body = self.send([item(1)], self.admin).json()
        self.assertEqual(body["results"][0]["status"], 201)

    def test_reporters_are_found_by_phone_and_name_or_made_once(self):
        known = Reporter.objects.create(phone="13900000001", name="王五")
        Reporter.objects.create(phone="13900000001", name="")
        self.send([item(1), item(2), item(3, reporter_phone="139-0000-0002")])
        self.assertEqual(known.cases.count(), 1)
        self.assertEqual(Reporter.objects.filter(phone="13900000001").count(), 2)
        self.assertEqual(Reporter.objects.filter(phone="13900000002").count(), 1)
        self.assertEqual(Reporter.objects.get(phone="13900000002").cases.count(), 2)

    def test_new_cases_are_queued_for_triage_in_one_task(self):
        from django_tasks_db.models import DBTaskResult

        from gridgov.triage.tasks import triage_cases_task

        body = self.send([item(1), item(2)]).json()
        [queued] = DBTaskResult.objects.filter(task_path=triage_cases_task.module_path)
        pks = list(
            Case.objects.filter(number__in=[r["number"] for r in body["results"]])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        self.assertEqual(sorted(queued.args_kwargs["args"][0]), pks)
        run_queued_tasks()  # no model trained: nothing to suggest, nothing fails
        queued.refresh_from_db()
        self.assertEqual(queued.status, "SUCCESSFUL")

    def test_only_staff_who_take_cases_in_may_send_a_batch(self):
        for user in (self.handler, self.resident, self.leader):
            with self.subTest(user=user.username):
                self.assertJsonError(self.send([item(1)], user), 403)
        self.assertJsonError(self.post(BATCH, {"cases": [item(1)]}), 401)
        self.assertEqual(Case.objects.count(), 0)

    def test_a_malformed_or_oversized_batch_is_refused_whole(self):
        for body in ({}, {"cases": []}, {"cases": {"a": 1}}, [item(1)]):
            with self.subTest(body=body):
                self.assertJsonError(self.post(BATCH, body, self.dispatcher), 400)
        response = self.send([item(n) for n in range(101)])
        self.assertIn("100", self.assertJsonError(response, 400)["detail"])
        self.assertEqual(Case.objects.count(), 0)

    def test_a_bad_idempotency_key_refuses_its_item(self):
        body = self.send([item(1, idempotency_key="has space"), item(2, idempotency_key=7)]).json()
        self.assertEqual([r["status"] for r in body["results"]], [400, 400])
        self.assertIn("idempotency_key", body["results"][0]["errors"])
        self.assertEqual(Case.objects.count(), 0)
