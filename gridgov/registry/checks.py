from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def registry_keys_set(app_configs, **kwargs):
    if settings.REGISTRY_KEYS and settings.REGISTRY_HMAC_KEYS:
        return []
    return [
        Warning(
            "REGISTRY_KEYS and REGISTRY_HMAC_KEYS are not set: ID numbers and phones are "
            "sealed with keys kept in a file under GRIDGOV_VAR_DIR.",
            hint="Set both from a secret store (make a key with `gridgov registry new-key ID`), "
            "and keep them out of the database and its backups.",
            id="gridgov.registry.W001",
        )
    ]
