"""Shared Pydantic base: every input model forbids unknown fields and is immutable."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base for input models: unknown fields are errors, NaN/inf are refused, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
