"""Identity documents and phones: what a valid one is, and its one normal form."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gridgov.lib.masking import fold_digits

# GB 11643-1999: the 18th character checks the first 17, weighted 2^(17-i) mod 11.
_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")
_OTHER_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")


def resident_id_check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normal_document_number(value: str) -> str:
    """Upper case, ASCII digits, no spaces or dashes: how it is hashed and compared."""
    return re.sub(r"[\s-]", "", fold_digits(value or "")).upper()


def check_resident_id(value: str, today: date | None = None) -> date:
    """The birth date an 18-digit resident ID carries; ValidationError if it is not one."""
    number = normal_document_number(value)
    if not _RESIDENT_ID.match(number):
        raise ValidationError(
            _("A resident ID number has 18 characters: 17 digits, then a digit or X.")
        )
    if resident_id_check_digit(number[:17]) != number[17]:
        raise ValidationError(
            _("This resident ID number's check digit is wrong: check each digit.")
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("This resident ID number holds no real birth date.")) from None
    if born > (today or date.today()) or born.year < 1880:
        raise ValidationError(_("This resident ID number's birth date is impossible."))
    return born


def check_other_document(value: str) -> str:
    number = normal_document_number(value)
    if not _OTHER_DOCUMENT.match(number):
        raise ValidationError(
            _("A passport or other document number is 5 to 20 letters and digits.")
        )
    return number


def normal_phone(value: str) -> str:
    """Digits only (a leading + kept): how a phone is hashed and compared."""
    folded = fold_digits(value or "").strip()
    digits = "".join(ch for ch in folded if ch.isdigit())
    return ("+" + digits) if folded.startswith("+") else digits


def check_phone(value: str) -> str:
    phone = normal_phone(value)
    if not 5 <= len(phone.lstrip("+")) <= 15:
        raise ValidationError(_("Enter a phone number of 5 to 15 digits."))
    return phone
