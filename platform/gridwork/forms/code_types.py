"""Built-in field types for codes: options, phone numbers, e-mail, ID cards, credit codes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from .fieldtype import Demo, FieldType, Names, Option, Options, Sheet

if TYPE_CHECKING:
    from sqlalchemy.types import TypeEngine

    from ..config.models import FieldSpec

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^\+?[\d\s()-]+$")
"""What a phone number may be typed with: digits, spaces, brackets, '-', a leading '+'.
Anything else is refused, not read: phonenumbers would turn letters into keypad digits."""
_USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CHOICES = frozenset({"choices"})


class ChoiceType(FieldType):
    """One option of a list (inline, or a shared dictionary named by ``choices``)."""

    name = "choice"
    options = _CHOICES
    required_options = _CHOICES
    python_type = str
    widget = "choice"
    indexed = True
    sortable = True
    listed = True

    def column_type(self, spec: FieldSpec) -> TypeEngine[Any]:
        from sqlalchemy import String

        from ..storage.system import CODE

        return String(CODE)

    def checks(self, spec: FieldSpec, choices: Mapping[str, Mapping[str, Any]]) -> list[str]:
        from ..storage.columns import choice_codes, sql_literal

        codes = choice_codes(spec, choices)
        if not codes:
            return []
        return [f'"{spec.name}" IN ({", ".join(sql_literal(code) for code in codes)})']

    def validate(self, value: Any, spec: FieldSpec) -> Any:
        code = str(value).strip()
        codes = _codes(spec)
        if codes is not None and code not in codes:
            raise ValueError(f"'{code}' is not one of the options")
        return code

    def form_options(self, spec: FieldSpec, offer: Options) -> list[Option]:
        return offer.choices(spec)

    def display(self, spec: FieldSpec, value: Any, names: Names) -> str:
        labels = dict(names.choices(spec))
        codes = value if isinstance(value, list) else [value]
        return "、".join(labels.get(str(code), str(code)) for code in codes)

    def import_cell(self, spec: FieldSpec, cell: Any, sheet: Sheet) -> Any:
        """A cell may name an option by its label (甲) as well as its code (A)."""
        by_label = sheet.codes_by_label(spec)
        if self.many(spec):
            known = {*by_label, *(sheet.choice_codes(spec) or [])}
            cell = [by_label.get(str(p).strip(), str(p).strip()) for p in _parts(cell, known)]
        else:
            cell = by_label.get(str(cell).strip(), cell)
        value = self.validate(cell, spec)
        allowed = sheet.choice_codes(spec) or []
        for code in value if isinstance(value, list) else [value]:
            if code not in allowed:
                raise ValueError(f"'{code}' is not one of the options")
        return value

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> Any:
        codes = demo.choice_codes(spec)
        return demo.random.choice(codes) if codes else None


class MultichoiceType(ChoiceType):
    """Any number of options of a list."""

    name = "multichoice"
    python_type = list[str]
    widget = "checkboxes"
    indexed = False
    sortable = False
    listed = False

    def column_type(self, spec: FieldSpec) -> TypeEngine[Any]:
        from sqlalchemy import JSON

        return JSON()

    def checks(self, spec: FieldSpec, choices: Mapping[str, Mapping[str, Any]]) -> list[str]:
        return []

    def many(self, spec: FieldSpec) -> bool:
        return True

    def validate(self, value: Any, spec: FieldSpec) -> list[str]:
        items = (value if isinstance(value, (list, tuple))
                 else str(value).replace("，", ",").split(","))
        return [ChoiceType.validate(self, item, spec) for item in items if str(item).strip()]

    def posted(self, spec: FieldSpec, form: Any) -> dict[str, Any]:
        return {spec.name: [str(v) for v in form.getlist(spec.name)]}

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> list[str]:
        codes = demo.choice_codes(spec) or []
        return sorted(demo.random.sample(codes, demo.random.randint(0, len(codes))))


class _Code(FieldType):
    """A code typed as text and kept in a short string column."""

    python_type = str
    length = 18
    searched = True
    sortable = True
    listed = True

    def column_type(self, spec: FieldSpec) -> TypeEngine[Any]:
        from sqlalchemy import String

        return String(self.length)


class PhoneType(_Code):
    """A phone number, kept in national form for China and E.164 for elsewhere."""

    name = "phone"
    widget = "tel"
    length = 32
    personal = True

    def validate(self, value: Any, spec: FieldSpec) -> str:
        text = str(value).strip()
        if not _PHONE_RE.match(text) or not any(c.isdigit() for c in text):
            raise ValueError("only digits, spaces, brackets, '-' and a leading '+'")
        import phonenumbers  # its metadata takes a while to load; `check` never needs it

        try:
            number = phonenumbers.parse(text, "CN")
        except phonenumbers.NumberParseException:
            raise ValueError("not a phone number") from None
        if not phonenumbers.is_valid_number(number):
            raise ValueError("not a valid phone number")
        if number.country_code == 86:
            return phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.NATIONAL).replace(" ", "")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> str:
        for _ in range(50):
            try:
                return self.validate(demo.fake.phone_number(), spec)
            except ValueError:
                continue  # Faker knows a few prefixes the numbering plan does not
        raise ValueError("cannot make a valid demo phone number")


class EmailType(_Code):
    """An e-mail address."""

    name = "email"
    widget = "email"
    length = 254

    def validate(self, value: Any, spec: FieldSpec) -> str:
        text = str(value).strip()
        if not _EMAIL_RE.match(text):
            raise ValueError("not an e-mail address")
        return text

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> str:
        return str(demo.fake.email())


class IdCardType(_Code):
    """A resident ID-card number (GB 11643), checked to its check digit."""

    name = "id_card"
    personal = True
    sortable = False

    def validate(self, value: Any, spec: FieldSpec) -> str:
        return id_card_number(value)

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> str:
        for _ in range(50):
            try:
                return id_card_number(demo.fake.ssn())
            except ValueError:
                continue  # Faker's area codes are not all known for every birth year
        raise ValueError("cannot make a valid demo ID-card number")


class CreditCodeType(_Code):
    """A unified social credit code (GB 32100), checked to its check character."""

    name = "credit_code"

    def validate(self, value: Any, spec: FieldSpec) -> str:
        try:
            return str(uscc.validate(str(value)))
        except StdnumError as err:
            raise ValueError("not a valid unified social credit code: "
                             f"{_stdnum_reason(err)}") from None

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> str:
        body = "91330106" + "".join(demo.random.choice(_USCC_BODY) for _ in range(9))
        return str(uscc.validate(body + uscc.calc_check_digit(body)))


def id_card_number(value: Any) -> str:
    """The compact ID-card number, or ValueError saying what is wrong with it."""
    try:
        return str(ric.validate(str(value)))
    except StdnumError as err:
        raise ValueError(f"not a valid ID-card number: {_stdnum_reason(err)}") from None
    except KeyError:
        # python-stdnum 2.2 fails looking up some area codes' names; the number itself
        # may be fine, so check what the standard defines: length, birth date, checksum.
        number = ric.compact(str(value))
        if len(number) != 18 or not number[:17].isdigit():
            raise ValueError("not a valid ID-card number: wrong format") from None
        try:
            ric.get_birth_date(number)
        except StdnumError as err:
            raise ValueError(f"not a valid ID-card number: {_stdnum_reason(err)}") from None
        if ric.calc_check_digit(number) != number[-1]:
            raise ValueError("not a valid ID-card number: checksum fails") from None
        return number


def _codes(spec: FieldSpec) -> list[str] | None:
    """The option codes of an inline choice list; None when it names a shared dictionary
    (the form inlines those before it checks)."""
    if isinstance(spec.choices, (dict, tuple)):
        return [str(c) for c in spec.choices]
    return None


def _stdnum_reason(err: StdnumError) -> str:
    reasons = {"InvalidChecksum": "checksum fails", "InvalidLength": "wrong length",
               "InvalidFormat": "wrong format", "InvalidComponent": "a part of it is invalid"}
    return reasons.get(type(err).__name__, str(err))


def _parts(raw: Any, known: set[str]) -> list[Any]:
    """The options a multiple-choice cell names: separated by commas, or by spaces as
    ODK Collect and KoboToolbox write them (codes hold no spaces; a label may)."""
    if isinstance(raw, list):
        return raw
    text = str(raw).replace("，", ",").strip()
    return text.split(",") if "," in text or text in known else text.split()
