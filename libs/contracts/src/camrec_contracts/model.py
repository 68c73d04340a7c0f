"""The base of the contracts' models: a field nobody declared is an error, not ignored (a typo
in a request, or a peer on a newer contract, is said out loud)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ContractModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
