"""Form models generated from the config: the one check the web form, the API and importers share.

Each register gets a pydantic model, built once per deployment, whose fields are the
register's fields typed by field type. Validating a raw input through it (a web form's
multidict, a JSON ``values`` object, an imported row) reports every field's errors at
once, keyed by field name, or gives every field's clean value.

Not checked here: unique constraints (the database enforces them) and whether a referenced
record, node or user exists and lies in the user's scope (the storage layer checks that,
through the ``resolve`` callback).
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Mapping
from typing import Any, ClassVar

import pluggy
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    create_model,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .. import plugins
from ..config.models import Deployment
from ..config.plugin_checks import deployment_manager
from .form import Form, FormField, Functions, Resolve
from .inputs import RawInput, read

Errors = dict[str, list[str]]
"""Messages by field name, as the API answers them: ``{"credit_code": ["checksum fails"]}``."""


class FormModel(BaseModel):
    """Base of the generated models: the clean values of one record of one register.

    ``model_validate(raw, context={"system": …, "functions": …, "resolve": …, "only": …})``
    takes
    the same options as `validate_record`.
    """

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    gridwork_form: ClassVar[Form]
    """The compiled form that does the checking."""

    @model_validator(mode="wrap")
    @classmethod
    def _clean(cls, data: Any, handler: ModelWrapValidatorHandler[FormModel],
               info: ValidationInfo) -> FormModel:
        options = info.context or {}
        clean, errors = cls.gridwork_form.clean(
            data, system=options.get("system"), functions=options.get("functions"),
            resolve=options.get("resolve"), only=options.get("only"))
        if errors:
            details = [InitErrorDetails(type=PydanticCustomError("invalid", text), loc=(name,),
                                        input=read(data, name))
                       for name, texts in errors.items() for text in texts]
            raise ValidationError.from_exception_data(cls.__name__, details)
        return handler(clean)


_MODELS: dict[int, tuple[weakref.ref[Deployment], dict[tuple[str, Any], type[FormModel]]]] = {}
"""Built models per live deployment (by identity: a Deployment is not hashable)."""


def form_model(deployment: Deployment, register_name: str, *,
               plugin_manager: pluggy.PluginManager | None = None) -> type[FormModel]:
    """The form model of a register, built on first use and kept while the deployment lives.

    Without ``plugin_manager``, the deployment's own ``plugins:`` supply extra field types.
    Raises KeyError for an unknown register.
    """
    key = id(deployment)
    entry = _MODELS.get(key)
    if entry is None or entry[0]() is not deployment:
        entry = (weakref.ref(deployment, lambda _: _MODELS.pop(key, None)), {})
        _MODELS[key] = entry
    models = entry[1]
    model = models.get((register_name, plugin_manager))
    if model is None:
        types = plugins.field_types(plugin_manager or _deployment_plugins(deployment))
        model = _build(Form.build(deployment, register_name, types), register_name)
        models[(register_name, plugin_manager)] = model
    return model


def validate_record(deployment: Deployment, register_name: str, raw: RawInput, *,
                    system: Mapping[str, Any] | None = None,
                    functions: Functions | None = None, resolve: Resolve | None = None,
                    only: Collection[str] | None = None,
                    plugin_manager: pluggy.PluginManager | None = None,
                    ) -> tuple[dict[str, Any] | None, Errors]:
    """Check one record's input; return (every field's clean value, {}) or (None, errors).

    Args:
        raw: a mapping or a multidict (repeated keys) of field names to what was typed.
        system: system values (category, node…) that show_if and computed read; they win
            over the same names in ``raw``.
        functions: what expressions may call; pass ``today`` from the injectable clock.
        resolve: turns a checked value into the stored one, or raises ValueError.
        only: the fields this step's form takes (see `forms.steps`); default all.
    """
    model = form_model(deployment, register_name, plugin_manager=plugin_manager)
    context = {"system": system, "functions": functions, "resolve": resolve, "only": only}
    try:
        record = model.model_validate(raw, context=context)
    except ValidationError as err:
        return None, errors_by_field(err)
    return record.model_dump(by_alias=True), {}


def visible_fields(deployment: Deployment, register_name: str, values: RawInput, *,
                   system: Mapping[str, Any] | None = None, functions: Functions | None = None,
                   only: Collection[str] | None = None,
                   plugin_manager: pluggy.PluginManager | None = None) -> set[str]:
    """The fields shown for these (raw or clean) values: what the form re-renders on a change.
    With ``only``, the step's form shows none but those."""
    form = form_model(deployment, register_name, plugin_manager=plugin_manager).gridwork_form
    shown = form.visible(values, system=system, functions=functions, only=only)
    return shown if only is None else shown & set(only)


def computed_values(deployment: Deployment, register_name: str, values: RawInput, *,
                    system: Mapping[str, Any] | None = None, functions: Functions | None = None,
                    plugin_manager: pluggy.PluginManager | None = None) -> dict[str, Any]:
    """The shown computed fields' values for these (raw or clean) values, even amid errors."""
    form = form_model(deployment, register_name, plugin_manager=plugin_manager).gridwork_form
    return form.computed(values, system=system, functions=functions)


def errors_by_field(err: ValidationError) -> Errors:
    """A form model's ValidationError as messages by field name."""
    errors: Errors = {}
    for error in err.errors():
        errors.setdefault(str(error["loc"][0]), []).append(error["msg"])
    return errors


def _build(form: Form, register_name: str) -> type[FormModel]:
    definitions = dict(_definition(field) for field in form.fields)
    title = "".join(part.title() for part in register_name.split("_")) + "Form"
    model = create_model(title, __base__=FormModel, **definitions)
    model.gridwork_form = form
    return model


def _definition(field: FormField) -> tuple[str, Any]:
    """The model attribute for a field; one named like a BaseModel member gets a ``_``."""
    kind = field.python_type
    annotation = kind if kind is Any else kind | None
    if hasattr(FormModel, field.name):
        return f"{field.name}_", (annotation, Field(None, alias=field.name))
    return field.name, (annotation, None)


def _deployment_plugins(deployment: Deployment) -> pluggy.PluginManager:
    """The plugin manager with the deployment's plugins (and their settings)."""
    return deployment_manager(deployment)
