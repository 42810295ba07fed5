"""Query parameters of the list endpoints, validated like any input (400 naming the field)."""

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gridgov.accounts.scoping import scope_path
from gridgov.cases import queries
from gridgov.cases.choices import Channel, Status
from gridgov.cases.models import Case, Category, overdue_q
from gridgov.lib.validators import EARLIEST_YEAR, LATEST_YEAR, in_range, range_message
from gridgov.regions.choices import Level
from gridgov.regions.models import Region

CODE_MAX = 32


@extend_schema_field({"type": "string", "format": "date-time"})
class MomentField(serializers.Field):
    """An ISO 8601 date-time, or a date meaning midnight at its start (local time)."""

    default_error_messages = {
        "invalid": gettext_lazy("Give a date (YYYY-MM-DD) or a date-time (ISO 8601)."),
    }

    def to_internal_value(self, data):
        text = str(data).strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail("invalid")
        if timezone.is_naive(moment):
            try:
                moment = timezone.make_aware(moment)
            except (ValueError, OverflowError):
                raise serializers.ValidationError(range_message()) from None
        if not in_range(moment):
            raise serializers.ValidationError(range_message())
        return moment

    def to_representation(self, value):
        return value.isoformat()


class DayField(serializers.DateField):
    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
            raise serializers.ValidationError(range_message())
        return day


def _code_field(help_text):
    return serializers.CharField(required=False, max_length=CODE_MAX, help_text=help_text)


def region_for_filter(user, code: str) -> Region:
    """The region a filter names, or a 400. Staff may name regions in their scope; a code
    outside it is refused exactly like one that does not exist, so the answer does not tell
    them apart. Residents' cases (their own reports) can be anywhere, so they may name any
    region: codes are public anyway (Open311 publishes each case's address_id)."""
    regions = Region.objects.all() if scope_path(user) is None else Region.objects.visible_to(user)
    region = regions.filter(code=code).only("path", "code").first()
    if region is None:
        raise serializers.ValidationError(_("No region in your area has this code."))
    return region


class RegionFilterSerializer(serializers.Serializer):
    """Expects the request in its context: a parent must be a region in the user's scope."""

    parent = _code_field(gettext_lazy("Only the children of the region with this code."))
    level = serializers.ChoiceField(
        choices=Level.choices, required=False, help_text=gettext_lazy("Only regions at this level.")
    )

    def validate_parent(self, code):
        return region_for_filter(self.context["request"].user, code)

    def apply(self, regions):
        data = self.validated_data
        if data.get("parent"):
            regions = regions.filter(parent=data["parent"])
        if data.get("level"):
            regions = regions.filter(level=data["level"])
        return regions


class CategoryFilterSerializer(serializers.Serializer):
    parent = _code_field(gettext_lazy("Only the sub-categories of this category."))
    kind = serializers.ChoiceField(choices=Category._meta.get_field("kind").choices, required=False)
    leaf = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("true: only categories a case can be filed under (leaves)."),
    )

    def validate_parent(self, code):
        if not Category.objects.filter(code=code).exists():
            raise serializers.ValidationError(_("No category has this code."))
        return code

    def apply(self, categories):
        data = self.validated_data
        if data.get("parent"):
            categories = categories.filter(parent__code=data["parent"])
        if data.get("kind"):
            categories = categories.filter(kind=data["kind"])
        if data.get("leaf") is not None:
            categories = categories.filter(is_leaf=data["leaf"])  # annotated by the view
        return categories


def category_subtree(category: Category) -> list[int]:
    """The category and everything under it: the catalogue is a few levels deep."""
    ids, frontier = [category.pk], [category.pk]
    while frontier:
        frontier = list(
            Category.objects.filter(parent__in=frontier)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        ids.extend(frontier)
    return ids


class CaseFilterSerializer(serializers.Serializer):
    status = serializers.ListField(
        child=serializers.ChoiceField(choices=Status.choices),
        required=False,
        help_text=gettext_lazy(
            "One or more statuses: repeat the parameter or separate them with commas."
        ),
    )
    category = _code_field(gettext_lazy("A category code; its sub-categories are included."))
    region = _code_field(gettext_lazy("A region code: cases anywhere under that region."))
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    created_after = MomentField(
        required=False, help_text=gettext_lazy("Received at or after this moment.")
    )
    created_before = MomentField(
        required=False, help_text=gettext_lazy("Received before this moment.")
    )
    updated_after = MomentField(
        required=False, help_text=gettext_lazy("Last changed at or after this moment.")
    )
    updated_before = MomentField(
        required=False, help_text=gettext_lazy("Last changed before this moment.")
    )
    overdue = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy(
            "true: only open cases past the deadline of their current step; false: the others."
        ),
    )
    worklist = serializers.ChoiceField(
        choices=list(queries.WORKLISTS),
        required=False,
        help_text=gettext_lazy(
            "One of your role's worklists (as on the worklist page), e.g. to_register."
        ),
    )

    @classmethod
    def from_query(cls, query_params, **kwargs):
        data = {key: query_params.get(key) for key in query_params if key != "status"}
        statuses = [
            part.strip()
            for value in query_params.getlist("status")
            for part in value.split(",")
            if part.strip()
        ]
        if statuses:
            data["status"] = statuses
        return cls(data=data, **kwargs)

    def validate_category(self, code):
        category = Category.objects.filter(code=code).first()
        if category is None:
            raise serializers.ValidationError(_("No category has this code."))
        return category

    def validate_region(self, code):
        return region_for_filter(self.context["request"].user, code)

    def validate_worklist(self, key):
        user = self.context["request"].user
        if key not in {w.key for w in queries.worklists_for(user)}:
            raise serializers.ValidationError(_("Your role has no such worklist."))
        return key

    def cases(self, user, now=None):
        """The filtered cases the user may see."""
        data = self.validated_data
        now = now or timezone.now()
        if data.get("worklist"):
            cases = queries.worklist(user, data["worklist"], now=now)
        else:
            cases = Case.objects.visible_to(user)
        if data.get("status"):
            cases = cases.filter(status__in=data["status"])
        if data.get("category"):
            cases = cases.filter(category__in=category_subtree(data["category"]))
        if data.get("region"):
            cases = cases.filter(region_path__startswith=data["region"].path)
        if data.get("channel"):
            cases = cases.filter(channel=data["channel"])
        for param, lookup in (
            ("created_after", "received_at__gte"),
            ("created_before", "received_at__lt"),
            ("updated_after", "updated_at__gte"),
            ("updated_before", "updated_at__lt"),
        ):
            if data.get(param) is not None:
                cases = cases.filter(**{lookup: data[param]})
        if data.get("overdue") is True:
            cases = cases.filter(overdue_q(now))
        elif data.get("overdue") is False:
            cases = cases.exclude(overdue_q(now))
        # The reporter: free text is shown with their own name and phone masked.
        return cases.select_related("category", "region", "reporter")


class MetricsQuerySerializer(serializers.Serializer):
    """region, from, to, by. "from" and "to" are Python keywords, so get_fields names them."""

    region = serializers.CharField(max_length=CODE_MAX, help_text=gettext_lazy("A region code."))
    by = serializers.ChoiceField(
        choices=["units", "children"],
        required=False,
        help_text=gettext_lazy("Also rank the departments and offices, or the child regions."),
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = DayField(
            required=False,
            help_text=gettext_lazy("First day of the period (default: the first of this month)."),
        )
        fields["to"] = DayField(
            required=False,
            help_text=gettext_lazy("Last day of the period, included (default: today)."),
        )
        return fields

    def validate(self, attrs):
        today = timezone.localdate()
        attrs.setdefault("from", today.replace(day=1))
        attrs.setdefault("to", today)
        if attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": [_("from must not be after to.")]})
        return attrs

    def period(self) -> tuple[date, date]:
        return self.validated_data["from"], self.validated_data["to"]
