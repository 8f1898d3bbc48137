"""Field types, validators, form models and widgets."""
