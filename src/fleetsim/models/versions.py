"""Versions that are part of a result's identity: a change to either gives new job ids."""

MODEL_VERSION = "2026.12.4"
"""Bump whenever a code change alters any result for the same input, so that jobs keyed by
the old results are not returned for the new code."""

SCHEMA_VERSION = 3
"""The result envelope's shape: bumped when a field is added, renamed or removed."""
