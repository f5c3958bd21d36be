"""API keys: random bearer tokens, stored only as sha256 hashes and compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

__all__ = ["TOKEN_PREFIX", "Principal", "generate_token", "hash_token", "token_matches"]

TOKEN_PREFIX = "cc_"  # noqa: S105 - a public marker, not a secret
_TOKEN_BYTES = 32
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 6  # enough to tell keys apart in `keys list`, useless to an attacker


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the API key that authenticated the request."""

    key_id: str
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def generate_token() -> str:
    """A new key: 32 random bytes, URL-safe, with a prefix that makes leaked keys easy to grep for."""
    return TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)


def hash_token(token: str) -> str:
    # A plain hash suffices: the token has 256 random bits, so there is nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)
