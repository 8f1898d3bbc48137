"""The built-in field types, registered through the same hook a plugin's types are."""

from __future__ import annotations

from ..plugins import hookimpl
from .code_types import (
    ChoiceType,
    CreditCodeType,
    EmailType,
    IdCardType,
    MultichoiceType,
    PhoneType,
)
from .fieldtype import FieldType
from .link_types import (
    DepartmentType,
    FileType,
    GeoPointType,
    NodeType,
    PhotoType,
    ReferenceType,
    UserType,
)
from .plain_types import (
    BooleanType,
    DateTimeType,
    DateType,
    DecimalType,
    IntegerType,
    TextareaType,
    TextType,
)

BUILTIN_TYPES: tuple[FieldType, ...] = (
    TextType(), TextareaType(), IntegerType(), DecimalType(), BooleanType(), DateType(),
    DateTimeType(), ChoiceType(), MultichoiceType(), PhoneType(), EmailType(), IdCardType(),
    CreditCodeType(), GeoPointType(), PhotoType(), FileType(), ReferenceType(), NodeType(),
    UserType(), DepartmentType(),
)


@hookimpl
def gridwork_field_types() -> tuple[FieldType, ...]:
    """Offer the built-in field types."""
    return BUILTIN_TYPES
