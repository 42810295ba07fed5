"""The forms of the arrival pages: filtering the list, a report by staff, a person's own
report, a task done, a measure ended, a spreadsheet. They only read what was typed: the
rules (origin, dates, place, numbers) are checked by arrivals.report and report_many,
whose messages the views put back on these forms."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.emergency.arrivals import ArrivalInput
from gridgov.emergency.choices import RiskLevel
from gridgov.emergency.models import Channel
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.registry.choices import DocumentType
from gridgov.registry.importing import ROOM_TEXT
from gridgov.registry.models import Room, registry_scope, under

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
NUMBER_ATTRS = {"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}
STAFF_CHANNELS = [Channel.GRID_WORKER, Channel.EMPLOYER, Channel.HOTEL]
# Where the person's division search (arrivals.js) puts its suggestions.
ORIGIN_LIST = "division-suggestions"


def staff_buildings(user):
    """The buildings a staff member reports arrivals to: those whose registry they keep
    (a grid worker: in their grids), so that every arrival they report is one they see."""
    buildings = Region.objects.filter(level=Level.BUILDING)
    scope = registry_scope(user)
    if scope is not None:
        buildings = buildings.filter(under(scope, "path"))
    return buildings.select_related("parent").order_by("path")


def room_in(building: Region, text: str) -> Room | None:
    """The registry's room a room text (302, 2-302, 2单元302) names in the building, if
    it is registered; an unregistered room stays as text on the arrival."""
    match = ROOM_TEXT.match(text.strip())
    if not match:
        return None
    unit = match.group(1) or match.group(2) or ""
    rooms = Room.objects.filter(building=building, number=match.group(3))
    if unit:
        rooms = rooms.filter(unit=unit)
    found = list(rooms[:2])
    return found[0] if len(found) == 1 else None


class ArrivalFilterForm(forms.Form):
    risk_level = forms.ChoiceField(
        label=gettext_lazy("Origin's risk level"),
        required=False,
        choices=[("", gettext_lazy("Any"))] + RiskLevel.choices,
    )
    late = forms.BooleanField(label=gettext_lazy("Reported late only"), required=False)
    active = forms.BooleanField(label=gettext_lazy("With a measure under way"), required=False)
    since = forms.DateField(label=gettext_lazy("Arrived from"), required=False, widget=DATE)
    until = forms.DateField(label=gettext_lazy("Arrived until"), required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end of the range is before its start."))
        return data


class PersonFields(forms.Form):
    """What every report asks about the person and the journey."""

    name = forms.CharField(label=gettext_lazy("Full name"), max_length=50)
    document_type = forms.ChoiceField(
        label=gettext_lazy("ID document"),
        required=False,
        choices=[("", "—")] + DocumentType.choices,
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
    origin_code = forms.CharField(
        label=gettext_lazy("Coming from"),
        max_length=12,
        help_text=gettext_lazy(
            "The national division code (e.g. 420103), or type a place name and pick it."
        ),
        widget=forms.TextInput(
            attrs={"list": ORIGIN_LIST, "autocomplete": "off", "data-division-search": ""}
        ),
    )
    left_on = forms.DateField(label=gettext_lazy("Left there on"), widget=DATE)
    arrived_at = forms.DateTimeField(
        label=gettext_lazy("Arrived here at"), input_formats=DATETIME_FORMATS, widget=DATETIME
    )
    room = forms.CharField(
        label=gettext_lazy("Room"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("e.g. 302 or 2-302"),
    )

    def clean_document_number(self):
        return self.cleaned_data["document_number"].strip()

    def clean_phone(self):
        return self.cleaned_data["phone"].strip()

    def clean(self):
        data = super().clean()
        if data.get("document_number") and not data.get("document_type"):
            self.add_error("document_type", _("Choose the kind of ID document."))
        return data

    def arrival_input(self, building: Region, channel: str, reporter_name: str = ""):
        data = self.cleaned_data
        room_text = data["room"].strip()
        room = room_in(building, room_text) if room_text else None
        return ArrivalInput(
            name=data["name"],
            origin_code=data["origin_code"],
            left_on=data["left_on"],
            arrived_at=data["arrived_at"],
            region=building,
            room=room,
            address="" if room is not None or not room_text else f"{building.name} {room_text}",
            channel=channel,
            document_type=data["document_type"] if data["document_number"] else "",
            document_number=data["document_number"],
            phone=data["phone"],
            reporter_name=reporter_name,
        )


class ArrivalForm(PersonFields):
    """A report by a grid worker, or for an employer or a hotel that told them."""

    building = forms.ChoiceField(
        label=gettext_lazy("Staying in building"),
        error_messages={
            "invalid_choice": gettext_lazy("This building is outside the area you work for.")
        },
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Reported by"),
        choices=[(channel.value, channel.label) for channel in STAFF_CHANNELS],
        initial=Channel.GRID_WORKER,
    )
    reporter_name = forms.CharField(
        label=gettext_lazy("Employer or hotel"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("The organisation that reported them, for an employer or a hotel."),
    )

    field_order = ["name", "document_type", "document_number", "phone", "origin_code"]

    def __init__(self, *args, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.buildings = {building.code: building for building in buildings}
        self.fields["building"].choices = [("", "—")] + [
            (b.code, f"{b.parent.name} · {b.name}") for b in self.buildings.values()
        ]

    def clean(self):
        data = super().clean()
        if (
            data.get("channel") in (Channel.EMPLOYER, Channel.HOTEL)
            and not (data.get("reporter_name") or "").strip()
        ):
            self.add_error("reporter_name", _("Name the employer or hotel that reported them."))
        return data

    def to_input(self) -> ArrivalInput:
        data = self.cleaned_data
        channel = data["channel"]
        return self.arrival_input(
            self.buildings[data["building"]],
            channel,
            data["reporter_name"] if channel != Channel.GRID_WORKER else "",
        )


class SelfReportForm(PersonFields):
    """A person's own report: where they stay is picked as a community, then one of its
    buildings (the building list follows the community chosen)."""

    community = forms.ChoiceField(label=gettext_lazy("Community"))
    building = forms.ChoiceField(label=gettext_lazy("Building"))
    consent = forms.BooleanField(
        label=gettext_lazy(
            "I agree that these details are used by the community only for the health "
            "measures of my arrival, and kept as the law on personal information requires."
        )
    )
    idempotency_key = forms.CharField(required=False, max_length=128, widget=forms.HiddenInput)

    field_order = [
        "name",
        "document_type",
        "document_number",
        "phone",
        "origin_code",
        "left_on",
        "arrived_at",
        "community",
        "building",
        "room",
        "consent",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        communities = Region.objects.filter(level=Level.COMMUNITY).select_related("parent")
        grouped: dict[str, list] = {}
        for community in communities.order_by("path"):
            grouped.setdefault(community.parent.name, []).append((community.code, community.name))
        self.fields["community"].choices = [("", "—"), *grouped.items()]
        self.fields["community"].widget.attrs["data-buildings-of"] = ""
        code = self.data.get("community") or self.initial.get("community")
        self.buildings = {}
        if code:
            self.buildings = {building.code: building for building in buildings_of(code)}
        self.fields["building"].choices = [("", "—")] + [
            (code, building.name) for code, building in self.buildings.items()
        ]

    def to_input(self) -> ArrivalInput:
        return self.arrival_input(self.buildings[self.cleaned_data["building"]], Channel.SELF)


def buildings_of(community_code: str):
    community = Region.objects.filter(level=Level.COMMUNITY, code=community_code).first()
    if community is None:
        return Region.objects.none()
    return Region.objects.filter(level=Level.BUILDING, path__startswith=community.path).order_by(
        "path"
    )


class TaskDoneForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=1000,
        widget=forms.TextInput(
            attrs={"placeholder": gettext_lazy("what was done, what was found")}
        ),
    )


class MeasureCloseForm(forms.Form):
    outcome = forms.CharField(
        label=gettext_lazy("How it went"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    early = forms.BooleanField(
        label=gettext_lazy("End it before its last day (say why above)"), required=False
    )


class ArrivalImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Spreadsheet (.xlsx or .csv)"), allow_empty_file=True)
