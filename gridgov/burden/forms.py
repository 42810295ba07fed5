"""The burden pages' forms: sending a demand, a community's response, and the sender's and
the burden office's decisions. Each hands its input to gridgov.burden.services, which
decides; what it refuses comes back on the field it names (registry.forms.add_service_errors).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.burden import services
from gridgov.burden.choices import DemandKind, RecipientState
from gridgov.burden.models import AdmittedMatter
from gridgov.regions.choices import Level
from gridgov.regions.models import Region
from gridgov.registry.forms import DATE, add_service_errors


class RecipientPicker(forms.CheckboxSelectMultiple):
    """Tick boxes grouped by street, narrowed by a typed filter (web/picker.js)."""

    template_name = "burden/widgets/picker.html"


class MatterPicker(forms.RadioSelect):
    template_name = "burden/widgets/picker.html"


class RecipientField(forms.MultipleChoiceField):
    """Region codes. Any street or community is taken here; whether the sender may send to
    it is services.send_demand's to say, with the place named."""

    widget = RecipientPicker

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def clean(self, value):
        codes = list(dict.fromkeys(super().clean(value)))
        found = {
            region.code: region
            for region in Region.objects.filter(code__in=codes, level__in=services.RECIPIENT_LEVELS)
        }
        for code in codes:
            if code not in found:
                raise ValidationError(
                    _("No street or community has the code %(code)s.") % {"code": code}
                )
        return [found[code] for code in codes]


class ServiceForm(forms.Form):
    def run(self, command, *args, **kwargs):
        """What the service `command` returns, or None with its refusals on the form."""
        try:
            return command(*args, **kwargs)
        except ValidationError as exc:
            add_service_errors(self, exc)
            return None


def recipient_choices(office: Region | None):
    """The streets and communities under the office, grouped by street."""
    if office is None:
        return []
    regions = (
        Region.objects.filter(path__startswith=office.path, level__in=services.RECIPIENT_LEVELS)
        .exclude(pk=office.pk)
        .select_related("parent")
        .order_by("path")
    )
    groups: dict[int, tuple[str, list]] = {}
    for region in regions:
        if region.level == Level.STREET:
            label = (
                region.name if office.level != Level.CITY else f"{region.parent.name} {region.name}"
            )
            groups[region.pk] = (
                label,
                [(region.code, _("%(name)s (the street)") % {"name": region.name})],
            )
        else:
            group = groups.setdefault(region.parent_id, (region.parent.name, []))
            group[1].append((region.code, region.name))
    return list(groups.values())


class DemandForm(ServiceForm):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DemandKind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("What is asked"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    working_days = forms.IntegerField(
        label=gettext_lazy("Working days given"),
        min_value=1,
        max_value=250,
        initial=5,
        help_text=gettext_lazy(
            "The deadline is counted in working days, holidays and 调休 included."
        ),
    )
    recipients = RecipientField(label=gettext_lazy("Streets and communities"))
    matter = forms.ModelChoiceField(
        label=gettext_lazy("Admitted matter"),
        queryset=AdmittedMatter.objects.none(),
        to_field_name="code",
        required=False,
        # Without it a RadioSelect drops the empty choice: "none" must be offered.
        blank=True,
        widget=MatterPicker,
        empty_label=gettext_lazy("None: held for the burden office to decide"),
        help_text=gettext_lazy("Only matters on the admission list today are offered."),
    )
    asks_for_engagement = forms.BooleanField(
        label=gettext_lazy("Asks residents to vote, like or forward"),
        required=False,
        help_text=gettext_lazy("Such campaigns are refused."),
    )

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipients"].choices = recipient_choices(office)
        today = timezone.localdate()
        self.fields["matter"].queryset = (
            AdmittedMatter.objects.filter(valid_from__lte=today)
            .filter(Q(valid_to=None) | Q(valid_to__gte=today))
            .select_related("department")
        )
        self.fields["matter"].label_from_instance = matter_label

    def send(self, user):
        return self.run(services.send_demand, user, services.DemandInput(**self.cleaned_data))


def matter_label(matter: AdmittedMatter) -> str:
    department = matter.department.name if matter.department_id else _("no department")
    return f"{matter.title} · {department} · {matter.basis}"


class RespondForm(ServiceForm):
    """A community's move on a demand: one form, each action with its own field."""

    action = forms.ChoiceField(
        choices=[
            (state, state.label)
            for state in (
                RecipientState.ACCEPTED,
                RecipientState.ANSWERED,
                RecipientState.EXTENSION_ASKED,
                RecipientState.OBJECTED,
            )
        ],
        widget=forms.HiddenInput,
    )
    answer = forms.CharField(
        label=gettext_lazy("Answer"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    extension_until = forms.DateField(
        label=gettext_lazy("More time until"), required=False, widget=DATE
    )
    objection = forms.CharField(
        label=gettext_lazy("Why the community should not be asked this"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def respond(self, user, recipient):
        return self.run(services.respond, user, recipient, services.Response(**self.cleaned_data))


class DecisionForm(ServiceForm):
    """Two buttons (name="decision", yes or no) and a reason."""

    decision = forms.ChoiceField(choices=[("yes", "yes"), ("no", "no")])
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @property
    def yes(self) -> bool:
        return self.cleaned_data["decision"] == "yes"
