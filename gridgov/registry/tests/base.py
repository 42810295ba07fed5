"""The cast (gridgov/accounts/tests/base.py) with buildings, rooms, tags and a household
in each grid, and synthetic resident ID numbers with valid check digits."""

import threading
from contextlib import contextmanager
from datetime import date

from django.db import connection, transaction

from gridgov.accounts.tests.base import CastTestCase, make_region
from gridgov.regions.choices import Level
from gridgov.registry import services
from gridgov.registry.choices import Relation, ResidenceType
from gridgov.registry.identity import resident_id_check_digit
from gridgov.registry.models import Room, Tag


def resident_id(born: date, serial: int = 1, region: str = "990101", male: bool = True) -> str:
    """A synthetic 18-digit resident ID: the demo city's region code (99…, no real
    province), the birth date, a serial whose last digit says the sex, the check digit."""
    sequence = serial * 2 + (1 if male else 0)
    first17 = f"{region}{born:%Y%m%d}{sequence % 1000:03d}"
    return first17 + resident_id_check_digit(first17)


def build_registry_cast(cls):
    """A building with rooms in cls.grid, cls.neighbour_grid and cls.other_grid; tags."""
    cls.building = make_region("990101001001001001", "滨江苑1幢", Level.BUILDING, cls.grid)
    cls.neighbour_building = make_region(
        "990101001002001001", "临河苑1幢", Level.BUILDING, cls.neighbour_grid
    )
    cls.other_building = make_region(
        "990102001001001001", "湖心苑1幢", Level.BUILDING, cls.other_grid
    )
    cls.room = Room.objects.create(building=cls.building, unit="1", number="302", floor=3)
    cls.second_room = Room.objects.create(building=cls.building, unit="1", number="402", floor=4)
    cls.neighbour_room = Room.objects.create(
        building=cls.neighbour_building, unit="2", number="101"
    )
    cls.other_room = Room.objects.create(building=cls.other_building, unit="1", number="101")
    # The standard tags come with the migrations (registry 0002).
    cls.elderly_alone = Tag.objects.get(code="elderly-alone")
    cls.special_attention = Tag.objects.get(code="special-attention")


class RegistryTestCase(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        build_registry_cast(cls)

    def add_person(self, room=None, name="王秀英", born=date(1950, 3, 8), serial=1, **fields):
        """A person in the room's household, through the service every door uses."""
        household = services.household_at(room or self.room)
        data = services.PersonInput(
            name=name,
            residence_type=fields.pop("residence_type", ResidenceType.REGISTERED),
            document_type=fields.pop("document_type", "resident_id"),
            document_number=fields.pop(
                "document_number", resident_id(born, serial, male=fields.pop("male", False))
            ),
            phone=fields.pop("phone", "13900001111"),
            relation=fields.pop("relation", Relation.HEAD),
            **fields,
        )
        return services.save_person(self.admin, data, household, via="test").person


@contextmanager
def held_by_another_connection(work):
    """Run `work` in a transaction on a second database connection and hold it open —
    its row locks taken — while the body runs; it commits a second later."""
    done, release = threading.Event(), threading.Event()

    def other():
        try:
            with transaction.atomic():
                work()
                done.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    assert done.wait(30), "the other connection's work did not finish"
    threading.Timer(1.0, release.set).start()
    try:
        yield
    finally:
        thread.join(30)
