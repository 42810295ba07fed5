"""The certification pages' forms: an application with the measures attested, the level
above's decision, and a revocation. gridgov.emergency.services decides; what it refuses
comes back on the field it names, or above the form."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from gridgov.cases.forms import check_photo
from gridgov.emergency.choices import CertificationMeasure
from gridgov.registry.forms import add_service_errors

PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class ServiceForm(forms.Form):
    def run(self, command, *args, **kwargs):
        """What the service `command` returns, or None with its refusals on the form."""
        try:
            return command(*args, **kwargs)
        except ValidationError as error:
            add_service_errors(self, error)
            return None


class PhotoField(forms.FileField):
    """One photo, checked as a case's photos are (decoded, of an allowed type and size)."""

    widget = forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload:
            return None
        upload = check_photo(upload)
        # Named by what it is, not by what it was called: the photo view serves it by its
        # extension.
        upload.name = f"photo.{PHOTO_EXTENSIONS[upload.content_type]}"
        return upload


class ApplicationForm(ServiceForm):
    """For each measure the policy asks for, what was done (evidence) and a photo."""

    def __init__(self, *args, measures, **kwargs):
        super().__init__(*args, **kwargs)
        self.measures = [CertificationMeasure(measure) for measure in measures]
        for measure in self.measures:
            self.fields[f"evidence_{measure.value}"] = forms.CharField(
                label=gettext_lazy("What was done"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            self.fields[f"photo_{measure.value}"] = PhotoField(
                label=gettext_lazy("Photo"), required=False
            )

    def lines(self) -> list[tuple]:
        """(measure, its evidence field, its photo field)."""
        return [
            (measure, self[f"evidence_{measure.value}"], self[f"photo_{measure.value}"])
            for measure in self.measures
        ]

    def attestations(self) -> dict:
        return {
            measure.value: (
                self.cleaned_data[f"evidence_{measure.value}"],
                self.cleaned_data[f"photo_{measure.value}"],
            )
            for measure in self.measures
        }


class DecisionForm(ServiceForm):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Approve")), ("refuse", gettext_lazy("Refuse"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Say why when you refuse."),
    )


class RevocationForm(ServiceForm):
    reason = forms.CharField(
        label=gettext_lazy("Why the certificate is revoked"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
