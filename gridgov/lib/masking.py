"""Showing personal data without revealing it."""


def mask_phone(phone: str) -> str:
    """138****1234 for a mobile number; for anything else, all but the last 4 digits hidden."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_name(name: str) -> str:
    """张** for a Chinese name; the first letter and asterisks for others."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)
