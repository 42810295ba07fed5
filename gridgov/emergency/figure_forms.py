"""The figures pages' forms: a day's figures of an area and of the areas under it, and a
spreadsheet to import. gridgov.emergency.figures decides what may be entered; what it
refuses is shown above the form, with the values as they were typed."""

from django import forms
from django.utils.translation import gettext_lazy

from gridgov.emergency import figures
from gridgov.emergency.models import DailyFigure
from gridgov.registry.forms import DATE

COUNT_ATTRS = {"inputmode": "numeric", "autocomplete": "off", "size": 6}


def count_field_name(region, name: str) -> str:
    return f"{name}_{region.pk}"


class FigureEntryForm(forms.Form):
    """One line per region with its four counts. The counts are taken as typed (text), so
    that figures.enter names a negative or non-numeric value and the form shows it back
    unchanged."""

    day = forms.DateField(label=gettext_lazy("Day"), widget=DATE)

    def __init__(self, *args, regions, entered=(), **kwargs):
        initial = kwargs.setdefault("initial", {})
        for figure in entered:
            for name in figures.COUNTS:
                initial[count_field_name(figure.region, name)] = getattr(figure, name)
        super().__init__(*args, **kwargs)
        self.regions = regions
        for region in regions:
            for name in figures.COUNTS:
                self.fields[count_field_name(region, name)] = forms.CharField(
                    label=DailyFigure._meta.get_field(name).verbose_name,
                    required=False,
                    max_length=12,
                    widget=forms.TextInput(attrs=COUNT_ATTRS),
                )

    def lines(self) -> list[tuple]:
        """(region, its four bound fields) in the order of the regions."""
        return [
            (region, [self[count_field_name(region, name)] for name in figures.COUNTS])
            for region in self.regions
        ]

    def rows(self) -> list[figures.Row]:
        """A row for each region with anything typed: a region left blank is not entered
        (its figures, if any, stay as they are), so a community can enter its grids'
        figures without entering its own on top of them."""
        day = self.cleaned_data["day"]
        rows = []
        for region in self.regions:
            counts = {
                name: self.cleaned_data[count_field_name(region, name)] for name in figures.COUNTS
            }
            if any(counts.values()):
                rows.append(figures.Row(region, day, counts))
        return rows


class FigureImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Spreadsheet (.xlsx or .csv)"), allow_empty_file=True)
