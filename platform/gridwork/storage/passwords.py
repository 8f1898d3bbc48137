"""Password hashes written the one way `gridwork` verifies them (argon2id, library defaults)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher

_HASHER = PasswordHasher()
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Letters and digits without the look-alikes (l, 1, I, O, 0, o) people misread on paper."""


def hash_password(password: str) -> str:
    """The argon2 hash stored in `users.password_hash`."""
    return _HASHER.hash(password)


def initial_password(length: int = 12) -> str:
    """A random password to hand to a new user (about 70 bits at the default length)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
