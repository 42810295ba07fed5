"""Showing personal data without revealing it."""

import re
import unicodedata


def fold_digits(text: str) -> str:
    """`text` with each character replaced by its NFKC form when that is one character,
    and every decimal digit by its ASCII digit: full-width １３９, full-width hyphens and
    plus signs, the ideographic space and other scripts' digits become what the patterns
    match. Character for character, so a match's position is its position in `text`."""
    folded = []
    for ch in text:
        if ch.isascii():
            folded.append(ch)
            continue
        normal = unicodedata.normalize("NFKC", ch)
        digit = unicodedata.decimal(normal if len(normal) == 1 else ch, None)
        if digit is not None:
            folded.append(str(digit))
        else:
            folded.append(normal if len(normal) == 1 else ch)
    return "".join(folded)


def mask_phone(phone: str) -> str:
    """138****1234 for a mobile number; for anything else, all but the last 4 digits hidden.
    Full-width and other digits are masked as their ASCII forms."""
    digits = "".join(ch for ch in fold_digits(phone) if "0" <= ch <= "9")
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


# Matched against fold_digits(text), so full-width and mixed forms are caught as well.
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]){8}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9-])0[0-9]{2,3}-[0-9]{7,8}(?![0-9])")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def _mask_id_card(number: str) -> str:
    return number[:3] + "*" * 11 + number[-4:]


def _substitute(text: str, pattern: re.Pattern, mask) -> str:
    """Each match of `pattern` in the folded text replaced, in `text`, by mask(the folded
    match)."""
    folded = fold_digits(text)
    pieces, last = [], 0
    for match in pattern.finditer(folded):
        pieces.append(text[last : match.start()])
        pieces.append(mask(match.group()))
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces)


def mask_contacts(text: str, name: str = "", phone: str = "") -> str:
    """Free text (a description, an address, a result, a note) without contact details:
    anything shaped like a mobile number, a landline with its area code or an ID card
    number masked, and the given person's own name and phone (the reporter's) too. Other
    people's names cannot be recognised and stay as typed."""
    if not text:
        return text
    phone_digits = "".join(ch for ch in fold_digits(phone or "") if "0" <= ch <= "9")
    if len(phone_digits) >= 5:
        # However it was typed (spaced, dashed, full-width), the reporter's own number.
        spaced = r"[- ]?".join(re.escape(digit) for digit in phone_digits)
        own = re.compile(rf"(?<![0-9]){spaced}(?![0-9])")
        text = _substitute(text, own, mask_phone)
    name = (name or "").strip()
    if len(name) >= 2 and name in text:
        text = text.replace(name, mask_name(name))
    text = _substitute(text, _ID_CARD, _mask_id_card)
    text = _substitute(text, _MOBILE, mask_phone)
    return _substitute(text, _LANDLINE, mask_phone)
