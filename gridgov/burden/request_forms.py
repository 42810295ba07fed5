"""The data request pages' forms: the request builder (the demand's fields, the period, the
catalogue's figures and the requester's own columns) and a community's answer to the
columns the platform does not hold. gridgov.burden.data_requests decides; what it refuses
comes back on the field it names."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.burden import catalogue, data_requests, services
from gridgov.burden.choices import DemandKind
from gridgov.burden.forms import DemandForm, RecipientPicker, ServiceForm
from gridgov.registry.forms import DATE

OWN_COLUMNS = 10
# Shown open; the rest wait under "more columns" unless typed in.
OWN_COLUMNS_SHOWN = 3


def last_full_month(today) -> tuple:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def figure_choices():
    """The catalogue's figures, grouped as it groups them, each with its unit."""
    grouped: dict[str, list] = {}
    for figure in catalogue.catalogue():
        label = f"{figure.label}（{figure.unit}）" if figure.unit else figure.label
        grouped.setdefault(figure.group, []).append((figure.key, label))
    return list(grouped.items())


class DataRequestForm(DemandForm):
    """A demand of the data request kind; a campaign for votes is no data request."""

    kind = None
    asks_for_engagement = None
    period_start = forms.DateField(label=gettext_lazy("From"), widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("To"), widget=DATE)
    figures = forms.MultipleChoiceField(
        label=gettext_lazy("Figures the platform holds"),
        required=False,
        widget=RecipientPicker,
    )

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, office=office, **kwargs)
        first, last = last_full_month(timezone.localdate())
        self.fields["period_start"].initial = first
        self.fields["period_end"].initial = last
        self.fields["figures"].choices = figure_choices()
        for n in range(1, OWN_COLUMNS + 1):
            self.fields[f"label_{n}"] = forms.CharField(
                label=gettext_lazy("Column"), max_length=100, required=False
            )
            self.fields[f"unit_{n}"] = forms.CharField(
                label=gettext_lazy("Unit"), max_length=20, required=False
            )

    def _own_rows(self, first, last) -> list[tuple]:
        """(number, label field, unit field) per row of the requester's own columns."""
        return [(n, self[f"label_{n}"], self[f"unit_{n}"]) for n in range(first, last + 1)]

    def own_rows_shown(self):
        return self._own_rows(1, OWN_COLUMNS_SHOWN)

    def own_rows_more(self):
        return self._own_rows(OWN_COLUMNS_SHOWN + 1, OWN_COLUMNS)

    def more_rows_typed(self) -> bool:
        """Whether the rows under "more columns" hold anything: then they are shown open."""
        return any(label.value() or unit.value() for _n, label, unit in self.own_rows_more())

    def clean(self):
        cleaned = super().clean()
        for n in range(1, OWN_COLUMNS + 1):
            label, unit = cleaned.get(f"label_{n}") or "", cleaned.get(f"unit_{n}") or ""
            if unit.strip() and not label.strip():
                self.add_error(f"label_{n}", _("Give the column a label, or clear its unit."))
        return cleaned

    def columns(self) -> list:
        """The figures in the catalogue's order, then the requester's own, as typed."""
        chosen = set(self.cleaned_data["figures"])
        made = [
            data_requests.ColumnInput(figure=key)
            for _group, options in self.fields["figures"].choices
            for key, _label in options
            if key in chosen
        ]
        for n in range(1, OWN_COLUMNS + 1):
            label = self.cleaned_data[f"label_{n}"].strip()
            if label:
                made.append(
                    data_requests.ColumnInput(
                        label=label, unit=self.cleaned_data[f"unit_{n}"].strip()
                    )
                )
        return made

    def send(self, user):
        data = self.cleaned_data
        demand = services.DemandInput(
            kind=DemandKind.DATA_REQUEST,
            title=data["title"],
            description=data["description"],
            working_days=data["working_days"],
            recipients=data["recipients"],
            matter=data["matter"],
        )
        # Refused "columns" (the figures and the own columns together) come back as the
        # form's own errors, which the page shows above both.
        return self.run(
            data_requests.send_data_request,
            user,
            demand,
            data["period_start"],
            data["period_end"],
            self.columns(),
        )


class AnswerForm(ServiceForm):
    """One input per column still missing, named column_<position>."""

    def __init__(self, *args, columns, **kwargs):
        super().__init__(*args, **kwargs)
        for column in columns:
            self.fields[f"column_{column.position}"] = forms.CharField(
                label=f"{column.label}（{column.unit}）" if column.unit else column.label,
                max_length=200,
                required=False,
            )

    def values(self) -> dict:
        return {name.removeprefix("column_"): value for name, value in self.cleaned_data.items()}
