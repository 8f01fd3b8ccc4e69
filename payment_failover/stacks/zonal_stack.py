"""A Stack that knows its Availability Zones from configuration instead of a context lookup."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack
from constructs import Construct


class ZonalStack(Stack):
    """Answers `availability_zones` with the configured AZs.

    A stack with a concrete account/region otherwise asks for the `availability-zones` context
    (a lookup that needs credentials), and an environment-agnostic one silently gets two AZs.
    """

    def __init__(self, scope: Construct, id_: str, *, availability_zones: Sequence[str], **kwargs: Any) -> None:
        super().__init__(scope, id_, **kwargs)
        self._availability_zones = list(availability_zones)

    @property
    def availability_zones(self) -> list[str]:
        return self._availability_zones
