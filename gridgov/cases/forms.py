"""The fields each action takes, validated the same way for the pages and the API.

Every action form is built with the case and the acting user, so that choices (units,
the master case of a merge) are checked against what that user may see.
"""

import warnings

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Department
from gridgov.cases import routing
from gridgov.cases.choices import (
    Action,
    CaseType,
    Channel,
    ResponseRating,
    Satisfaction,
    Status,
    Urgency,
)
from gridgov.cases.models import Category
from gridgov.lib.validators import validate_text
from gridgov.regions.choices import Datum
from gridgov.regions.models import Region
from gridgov.registry.models import Room
from gridgov.workdays.choices import DeadlineUnit

ALLOWED_IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def check_photo(upload):
    """An image of an allowed type and size, checked by decoding it, not by its name."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > settings.GRIDGOV_MAX_PHOTO_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB."),
            params={"name": upload.name, "limit": settings.GRIDGOV_MAX_PHOTO_BYTES // 2**20},
        )
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            # Pillow only warns below twice its pixel limit; a header that promises more
            # pixels than any camera makes is a decompression bomb either way.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image_format = image.format
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _("%(name)s has too many pixels to be a photo (at most %(limit)d million)."),
            params={"name": upload.name, "limit": Image.MAX_IMAGE_PIXELS // 10**6},
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("%(name)s is not a photo (JPEG, PNG or WebP)."), params={"name": upload.name}
        ) from None
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_IMAGE_TYPES:
        raise ValidationError(
            _("%(name)s is not a photo (JPEG, PNG or WebP)."), params={"name": upload.name}
        )
    upload.content_type = ALLOWED_IMAGE_TYPES[image_format]
    return upload


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    widget = MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(uploads) > settings.GRIDGOV_MAX_PHOTOS:
            raise ValidationError(
                _("At most %(count)d photos."), params={"count": settings.GRIDGOV_MAX_PHOTOS}
            )
        errors, photos = [], []
        for upload in uploads:
            try:
                photos.append(check_photo(super().clean(upload, initial)))
            except ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)
        if self.required and not photos:
            raise ValidationError(self.error_messages["required"], code="required")
        return photos


def leaf_categories():
    return Category.objects.filter(is_active=True, children__isnull=True).order_by("code")


def intake_categories():
    """The categories a case may be filed under, with what intake reads of their parents.
    Emergency-help categories only while some region is in emergency mode (build_case
    checks the case's own place)."""
    from gridgov.emergency.models import EmergencyArea

    categories = leaf_categories().select_related("parent")
    if not EmergencyArea.objects.filter(closed_at__isnull=True).exists():
        categories = categories.exclude(emergency_only=True)
    return categories


class CaseActionForm(forms.Form):
    """Base: knows the case and the actor."""

    def __init__(self, *args, case=None, actor=None, **kwargs):
        self.case, self.actor = case, actor
        super().__init__(*args, **kwargs)


class NoteForm(CaseActionForm):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(CaseActionForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class KnownCategoryField(forms.ModelChoiceField):
    """The category field answered from leaf categories already loaded, by code (a batch
    of cases loads the catalogue once), with the same refusal as the usual field."""

    def __init__(self, known: dict[str, Category], **kwargs):
        super().__init__(queryset=Category.objects.none(), to_field_name="code", **kwargs)
        self.known = known

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.known[str(value)]
        except KeyError:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            ) from None


class IntakeForm(forms.Form):
    """A new case, from a hotline operator, the public report page or the API.

    `categories`: the leaf categories by code, when the caller has them loaded already."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    case_type = forms.ChoiceField(
        label=_("Type"), choices=CaseType.choices, initial=CaseType.COMPLAINT
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False, to_field_name="code"
    )
    # Text that was not UTF-8 is refused (validate_text), and the description has one limit
    # whichever door a case comes by: the pages, the API and Open311 all validate here.
    title = forms.CharField(label=_("Title"), max_length=200, validators=[validate_text])
    description = forms.CharField(
        label=_("Description"),
        max_length=settings.GRIDGOV_MAX_DESCRIPTION_CHARS,
        validators=[validate_text],
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    address = forms.CharField(
        label=_("Address"), max_length=200, required=False, validators=[validate_text]
    )
    lng = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    datum = forms.ChoiceField(
        label=_("Datum"), choices=Datum.choices, initial=Datum.WGS84, required=False
    )
    region = forms.ModelChoiceField(
        label=_("Area code"),
        queryset=Region.objects.all(),
        to_field_name="code",
        required=False,
        # A code, not a drop-down: a city has a hundred thousand grids.
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("When there is no point on the map: the grid, community or street code."),
    )
    room = forms.ModelChoiceField(
        label=_("Room"),
        queryset=Room.objects.select_related("building"),
        to_field_name="code",
        required=False,
        widget=forms.HiddenInput,
        help_text=_("The registry's address code of the room the case is about."),
    )
    reporter_name = forms.CharField(
        label=_("Reporter's name"), max_length=50, required=False, validators=[validate_text]
    )
    reporter_phone = forms.RegexField(
        label=_("Reporter's phone"),
        regex=r"^\+?[0-9][0-9\- ]{5,18}$",
        required=False,
        error_messages={"invalid": _("Enter a phone number of digits.")},
    )
    photos = PhotosField(label=_("Photos"))

    def __init__(self, *args, categories: dict[str, Category] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if categories is not None:
            field = self.fields["category"]
            self.fields["category"] = KnownCategoryField(
                categories, label=field.label, required=False
            )
        else:
            # With the parent: the deadline policy is looked up along the lineage.
            self.fields["category"].queryset = intake_categories()

    def clean(self):
        cleaned = super().clean()
        has_point = cleaned.get("lng") is not None and cleaned.get("lat") is not None
        # A coordinate that failed its own check is missing from cleaned_data: it was given,
        # so saying "give both" on top of its own error would be wrong.
        given = not (self.has_error("lng") or self.has_error("lat"))
        if given and (cleaned.get("lng") is None) != (cleaned.get("lat") is None):
            raise ValidationError(_("Give both longitude and latitude, or neither."))
        if (
            not has_point
            and not cleaned.get("region")
            and not cleaned.get("room")
            and not cleaned.get("address")
            and not self.errors
        ):
            raise ValidationError(
                _("Say where the problem is: a point on the map, the area or an address.")
            )
        if not cleaned.get("datum"):
            cleaned["datum"] = Datum.WGS84
        return cleaned


class RegisterForm(CaseActionForm):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), to_field_name="code"
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, required=False)
    case_type = forms.ChoiceField(label=_("Type"), choices=CaseType.choices, required=False)
    note = forms.CharField(label=_("Note"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()
        start_from_case(self, "category", "urgency", "case_type")


def start_from_case(form, *names):
    """A form that edits a case starts from the case's current values: a select with no
    initial value shows its first choice, and submitting it unread would re-grade the case
    (a routine complaint registered as a life-threatening consultation)."""
    if form.case is None:
        return
    for name in names:
        value = getattr(form.case, name)
        if name == "category":
            value = value.code if value is not None else None
        if value not in (None, ""):
            form.fields[name].initial = value


class UnitPicker(forms.CheckboxSelectMultiple):
    """Tick boxes a typed filter narrows (web/picker.js), instead of a Ctrl-click list."""

    template_name = "cases/widgets/unit_picker.html"


class DispatchForm(CaseActionForm):
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=Department.objects.none(),
        required=False,
        to_field_name="code",
        widget=UnitPicker,
        help_text=_(
            "The departments serving this case's area, nearest first; the suggested unit is "
            "ticked. Leave all unticked to follow the dispatch rules' suggestion."
        ),
    )
    office = forms.ModelChoiceField(
        label=_("Or an office"),
        queryset=Region.objects.none(),
        required=False,
        to_field_name="code",
        help_text=_("The district, street or community office."),
    )
    note = forms.CharField(label=_("Note"), required=False)

    def __init__(self, *args, suggestion=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is None:
            return
        self.fields["departments"].queryset = routing.serving_departments(self.case)
        # Offices answerable for the case: its district, street and community.
        self.fields["office"].queryset = self.case.region.ancestors().filter(
            level__in=["district", "street", "community"]
        ) | Region.objects.filter(pk=self.case.region_id, level="community")
        if not self.is_bound:
            suggestion = suggestion or routing.suggest_unit(self.case)
            if suggestion.department is not None:
                self.fields["departments"].initial = [suggestion.department.code]
            elif suggestion.office is not None:
                self.fields["office"].initial = suggestion.office.code

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("departments") and cleaned.get("office"):
            raise ValidationError(_("Dispatch to departments or to an office, not both."))
        return cleaned


class ReplyForm(CaseActionForm):
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label=_("Photos of the result"))


class SelfHandleForm(ReplyForm):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), to_field_name="code"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()
        start_from_case(self, "category")


class RateForm(CaseActionForm):
    # Radio buttons with nothing chosen: the resident says what they think, the form does
    # not say it for them.
    solved = forms.TypedChoiceField(
        label=_("Was the problem solved?"),
        choices=[("true", _("Solved")), ("false", _("Not solved"))],
        coerce=lambda value: value in (True, "true", "True", "1", 1),
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=_("Satisfaction"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(label=_("Comment"), required=False)


class ExtendForm(CaseActionForm):
    amount = forms.IntegerField(label=_("Extra time"), min_value=1, max_value=60)
    unit = forms.ChoiceField(
        label=_("Unit"), choices=DeadlineUnit.choices, initial=DeadlineUnit.WORKING_DAYS
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class MergeForm(CaseActionForm):
    master = forms.CharField(label=_("Master case number"), max_length=20)
    note = forms.CharField(label=_("Note"), required=False)

    def clean_master(self):
        from gridgov.cases.models import Case

        number = self.cleaned_data["master"].strip()
        master = Case.objects.visible_to(self.actor).filter(number=number).first()
        if master is None:
            raise ValidationError(
                _("No case %(number)s that you can see."), params={"number": number}
            )
        if master.pk == self.case.pk:
            raise ValidationError(_("A case cannot be merged into itself."))
        if master.status in {Status.MERGED, Status.REJECTED}:
            raise ValidationError(
                _("Case %(number)s is itself %(status)s; merge into its master instead."),
                params={"number": number, "status": master.get_status_display()},
            )
        return master


class SummonForm(CaseActionForm):
    lead = forms.ModelChoiceField(
        label=_("Lead department"), queryset=Department.objects.none(), to_field_name="code"
    )
    assisting = forms.ModelMultipleChoiceField(
        label=_("Assisting departments"),
        queryset=Department.objects.none(),
        required=False,
        to_field_name="code",
        widget=UnitPicker,
    )
    report_minutes = forms.IntegerField(
        label=_("Report in within (minutes)"), min_value=5, max_value=24 * 60, required=False
    )
    note = forms.CharField(label=_("Note"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is not None:
            serving = routing.serving_departments(self.case)
            self.fields["lead"].queryset = serving
            self.fields["assisting"].queryset = serving

    def clean(self):
        cleaned = super().clean()
        lead, assisting = cleaned.get("lead"), cleaned.get("assisting") or []
        if lead is not None and lead in assisting:
            raise ValidationError(_("The lead department cannot also assist."))
        if not cleaned.get("report_minutes"):
            cleaned["report_minutes"] = settings.GRIDGOV_SUMMON_REPORT_MINUTES
        return cleaned


class RateResponseForm(CaseActionForm):
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), to_field_name="code"
    )
    rating = forms.ChoiceField(label=_("Response"), choices=ResponseRating.choices)
    note = forms.CharField(label=_("Note"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is not None:
            self.fields["department"].queryset = Department.objects.filter(
                assignments__case=self.case, assignments__summoned=True
            ).distinct()


ACTION_FORMS: dict[str, type[forms.Form]] = {
    Action.REGISTER: RegisterForm,
    Action.REJECT: ReasonForm,
    Action.DISPATCH: DispatchForm,
    Action.ACCEPT: NoteForm,
    Action.RETURN: ReasonForm,
    Action.HANDLE: NoteForm,
    Action.REPLY: ReplyForm,
    Action.VERIFY: NoteForm,
    Action.REWORK: ReasonForm,
    Action.CLOSE: NoteForm,
    Action.RATE: RateForm,
    Action.REOPEN: ReasonForm,
    Action.EXTEND: ExtendForm,
    Action.APPROVE_EXTENSION: NoteForm,
    Action.REFUSE_EXTENSION: ReasonForm,
    Action.MERGE: MergeForm,
    Action.SELF_HANDLE: SelfHandleForm,
    Action.SUPERVISE: ReasonForm,
    Action.SUMMON: SummonForm,
    Action.REPORT_IN: NoteForm,
    Action.RATE_RESPONSE: RateResponseForm,
}
