"""No ID number or phone in clear in the database or its dumps; keys rotate in place."""

import io
import os
import shutil
import subprocess
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase, override_settings

from gridgov.accounts.tests.base import build_cast
from gridgov.registry import crypto, services
from gridgov.registry.models import Organisation, Person, find_person
from gridgov.registry.tests.base import RegistryTestCase, build_registry_cast, resident_id

NUMBER = resident_id(date(1948, 11, 2), 41, male=True)
PHONE = "13987654321"


def keys(*names) -> str:
    return ",".join(crypto.new_key_text(name) for name in names)


class AtRestTests(RegistryTestCase):
    def setUp(self):
        crypto.keyring.cache_clear()
        self.addCleanup(crypto.keyring.cache_clear)
        self.person = self.add_person(document_number=NUMBER, phone=PHONE, name="李建国")
        organisation = Organisation(
            name="滨江便利店", kind="shop", building=self.building, contact_name="赵六"
        )
        organisation.set_contact_phone("13811112222")
        organisation.save()

    def assert_nothing_in_clear(self, text: str):
        for secret in (NUMBER, PHONE, "13811112222", NUMBER[6:14] + NUMBER[14:]):
            self.assertNotIn(secret, text)

    def test_a_dump_of_the_database_shows_no_id_number_or_phone(self):
        out = io.StringIO()
        call_command("dumpdata", "registry", stdout=out)
        self.assert_nothing_in_clear(out.getvalue())
        self.assertIn("李建国", out.getvalue())  # the dump is real: it holds the person

    def test_the_raw_table_rows_hold_no_number_either(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM registry_person")
            rows = cursor.fetchall()
        self.assert_nothing_in_clear(repr(rows))

    def test_rotation_reseals_every_value_under_the_new_keys(self):
        old = crypto.keyring()
        old_keys = ",".join(
            f"{i}:{crypto.base64.urlsafe_b64encode(k).decode()}" for i, k in old.keys
        )
        old_index = ",".join(
            f"{i}:{crypto.base64.urlsafe_b64encode(k).decode()}" for i, k in old.index_keys
        )
        new_keys, new_index = keys("k9"), keys("h9")
        with override_settings(
            REGISTRY_KEYS=f"{new_keys},{old_keys}", REGISTRY_HMAC_KEYS=f"{new_index},{old_index}"
        ):
            crypto.keyring.cache_clear()
            # Before rotation the person is still found, under the old index key.
            self.assertEqual(find_person("resident_id", NUMBER), self.person)
            out = io.StringIO()
            call_command("registry", "rotate-keys", stdout=out)
            self.assertIn("person.document_sealed: 1", out.getvalue())
        with override_settings(REGISTRY_KEYS=new_keys, REGISTRY_HMAC_KEYS=new_index):
            crypto.keyring.cache_clear()
            person = Person.objects.get(pk=self.person.pk)
            self.assertTrue(person.document_sealed.startswith("k9:"))
            self.assertEqual((person.document_number, person.phone), (NUMBER, PHONE))
            self.assertEqual(find_person("resident_id", NUMBER), person)
            organisation = Organisation.objects.get()
            self.assertEqual(organisation.masked_contact_phone, "138****2222")

    def test_a_value_under_a_key_no_longer_listed_says_what_to_do(self):
        with override_settings(REGISTRY_KEYS=keys("k7"), REGISTRY_HMAC_KEYS=keys("h7")):
            crypto.keyring.cache_clear()
            person = Person.objects.get(pk=self.person.pk)
            with self.assertRaisesMessage(Exception, "rotate-keys"):
                _number = person.document_number

    def test_a_malformed_key_setting_is_refused_naming_the_variable(self):
        for bad in ("k1", "k1:short", "k1:" + "A" * 43 + ",k1:" + "B" * 43):
            with (
                self.subTest(bad=bad),
                override_settings(REGISTRY_KEYS=bad, REGISTRY_HMAC_KEYS=keys("h1")),
            ):
                crypto.keyring.cache_clear()
                with self.assertRaisesMessage(Exception, "REGISTRY_KEYS"):
                    crypto.keyring()

    def test_one_setting_without_the_other_is_refused(self):
        with override_settings(REGISTRY_KEYS=keys("k1"), REGISTRY_HMAC_KEYS=""):
            crypto.keyring.cache_clear()
            with self.assertRaisesMessage(Exception, "REGISTRY_HMAC_KEYS"):
                crypto.keyring()

    def test_new_key_prints_a_usable_key(self):
        out = io.StringIO()
        call_command("registry", "new-key", "k2", stdout=out)
        [(key_id, key)] = crypto.parse_keys(out.getvalue().strip(), "REGISTRY_KEYS")
        self.assertEqual((key_id, len(key)), ("k2", 32))


@pytest.mark.postgres
class PgDumpTests(TransactionTestCase):
    """pg_dump reads committed rows only: the person is committed here, then dumped."""

    # The flush after the test would otherwise also empty what the migrations put there
    # (the catalogue, the calendar) for the tests that follow.
    serialized_rollback = True

    def test_a_pg_dump_shows_no_id_number_or_phone(self):
        if connection.vendor != "postgresql" or not shutil.which("pg_dump"):
            self.skipTest("needs PostgreSQL and pg_dump")
        crypto.keyring.cache_clear()
        cast = type("Cast", (), {})
        build_cast(cast)
        build_registry_cast(cast)
        household = services.household_at(cast.room)
        services.save_person(
            None,
            services.PersonInput(
                name="李建国",
                residence_type="registered",
                document_type="resident_id",
                document_number=NUMBER,
                phone=PHONE,
            ),
            household,
            via="test",
        )
        db = connection.settings_dict
        result = subprocess.run(
            [
                "pg_dump",
                "--data-only",
                "--table=registry_*",
                "--host",
                db.get("HOST") or "127.0.0.1",
                "--port",
                str(db.get("PORT") or 5432),
                "--username",
                db.get("USER") or "postgres",
                db["NAME"],
            ],
            env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("李建国", result.stdout)  # the dump is real: it holds the person
        for secret in (NUMBER, PHONE):
            self.assertNotIn(secret, result.stdout)
