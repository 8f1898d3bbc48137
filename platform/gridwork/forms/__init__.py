"""Field types and the form models built from them.

Plugin authors subclass `FieldType` (``from gridwork.forms import FieldType``)."""

from .fieldtype import FieldType as FieldType
