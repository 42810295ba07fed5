from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Datatype(models.TextChoices):
    """GeoReport v2's attribute datatypes."""

    STRING = "string", _("String (one line)")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time")
    TEXT = "text", _("Text (several lines)")
    SINGLEVALUELIST = "singlevaluelist", _("One value from a list")
    MULTIVALUELIST = "multivaluelist", _("Several values from a list")


LIST_DATATYPES = {Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST}

# Codes appear in form keys as attribute[CODE] and attribute[CODE][]: no brackets, no spaces.
attribute_code_validator = RegexValidator(
    r"^[A-Za-z0-9_-]+$", _("Letters, digits, - and _ only: the code is sent as attribute[CODE].")
)


class ServiceAttribute(models.Model):
    """A question a service (a leaf category) asks beyond the standard fields: GeoReport's
    service definition attribute. Answers arrive as attribute[CODE] on POST requests."""

    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("service (category)"),
        on_delete=models.CASCADE,
        related_name="open311_attributes",
    )
    code = models.CharField(_("code"), max_length=50, validators=[attribute_code_validator])
    variable = models.BooleanField(
        _("asks for input"),
        default=True,
        help_text=_("Untick for an attribute that only shows its description to the user."),
    )
    datatype = models.CharField(
        _("datatype"), max_length=16, choices=Datatype.choices, default=Datatype.STRING
    )
    required = models.BooleanField(_("required"), default=False)
    datatype_description = models.CharField(
        _("datatype description"),
        max_length=200,
        blank=True,
        help_text=_("Helps the user give the value, e.g. “the number painted on the pole”."),
    )
    order = models.PositiveIntegerField(_("order"), default=1)
    description = models.TextField(_("question"))
    values = models.JSONField(
        _("values"),
        default=list,
        blank=True,
        help_text=_('For the list datatypes: [{"key": "yes", "name": "是"}, …].'),
    )
    # Discovery's changeset follows the latest change to the service definitions.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service attribute")
        verbose_name_plural = _("service attributes")
        ordering = ["category__code", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "code"], name="open311_attribute_code_once_per_category"
            )
        ]

    def __str__(self):
        return f"{self.category.code} · {self.code}"

    def clean(self):
        super().clean()
        if self.datatype in LIST_DATATYPES:
            problem = values_problem(self.values)
            if problem:
                raise ValidationError({"values": problem})
        elif self.values:
            raise ValidationError({"values": _("Only the list datatypes take values.")})
        if not self.variable and self.required:
            raise ValidationError(
                {"required": _("An attribute that asks for no input cannot be required.")}
            )

    def keys(self) -> list[str]:
        """The keys a list attribute accepts, as text."""
        return [
            str(value["key"])
            for value in (self.values or [])
            if isinstance(value, dict) and "key" in value
        ]


def values_problem(values) -> str | None:
    """Why a list attribute's values are unusable, or None."""
    if not isinstance(values, list) or not values:
        return _('A list datatype needs values: [{"key": "…", "name": "…"}, …].')
    keys = []
    for value in values:
        if not isinstance(value, dict) or set(value) != {"key", "name"}:
            return _('Each value is an object with exactly a "key" and a "name".')
        if not str(value["key"]).strip() or not str(value["name"]).strip():
            return _("A value's key and name may not be empty.")
        keys.append(str(value["key"]))
    if len(set(keys)) != len(keys):
        return _("Each key may appear only once.")
    return None


class RequestAttributes(models.Model):
    """What a case posted through Open311 carried beyond the case's own fields: the answers
    to its service's attributes, the media_url and the client's device and account ids.
    Written in the transaction that creates the case."""

    case = models.OneToOneField(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="open311"
    )
    values = models.JSONField(
        _("attribute answers"),
        default=dict,
        blank=True,
        help_text=_("Attribute code → value (a list for multivaluelist)."),
    )
    media_url = models.URLField(_("media URL"), max_length=1000, blank=True)
    device_id = models.CharField(_("device id"), max_length=200, blank=True)
    account_id = models.CharField(_("account id"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")
        ordering = ["-created_at"]

    def __str__(self):
        return self.case.number
