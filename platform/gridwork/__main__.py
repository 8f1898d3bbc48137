"""`python -m gridwork` runs the command line."""

from .cli import main

main()
