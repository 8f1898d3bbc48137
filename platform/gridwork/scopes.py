"""What an API token opens. A module of its own so that the command line can name them
without loading the database layer."""

API_SCOPE = "api"
"""`/api/v1`, as the token's user."""
OPEN311_SCOPE = "open311"
"""Posting public requests to `/open311/v2` as an Open311 `api_key`."""
SCOPES = (API_SCOPE, OPEN311_SCOPE)
