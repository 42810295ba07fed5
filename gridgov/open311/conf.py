"""The endpoint's settings, each with a default so a deployment need set none of them.

GRIDGOV_OPEN311_JURISDICTION   the one jurisdiction_id accepted (absent is accepted too)
GRIDGOV_OPEN311_MAX_REQUESTS   rows per GET requests answer (the spec's 1000)
GRIDGOV_OPEN311_WINDOW_DAYS    default and widest start_date..end_date span (the spec's 90)
GRIDGOV_OPEN311_CONTACT        discovery's contact text
GRIDGOV_OPEN311_KEY_SERVICE    discovery's text on how to get an api_key
GRIDGOV_OPEN311_CHANGESET      discovery's changeset: when the endpoint last changed
"""

from django.conf import settings

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# The day this implementation of the endpoint last changed in a way a client would notice.
CHANGESET = "2026-11-23T00:00:00+08:00"


def jurisdiction() -> str:
    return getattr(settings, "GRIDGOV_OPEN311_JURISDICTION", "gridgov")


def max_requests() -> int:
    return max(1, int(getattr(settings, "GRIDGOV_OPEN311_MAX_REQUESTS", 1000)))


def window_days() -> int:
    return max(1, int(getattr(settings, "GRIDGOV_OPEN311_WINDOW_DAYS", 90)))


def contact() -> str:
    return getattr(
        settings,
        "GRIDGOV_OPEN311_CONTACT",
        "请联系本平台管理员 / Ask the platform's administrators.",
    )


def key_service() -> str:
    return getattr(
        settings,
        "GRIDGOV_OPEN311_KEY_SERVICE",
        "api_key 即用户的 API 令牌：登录后在“个人资料”页创建，或由管理员用 "
        "`gridgov token create <用户名>` 签发。 The api_key is a user's API token: create one "
        "on your profile page, or ask an administrator (`gridgov token create <username>`).",
    )


def changeset() -> str:
    return getattr(settings, "GRIDGOV_OPEN311_CHANGESET", CHANGESET)
