from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    GRID_WORKER = "grid_worker", _("Grid worker")
    DISPATCHER = "dispatcher", _("Hotline operator / dispatcher")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    STREET_STAFF = "street_staff", _("Street office staff")
    COMMUNITY_STAFF = "community_staff", _("Community office staff")
    LEADER = "leader", _("Leader")
    ADMINISTRATOR = "administrator", _("Administrator")


# Staff who act for a region and see its subtree.
REGION_ROLES = {
    Role.GRID_WORKER,
    Role.DISPATCHER,
    Role.STREET_STAFF,
    Role.COMMUNITY_STAFF,
    Role.LEADER,
}

# The level of region each role acts for; None means any level.
ROLE_REGION_LEVELS = {
    Role.GRID_WORKER: {"community"},
    Role.COMMUNITY_STAFF: {"community"},
    Role.STREET_STAFF: {"street"},
    Role.DISPATCHER: {"city", "district", "street"},
    Role.LEADER: {"city", "district", "street", "community"},
}
