"""The `gridwork` subcommands, one module per area; `cli.py` imports a module only when one of its commands runs."""
