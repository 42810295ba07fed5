"""Typed readers for configuration from environment variables.

Each reader fails fast with ImproperlyConfigured naming the variable, so a
misconfigured deployment stops at start-up with a message that says what to set.
"""

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, not {raw!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be {minimum} or more, not {raw!r}.")
    return value


def env_weights(name: str) -> dict[str, float] | None:
    """`key:number,key:number` → {key: number}; None when the variable is not set."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    weights = {}
    for part in raw.split(","):
        key, _sep, value = part.partition(":")
        try:
            weights[key.strip()] = float(value)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must look like response:0.2,resolution:0.3 — not {raw!r}."
            ) from None
    return weights


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}.") from None


def env_networks(name: str) -> tuple:
    """`10.0.0.5,10.1.0.0/16` → IP networks (a bare address is a network of one)."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be IP addresses or networks separated by commas "
                f"(10.0.0.5,10.1.0.0/16), not {item!r}."
            ) from None
    return tuple(networks)
