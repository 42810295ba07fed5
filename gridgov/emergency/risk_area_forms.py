"""Designating a risk area and changing its level. services.set_risk_area and
services.change_risk_level decide; the forms only read the input."""

from django import forms
from django.utils.translation import gettext_lazy

from gridgov.emergency import services
from gridgov.emergency.arrival_forms import ORIGIN_LIST
from gridgov.emergency.choices import RiskLevel
from gridgov.emergency.overview_forms import ServiceForm
from gridgov.regions.models import Region
from gridgov.registry.forms import DATE

LEVEL_CHOICES = [
    (level.value, level.label) for level in (RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW)
]
LIFT = "lift"


class RiskAreaForm(ServiceForm):
    region = forms.ModelChoiceField(
        label=gettext_lazy("Area of the city"),
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        # A code, not a drop-down: a city has a hundred thousand grids and buildings.
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=gettext_lazy("The code of a building, grid, community, street or district."),
        error_messages={
            "invalid_choice": gettext_lazy("No area of the city you work for has this code.")
        },
    )
    division_code = forms.CharField(
        label=gettext_lazy("Or a place outside the city"),
        max_length=12,
        required=False,
        widget=forms.TextInput(
            attrs={"list": ORIGIN_LIST, "autocomplete": "off", "data-division-search": ""}
        ),
        help_text=gettext_lazy(
            "Its national administrative division code (e.g. 420103), or type a place name "
            "and pick it."
        ),
    )
    level = forms.ChoiceField(label=gettext_lazy("Risk level"), choices=LEVEL_CHOICES)
    # The service words what is missing: one message in one place.
    started_on = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    detail = forms.CharField(
        label=gettext_lazy("Detail"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Published with the area, e.g. the buildings or the street."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # An area out of the user's scope reads as unknown, as out-of-scope pages do.
        self.fields["region"].queryset = Region.objects.visible_to(user)

    def designate(self, user):
        data = self.cleaned_data
        return self.run(
            services.set_risk_area,
            user,
            services.RiskAreaInput(
                level=data["level"],
                started_on=data["started_on"],
                reason=data["reason"],
                region=data["region"],
                division_code=data["division_code"].strip(),
                detail=data["detail"],
            ),
        )


class RiskLevelForm(ServiceForm):
    to_level = forms.ChoiceField(
        label=gettext_lazy("New level"),
        choices=[*LEVEL_CHOICES, (LIFT, gettext_lazy("Lift the area"))],
    )
    on = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=DATE,
        help_text=gettext_lazy("Today when left empty."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def change(self, user, area):
        data = self.cleaned_data
        to_level = "" if data["to_level"] == LIFT else RiskLevel(data["to_level"]).value
        return self.run(
            services.change_risk_level, user, area, to_level, data["reason"], on=data["on"]
        )
