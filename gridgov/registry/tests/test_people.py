from datetime import date

from django.core.exceptions import ValidationError

from gridgov.registry import services
from gridgov.registry.models import Person, RecordChange, find_person
from gridgov.registry.tests.base import RegistryTestCase, resident_id


class PersonTests(RegistryTestCase):
    def test_a_resident_id_is_checked_sealed_and_found_by_its_hash(self):
        number = resident_id(date(1950, 3, 8), 7, male=False)
        person = self.add_person(document_number=number)
        stored = Person.objects.filter(pk=person.pk).values().get()
        self.assertNotIn(number, str(stored))
        self.assertNotIn("13900001111", str(stored))
        self.assertEqual(person.birth_date, date(1950, 3, 8))
        self.assertEqual(person.sex, "female")
        self.assertEqual(find_person("resident_id", number.lower()), person)
        self.assertEqual(person.masked_document, number[:6] + "********" + number[-4:])
        self.assertEqual(person.masked_phone, "139****1111")

    def test_a_wrong_check_digit_is_refused_and_nothing_is_saved(self):
        number = resident_id(date(1950, 3, 8))
        wrong = number[:17] + ("0" if number[17] != "0" else "1")
        with self.assertRaises(ValidationError) as refused:
            self.add_person(document_number=wrong)
        self.assertIn("document_number", refused.exception.message_dict)
        self.assertFalse(Person.objects.exists())

    def test_a_birth_date_in_the_future_is_refused(self):
        with self.assertRaises(ValidationError) as refused:
            self.add_person(
                document_type="passport", document_number="E12345678", birth_date=date(2999, 1, 1)
            )
        self.assertIn("birth_date", refused.exception.message_dict)

    def test_the_same_person_registered_again_moves_rather_than_doubles(self):
        first = self.add_person(serial=3)
        moved = self.add_person(room=self.second_room, serial=3)
        self.assertEqual(first.pk, moved.pk)
        self.assertEqual(Person.objects.count(), 1)
        self.assertEqual(moved.household.room, self.second_room)
        change = RecordChange.objects.filter(record_id=first.pk).first()
        self.assertIn("household", change.changes)

    def test_an_unmasked_view_needs_a_purpose_and_is_audited(self):
        person = self.add_person()
        with self.assertRaises(ValidationError):
            services.reveal_person(self.community_staff, person, "")
        shown = services.reveal_person(self.community_staff, person, "上门核实低保")
        self.assertEqual(shown["phone"], "13900001111")
        self.assertEqual(person.views.get().purpose, "上门核实低保")
        with self.assertRaises(services.PermissionDenied):
            services.reveal_person(self.outsider, person, "查看")
        with self.assertRaises(services.PermissionDenied):
            services.reveal_person(self.grid_worker, person, "查看")

    def test_a_grid_worker_sees_only_the_households_of_their_grids(self):
        mine = self.add_person(serial=1)
        neighbours = self.add_person(room=self.neighbour_room, serial=2)
        visible = set(Person.objects.visible_to(self.grid_worker))
        self.assertEqual(visible, {mine})
        self.assertEqual(set(Person.objects.visible_to(self.community_staff)), {mine})
        self.assertEqual(set(Person.objects.visible_to(self.street_staff)), {mine, neighbours})
        self.assertFalse(Person.objects.visible_to(self.outsider).exists())
        self.assertFalse(Person.objects.visible_to(self.resident).exists())
