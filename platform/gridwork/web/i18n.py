"""The pages' own words (not the deployment's labels) in Chinese and English, from Babel catalogues.

The English text is the message id. ``locale/<lang>/LC_MESSAGES/messages.mo`` is compiled from
the ``.po`` beside it and committed, so nothing is built at run time; a missing entry shows the
English. Messages made outside the web layer (field validators, pages that pick a message in
code) arrive as plain text; :data:`ELSEWHERE` marks them so ``pybabel extract`` still finds
them, and :data:`PATTERNS` maps the parameterised ones to a message id.
Re-extract and compile with the commands in ``locale/README.md``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def N_(text: str) -> str:
    """Mark ``text`` for extraction without translating it here."""
    return text


ELSEWHERE = (
    # Field validators (gridwork.forms) and the scope checks of submissions.
    N_("required"), N_("a single value is needed"), N_("a whole number is needed"),
    N_("a number is needed"), N_("the number is too large"), N_("yes or no is needed"),
    N_("a date like 2026-10-01 is needed"),
    N_("a date and time like 2026-10-01 09:30 is needed"),
    N_("not a phone number"), N_("not a valid phone number"), N_("not an e-mail address"),
    N_("only digits, spaces, brackets, '-' and a leading '+'"),
    N_("not on the form for a new record"), N_("not asked by this action"),
    N_("a point 'latitude, longitude' is needed"),
    N_("latitude must lie within ±90 and longitude within ±180"), N_("pick a record"),
    N_("a value is needed"), N_("not within your area"), N_("not at the right level"),
    N_("records sit on the areas below this one; choose one of them"),
    N_("no such user"), N_("no such record"), N_("only JPEG, PNG or WebP images"),
    N_("one file only"), N_("already used by another record"),
    # Error pages and sign-in (web.app, web.pages_auth) and history actions (web.pages_record).
    N_("Not allowed"), N_("Your roles do not allow this."),
    N_("Your form expired or was sent from elsewhere; please try again."),
    N_("Not found"), N_("The page does not exist, or is not yours to see."),
    N_("The username or password is wrong."),
    N_("Too many failed attempts: this account is locked for 15 minutes."),
    N_("created"), N_("edited"),
    # The timeline's names of history actions that are no workflow transition (web.workflow_view).
    N_("supervision opened"), N_("deadline passed"), N_("reminder sent"), N_("escalated"),
    N_("moved up a level"), N_("priority raised"), N_("no holiday data"),
)
"""Messages passed to ``t`` as a variable: listed here so the catalogue keeps them."""

PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^at least (\d+) characters$"), N_("at least {0} characters")),
    (re.compile(r"^at most (\d+) characters$"), N_("at most {0} characters")),
    (re.compile(r"^must be at least (.+)$"), N_("must be at least {0}")),
    (re.compile(r"^must be at most (.+)$"), N_("must be at most {0}")),
    (re.compile(r"^must not be before (.+)$"), N_("must not be before {0}")),
    (re.compile(r"^must not be after (.+)$"), N_("must not be after {0}")),
    (re.compile(r"^at most (\d+) digits after the point$"),
     N_("at most {0} digits after the point")),
    (re.compile(r"^'(.*)' is not one of the options$"), N_("'{0}' is not one of the options")),
    (re.compile(r"^not a valid ID-card number: (.+)$"), N_("not a valid ID-card number: {0}")),
    (re.compile(r"^not a valid unified social credit code: (.+)$"),
     N_("not a valid unified social credit code: {0}")),
    (re.compile(r"^larger than (.+)$"), N_("larger than {0}")),
    (re.compile(r"^not in the expected format, e\.g\. (.+)$"),
     N_("not in the expected format, e.g. {0}")),
    (re.compile(r"^not in the expected format: it must match (.+)$"),
     N_("not in the expected format: it must match {0}")),
)
"""Validator messages with a value in them: the pattern, and the message id it becomes."""


@cache
def catalogue(locale: str) -> NullTranslations:
    """The compiled catalogue of ``locale`` (read once per process)."""
    return Translations.load(str(LOCALE_DIR), [locale], DOMAIN)


def translate(text: str, locale: str, **params: object) -> str:
    """``text`` in ``locale`` with ``{name}`` placeholders filled."""
    words = catalogue(locale)
    found = words.gettext(text)
    if found == text:
        for pattern, message_id in PATTERNS:
            match = pattern.match(text)
            if match:
                translated = words.gettext(message_id)
                if translated != message_id:
                    found = translated.format(*match.groups())
                break
    return found.format(**params) if params else found
