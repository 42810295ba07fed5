"""The forms of the secondment pages: recording one, changing its details, its return.
The rules are the model's (Secondment.clean) and the service's (gridgov.burden.secondments)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Department
from gridgov.burden import secondments
from gridgov.burden.models import Secondment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SecondmentEditForm(forms.ModelForm):
    class Meta:
        model = Secondment
        fields = list(secondments.EDITABLE_FIELDS)
        widgets = {
            "started_on": DATE,
            "planned_end_on": DATE,
            "reason": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_department"].queryset = Department.objects.filter(is_active=True).order_by(
            "name"
        )


class SecondmentForm(SecondmentEditForm):
    class Meta(SecondmentEditForm.Meta):
        fields = list(secondments.RECORDED_FIELDS)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["from_region"]
        field.queryset = secondments.from_regions(user)
        field.label_from_instance = lambda region: region.name
        field.help_text = _("A street or community of your area.")


class ReturnForm(forms.Form):
    returned_on = forms.DateField(label=_("returned on"), widget=DATE)


class SecondmentFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", _("All")),
            (secondments.CURRENT, _("Away now")),
            (secondments.OVERDUE, _("Return overdue")),
            (secondments.RETURNED, _("Back at their post")),
        ],
    )
