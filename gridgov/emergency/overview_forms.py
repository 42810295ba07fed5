"""The switch's form. Like every emergency form it hands its input to services.py, which
decides; what it refuses comes back on the field it names."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.emergency import services
from gridgov.registry.forms import add_service_errors


class ServiceForm(forms.Form):
    def run(self, command, *args, **kwargs):
        """What the service `command` returns, or None with its refusals on the form."""
        try:
            return command(*args, **kwargs)
        except ValidationError as exc:
            add_service_errors(self, exc)
            return None


class SwitchForm(ServiceForm):
    ON, OFF = "on", "off"

    action = forms.ChoiceField(choices=[(ON, ON), (OFF, OFF)], widget=forms.HiddenInput)
    # Required by the service, which words the refusal: one message in one place.
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def switch(self, user, region):
        """Switch the region on, or switch off the open emergency area that holds it."""
        reason = self.cleaned_data["reason"]
        if self.cleaned_data["action"] == self.ON:
            return self.run(services.switch_on, user, region, reason)
        area = services.open_area_over(region.path)
        if area is None:
            self.add_error(None, _("This region is already in normal mode."))
            return None
        return self.run(services.switch_off, user, area, reason)
