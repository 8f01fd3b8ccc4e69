"""EC2 instance types the app accepts, and the CPU architecture each implies.

The catalogue is the `InstanceType` enum of the EC2 API model in the pinned botocore (`data/aws_catalogue.json`,
`make catalogue`). The architecture follows AWS's naming rule
(https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html): after the family and the
generation comes the processor family, where "g" means AWS Graviton processors (arm64); `a1` is the first
Graviton generation, named before that rule.
"""

from __future__ import annotations

import re
from enum import StrEnum

from payment_failover.config.geography import catalogue

_FAMILY = re.compile(r"^(?P<series>[a-z]+?)(?P<generation>[0-9]+)(?P<options>[a-z]*)(?:-[a-z0-9]+)*$", re.ASCII)
# Families that cannot serve this web tier, by name prefix, with the reason given to the user.
_UNSUPPORTED_PREFIXES = {
    "mac": "macOS instances run only on Dedicated Hosts, which this Auto Scaling group does not use"
}


class Architecture(StrEnum):
    X86_64 = "x86_64"
    ARM64 = "arm64"


def known_instance_types() -> frozenset[str]:
    return frozenset(catalogue()["instanceTypes"])


def architecture(instance_type: str) -> Architecture:
    """The CPU architecture of a catalogued instance type (arm64 for Graviton, otherwise x86_64)."""
    family = instance_type.split(".", 1)[0]
    if family == "a1":
        return Architecture.ARM64
    match = _FAMILY.match(family)
    if match is not None and match["options"].startswith("g"):
        return Architecture.ARM64
    return Architecture.X86_64


def unsupported_reason(instance_type: str) -> str | None:
    """Why a catalogued type cannot serve this web tier, or None."""
    return next((reason for prefix, reason in _UNSUPPORTED_PREFIXES.items() if instance_type.startswith(prefix)), None)


def is_burstable(instance_type: str) -> bool:
    """T types are the burstable performance instances (series "t" in AWS's naming rule, page above)."""
    match = _FAMILY.match(instance_type.split(".", 1)[0])
    return match is not None and match["series"] == "t"
