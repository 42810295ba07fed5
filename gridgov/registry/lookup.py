"""Finding registered persons by what an operator has at hand: a name, a phone or an ID
number. Numbers are matched by their blind index, never by reading them."""

from dataclasses import dataclass

from django.db.models import Q

from gridgov.registry import crypto, identity
from gridgov.registry.models import Household, Organisation, Person, Room

LIMIT = 10


def registry_lookup(user, text: str, limit: int = LIMIT):
    text = (text or "").strip()
    if len(text) < 2:
        return Person.objects.none()
    persons = Person.objects.visible_to(user).filter(moved_out_on__isnull=True)
    folded = identity.normal_document_number(text)
    if len(folded) == 18 and folded[:17].isdigit():
        condition = Q(
            document_type="resident_id",
            document_index__in=crypto.blind_indexes(folded, "document:resident_id"),
        )
    elif folded.lstrip("+").isdigit() and len(folded.lstrip("+")) >= 5:
        phone = identity.normal_phone(text)
        condition = Q(phone_index__in=crypto.blind_indexes(phone, "phone"))
    else:
        condition = Q(name__startswith=text) if len(text) < 3 else Q(name__contains=text)
    return (
        persons.filter(condition).select_related("household__room").order_by("name", "pk")[:limit]
    )


@dataclass
class Place:
    """What the registry knows of a case's room: its household (masked) and organisations."""

    room: Room
    household: Household | None
    members: list
    organisations: list


def place_of_case(user, case) -> Place | None:
    """The registry's view of the room a case is about, for a viewer who may see that
    room's registry records; None otherwise (a resident, someone out of scope, no room)."""
    if case.room_id is None:
        return None
    room = Room.objects.visible_to(user).filter(pk=case.room_id).first()
    if room is None:
        return None
    household = room.households.filter(moved_out_on__isnull=True).first()
    members = list(household.members.filter(moved_out_on__isnull=True)) if household else []
    organisations = list(
        Organisation.objects.filter(Q(room=room) | Q(room__isnull=True, building=room.building_id))
        .filter(is_active=True)
        .order_by("name")
    )
    return Place(room, household, members, organisations)
