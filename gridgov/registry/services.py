"""The commands of the registry: every door (the grid worker's form, the import, the API)
goes through these, so a person is validated, de-duplicated, sealed and recorded the same
way whichever way they came in.
"""

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.choices import Role
from gridgov.registry.models import (
    Household,
    Person,
    PersonalDataView,
    RecordChange,
    Room,
    find_person,
)

# Who may edit the registry within their scope: those who collect it and keep it.
EDITORS = {Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMINISTRATOR}
# Who may see a person's numbers unmasked, for a stated purpose, within their scope.
REVEALERS = {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.LEADER, Role.ADMINISTRATOR}

PERSON_FIELDS = [
    "name",
    "sex",
    "birth_date",
    "relation",
    "residence_type",
    "moved_in_on",
    "moved_out_on",
]


def may_edit(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in EDITORS)


def may_reveal(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in REVEALERS)


def may_see_sensitive_tags(user) -> bool:
    roles = set(settings.REGISTRY_SENSITIVE_TAG_ROLES)
    return user.is_authenticated and (user.is_superuser or user.role in roles)


def reveal_person(user, person: Person, purpose: str) -> dict:
    """A person's numbers in clear, for a role allowed within its scope and a stated
    purpose; written to the audit before anything is returned."""
    if not may_reveal(user):
        raise PermissionDenied(_("Your role may not see personal numbers unmasked."))
    if not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise PermissionDenied(_("This person is outside the area you act for."))
    return audited_reveal(user, person, purpose)


def audited_reveal(user, record, purpose: str) -> dict:
    """The sealed numbers of a person or another record (an arrival) in clear, once the
    caller has checked that the user may see them: for a stated purpose, written to the
    audit before anything is returned."""
    purpose = (purpose or "").strip()
    if len(purpose) < 2:
        raise ValidationError({"purpose": _("Say why you need to see the numbers.")})
    whose = (
        {"person": record}
        if isinstance(record, Person)
        else {"record_type": record._meta.model_name, "record_id": record.pk}
    )
    PersonalDataView.objects.create(
        user=user, purpose=purpose[:200], region_path=record.region_path, **whose
    )
    return {"document_number": record.document_number, "phone": record.phone}


def record_change(actor, record, changes: dict, via: str) -> RecordChange | None:
    """The history of a record: each changed field's old and new value as shown (masked)."""
    if not changes:
        return None
    return RecordChange.objects.create(
        record_type=record._meta.model_name,
        record_id=record.pk,
        actor=actor if actor is not None and actor.is_authenticated else None,
        via=via[:40],
        changes=changes,
        region_path=record.region_path,
    )


def _shown(person: Person, name: str):
    value = getattr(person, name)
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass
class PersonInput:
    """What a form, a spreadsheet row or an API call says about a person."""

    name: str
    residence_type: str
    document_type: str = ""
    document_number: str = ""
    phone: str = ""
    sex: str = ""
    birth_date: date | None = None
    relation: str = ""
    moved_in_on: date | None = None
    moved_out_on: date | None = None
    tags: list = field(default_factory=list)


@dataclass
class PersonResult:
    person: Person
    created: bool
    # The person was registered in another household: moved here, not duplicated.
    moved_from: Household | None = None
    changed: dict = field(default_factory=dict)


def save_person(
    actor, data: PersonInput, household: Household | None, *, via: str, person: Person | None = None
) -> PersonResult:
    """Add or update a person. With a document number the registered person with it is
    found (under any index key), so nobody is registered twice: one registered in another
    household moves here, keeping their history. Raises ValidationError naming fields."""
    with transaction.atomic():
        if person is None and data.document_number:
            person = find_person(data.document_type, data.document_number)
            if person is not None:
                person = Person.objects.select_for_update().get(pk=person.pk)
        created = person is None
        person = person or Person()
        before = {name: _shown(person, name) for name in PERSON_FIELDS}
        before_document, before_phone = person.document_index, person.phone_index
        moved_from = (
            person.household
            if not created and household is not None and person.household_id != household.pk
            else None
        )
        for name in PERSON_FIELDS:
            value = getattr(data, name)
            if value not in (None, "") or name in {"moved_out_on"}:
                setattr(person, name, value)
        errors = {}
        try:
            person.set_document(data.document_type, data.document_number)
        except ValidationError as exc:
            errors.update(
                exc.message_dict
                if hasattr(exc, "error_dict")
                else {"document_number": exc.messages}
            )
        try:
            person.set_phone(data.phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
        if household is not None:
            person.household = household
        try:
            person.full_clean(
                exclude=[
                    "household",
                    "region_path",
                    "document_sealed",
                    "document_index",
                    "phone_sealed",
                    "phone_index",
                ]
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        person.save()
        if data.tags is not None:
            person.tags.set(data.tags)
        changes = {
            name: [before[name], _shown(person, name)]
            for name in PERSON_FIELDS
            if before[name] != _shown(person, name)
        }
        if person.document_index != before_document:
            changes["document_number"] = ["" if created else "***", person.masked_document]
        if person.phone_index != before_phone:
            changes["phone"] = ["" if created else "***", person.masked_phone]
        if moved_from is not None:
            changes["household"] = [str(moved_from), str(household)]
        record_change(actor, person, changes, via)
    return PersonResult(person, created, moved_from, changes)


def move_out(actor, household: Household, on: date, *, via: str) -> Household:
    """A household leaves its room: its members move out with it, their records kept."""
    if on > timezone.localdate():
        raise ValidationError({"moved_out_on": _("A move-out date cannot be in the future.")})
    with transaction.atomic():
        household.moved_out_on = on
        household.save(update_fields=["moved_out_on", "updated_at"])
        for member in household.members.filter(moved_out_on__isnull=True):
            member.moved_out_on = on
            member.save(update_fields=["moved_out_on", "updated_at"])
            record_change(actor, member, {"moved_out_on": [None, on.isoformat()]}, via)
        record_change(actor, household, {"moved_out_on": [None, on.isoformat()]}, via)
    return household


def household_at(room: Room, *, moved_in_on: date | None = None) -> Household:
    """The room's current household, made when it has none."""
    current = room.households.filter(moved_out_on__isnull=True).first()
    return current or Household.objects.create(room=room, moved_in_on=moved_in_on)
