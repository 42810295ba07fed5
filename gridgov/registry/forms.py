"""The grid worker's forms: a person, a room's use, an organisation, a visit note.

Persons are saved through services.save_person like every other door; the other records
write their history through services.record_change, with phones masked.
"""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases.models import Case
from gridgov.registry import services
from gridgov.registry.choices import DocumentType, DwellingUse, Sensitivity
from gridgov.registry.models import (
    Dwelling,
    Organisation,
    PatrolLog,
    Person,
    Tag,
    find_person,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NUMBER_ATTRS = {"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}


def add_service_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError on the form: on the field it names, or above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, messages in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, messages)


def _shown(value):
    return value.isoformat() if isinstance(value, date) else value


def _tracked_changes(before: dict, instance, names) -> dict:
    after = {name: _shown(getattr(instance, name)) for name in names}
    return {name: [before[name], after[name]] for name in names if before[name] != after[name]}


class PersonForm(forms.Form):
    """Every field of a person. The numbers are never shown back in clear: left blank on an
    edit, the registered ones are kept."""

    name = forms.CharField(label=gettext_lazy("Full name"), max_length=50)
    sex = forms.ChoiceField(label=gettext_lazy("Sex"), required=False)
    birth_date = forms.DateField(label=gettext_lazy("Birth date"), required=False, widget=DATE)
    document_type = forms.ChoiceField(
        label=gettext_lazy("ID document"), required=False, choices=DocumentType.choices
    )
    document_number = forms.CharField(
        label=gettext_lazy("Document number"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs=NUMBER_ATTRS),
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    relation = forms.ChoiceField(label=gettext_lazy("Relation to the head"), required=False)
    residence_type = forms.ChoiceField(label=gettext_lazy("Residence type"))
    moved_in_on = forms.DateField(label=gettext_lazy("Moved in"), required=False, widget=DATE)
    moved_out_on = forms.DateField(label=gettext_lazy("Moved out"), required=False, widget=DATE)
    tags = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Tags"),
        queryset=Tag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, person: Person | None = None, **kwargs):
        self.user, self.person = user, person
        if person is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(person, name) for name in services.PERSON_FIELDS} | {
                "document_type": person.document_type or DocumentType.RESIDENT_ID
            }
            kwargs["initial"]["tags"] = list(person.tags.all())
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        model = Person._meta
        self.fields["sex"].choices = blank + list(model.get_field("sex").choices)
        self.fields["relation"].choices = blank + list(model.get_field("relation").choices)
        self.fields["residence_type"].choices = blank + list(
            model.get_field("residence_type").choices
        )
        self.fields["document_type"].initial = DocumentType.RESIDENT_ID
        self.may_see_sensitive = services.may_see_sensitive_tags(user)
        tags = Tag.objects.filter(is_active=True)
        if person is not None:
            tags = Tag.objects.filter(pk__in=tags) | person.tags.all()
        if not self.may_see_sensitive:
            tags = tags.exclude(sensitivity=Sensitivity.SENSITIVE)
        self.fields["tags"].queryset = tags.distinct().order_by("code")
        if person is not None and person.document_sealed:
            self.fields["document_number"].help_text = _(
                "Registered: %(masked)s. Leave blank to keep it."
            ) % {"masked": person.masked_document}
        if person is not None and person.phone_sealed:
            self.fields["phone"].help_text = _(
                "Registered: %(masked)s. Leave blank to keep it."
            ) % {"masked": person.masked_phone}

    def clean(self):
        data = super().clean()
        person = self.person
        number = (data.get("document_number") or "").strip()
        if number and not data.get("document_type"):
            self.add_error("document_type", _("Choose the kind of document."))
        if (
            not number
            and person is not None
            and person.document_sealed
            and data.get("document_type")
            and data["document_type"] != person.document_type
        ):
            self.add_error(
                "document_number", _("Enter the number again to change the kind of document.")
            )
        return data

    def _hidden_tags(self, number: str, document_type: str) -> list:
        """The sensitive tags the user may not see stay on the person they belong to."""
        if self.may_see_sensitive:
            return []
        target = self.person
        if target is None and number:
            target = find_person(document_type, number)
        if target is None:
            return []
        return list(target.tags.filter(sensitivity=Sensitivity.SENSITIVE))

    def to_input(self) -> services.PersonInput:
        data = self.cleaned_data
        person = self.person
        document_type, number = data["document_type"], data["document_number"].strip()
        if not number and person is not None and person.document_sealed:
            # The registered number, re-sealed as it is: its blind index does not change.
            document_type, number = person.document_type, person.document_number
        phone = data["phone"].strip()
        if not phone and person is not None and person.phone_sealed:
            phone = person.phone
        return services.PersonInput(
            name=data["name"].strip(),
            residence_type=data["residence_type"],
            document_type=document_type if number else "",
            document_number=number,
            phone=phone,
            sex=data["sex"],
            birth_date=data["birth_date"],
            relation=data["relation"],
            moved_in_on=data["moved_in_on"],
            moved_out_on=data["moved_out_on"],
            tags=list(data["tags"]) + self._hidden_tags(number, document_type),
        )

    def save(self, household, *, retried=False) -> services.PersonResult | None:
        """Through the service; its refusals land on the form's fields, and None returns."""
        try:
            return services.save_person(
                self.user, self.to_input(), household, via="page", person=self.person
            )
        except ValidationError as exc:
            add_service_errors(self, exc)
            return None
        except IntegrityError:
            # The same document registered by someone else meanwhile: once more, and that
            # person is found rather than doubled.
            if retried or self.person is not None:
                raise
            return self.save(household, retried=True)


class DwellingForm(forms.ModelForm):
    class Meta:
        model = Dwelling
        fields = ["use", "tenant_household", "rented_from", "rented_to"]
        widgets = {"rented_from": DATE, "rented_to": DATE, "use": forms.RadioSelect}
        labels = {
            "use": gettext_lazy("Use"),
            "tenant_household": gettext_lazy("Tenant household"),
            "rented_from": gettext_lazy("Rented from"),
            "rented_to": gettext_lazy("Rented to"),
        }

    def __init__(self, *args, room, user, **kwargs):
        kwargs.setdefault("instance", getattr(room, "dwelling", None) or Dwelling(room=room))
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["use"].choices = DwellingUse.choices
        self.fields["tenant_household"].queryset = room.households.order_by("-moved_in_on", "-pk")
        self.fields["tenant_household"].label_from_instance = _household_label
        self.before = {name: _shown(getattr(self.instance, name)) for name in self.Meta.fields}
        self.before["tenant_household"] = self.instance.tenant_household_id

    def save(self, commit=True):
        dwelling = super().save()
        after = {name: _shown(getattr(dwelling, name)) for name in self.Meta.fields}
        after["tenant_household"] = dwelling.tenant_household_id
        changes = {
            name: [self.before[name], after[name]]
            for name in self.Meta.fields
            if self.before[name] != after[name]
        }
        services.record_change(self.user, dwelling, changes, via="page")
        return dwelling


def _household_label(household):
    since = household.moved_in_on.isoformat() if household.moved_in_on else "?"
    until = household.moved_out_on.isoformat() if household.moved_out_on else _("now")
    return _("Household %(id)s (%(since)s – %(until)s)") % {
        "id": household.pk,
        "since": since,
        "until": until,
    }


class MoveOutForm(forms.Form):
    moved_out_on = forms.DateField(label=gettext_lazy("Moved out on"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["moved_out_on"].initial = timezone.localdate()


class OrganisationForm(forms.ModelForm):
    """The room is named by its number within the building (`302` or `1-302`), not picked
    from every room of the area."""

    room_number = forms.CharField(
        label=gettext_lazy("Room"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("Unit and room, such as 1-302; blank for the whole building."),
    )
    tracked = ["name", "kind", "credit_code", "building_id", "room_id", "contact_name", "is_active"]

    contact_phone = forms.CharField(
        label=gettext_lazy("Contact phone"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )

    class Meta:
        model = Organisation
        fields = ["name", "kind", "credit_code", "building", "contact_name", "is_active"]
        labels = {
            "name": gettext_lazy("Name"),
            "kind": gettext_lazy("Kind"),
            "credit_code": gettext_lazy("Unified social credit code"),
            "building": gettext_lazy("Building"),
            "contact_name": gettext_lazy("Contact person"),
            "is_active": gettext_lazy("In operation"),
        }

    def __init__(self, *args, user, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["building"].queryset = buildings
        self.fields["building"].label_from_instance = lambda b: f"{b.parent.name} · {b.name}"
        order = ["name", "kind", "credit_code", "building", "room_number", "contact_name"]
        self.order_fields(order + ["contact_phone", "is_active"])
        instance = self.instance
        if instance.pk and instance.room_id:
            room = instance.room
            self.initial["room_number"] = f"{room.unit}-{room.number}" if room.unit else room.number
        if instance.contact_phone_sealed:
            self.fields["contact_phone"].help_text = _(
                "Registered: %(masked)s. Leave blank to keep it."
            ) % {"masked": instance.masked_contact_phone}
        self.before = {name: _shown(getattr(instance, name)) for name in self.tracked}
        self.before_phone = instance.contact_phone_index

    def clean_credit_code(self):
        code = self.cleaned_data["credit_code"].strip().upper()
        if code and (len(code) != 18 or not code.isalnum()):
            raise ValidationError(_("A unified social credit code has 18 letters and digits."))
        return code

    def clean(self):
        data = super().clean()
        building = data.get("building")
        text = (data.get("room_number") or "").strip().replace("－", "-")
        self.room = None
        if building is not None and text:
            unit, _sep, number = text.rpartition("-")
            rooms = building.rooms.filter(number=number)
            if unit:
                rooms = rooms.filter(unit=unit)
            self.room = rooms.first() if rooms.count() == 1 else None
            if self.room is None:
                self.add_error("room_number", _("No such room in this building."))
        phone = (data.get("contact_phone") or "").strip()
        if phone:
            try:
                self.instance.set_contact_phone(phone)
            except ValidationError as exc:
                self.add_error("contact_phone", exc.messages)
        return data

    def save(self, commit=True):
        organisation = super().save(commit=False)
        organisation.room = self.room
        organisation.save()
        changes = _tracked_changes(self.before, organisation, self.tracked)
        if organisation.contact_phone_index != self.before_phone:
            old = "***" if self.before_phone else ""
            changes["contact_phone"] = [old, organisation.masked_contact_phone]
        services.record_change(self.user, organisation, changes, via="page")
        return organisation


class VisitForm(forms.Form):
    """A visit note: when, what was found, and the case it produced if any."""

    visited_at = forms.DateTimeField(
        label=gettext_lazy("Visited at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    found = forms.CharField(
        label=gettext_lazy("What was found"), max_length=2000, widget=forms.Textarea({"rows": 3})
    )
    case_number = forms.CharField(label=gettext_lazy("Case number"), required=False, max_length=32)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["visited_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean_visited_at(self):
        value = self.cleaned_data["visited_at"]
        if value > timezone.now():
            raise ValidationError(_("A visit cannot be in the future."))
        return value

    def clean_case_number(self):
        number = self.cleaned_data["case_number"].strip()
        if not number:
            return None
        # A case outside the user's scope is refused like one that does not exist.
        case = Case.objects.visible_to(self.user).filter(number=number).first()
        if case is None:
            raise ValidationError(_("No case you can see has this number."))
        return case

    def save(self, *, grid, room=None, household=None, organisation=None) -> PatrolLog:
        data = self.cleaned_data
        return PatrolLog.objects.create(
            worker=self.user,
            grid=grid,
            room=room,
            household=household,
            organisation=organisation,
            visited_at=data["visited_at"],
            found=data["found"].strip(),
            case=data["case_number"],
        )


class RevealForm(forms.Form):
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"),
        max_length=200,
        help_text=gettext_lazy("Why you need the numbers; it is recorded with your name."),
    )
