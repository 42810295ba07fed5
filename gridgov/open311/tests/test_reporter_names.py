"""Two people on one phone: each published request masks the name its own reporter gave."""

from gridgov.open311.tests.base import Open311TestCase


class SharedPhoneTests(Open311TestCase):
    def submit(self, first, last, description):
        response = self.post(
            data=self.valid(
                first_name=first, last_name=last, phone="13812345678", description=description
            )
        )
        self.assertEqual(response.status_code, 201, response.content)
        return self.json(response)[0]["service_request_id"]

    def test_the_second_callers_name_is_masked_in_what_is_published(self):
        self.submit("三", "张", "我是张三，门口垃圾没人清运。")
        number = self.submit("四", "李", "我是李四，垃圾还在。")
        [published] = self.json(self.get(f"requests/{number}.json"))
        self.assertNotIn("李四", published["description"])
        self.assertIn("李*", published["description"])
        self.assertNotIn("13812345678", str(published))
