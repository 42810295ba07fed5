from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class DocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO_PERMIT = "hk_macao", _("Mainland travel permit (HK/Macao)")
    TAIWAN_PERMIT = "taiwan", _("Mainland travel permit (Taiwan)")
    FOREIGN_RESIDENCE = "foreign_residence", _("Foreigner's permanent residence ID")
    OTHER = "other", _("Other")


class ResidenceType(models.TextChoices):
    REGISTERED = "registered", _("Registered (户籍)")
    RESIDENT = "resident", _("Resident, registered elsewhere (常住)")
    FLOATING = "floating", _("Floating (流动)")
    FOREIGN = "foreign", _("Foreign (境外)")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Brother or sister")
    OTHER_RELATIVE = "relative", _("Other relative")
    TENANT = "tenant", _("Tenant or lodger")
    OTHER = "other", _("Other")


class Sensitivity(models.TextChoices):
    NORMAL = "normal", _("Normal: names shown to those who see the household")
    SENSITIVE = "sensitive", _("Sensitive: names only to the roles allowed, counts for others")


class DwellingUse(models.TextChoices):
    OWNER_OCCUPIED = "owner_occupied", _("Owner-occupied")
    RENTED = "rented", _("Rented")
    VACANT = "vacant", _("Vacant")
    COMMERCIAL = "commercial", _("Commercial")
    OTHER = "other", _("Other")


class OrganisationKind(models.TextChoices):
    SHOP = "shop", _("Shop")
    ENTERPRISE = "enterprise", _("Enterprise")
    SCHOOL = "school", _("School")
    CLINIC = "clinic", _("Clinic or hospital")
    SOCIAL = "social", _("Social organisation")
    GOVERNMENT = "government", _("Government body")
    OTHER = "other", _("Other")
