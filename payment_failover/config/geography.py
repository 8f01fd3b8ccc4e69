"""Where the app may run: commercial regions, their Availability Zone names, and Route 53's checker regions.

Regions, checker regions and instance types come from `data/aws_catalogue.json`, generated from the pinned
botocore's partition data and service models (`make catalogue`; a test keeps them equal).

The AZ names are a table kept here, because no offline AWS source lists them. The rule behind it, from
https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html: "The code for
an Availability Zone is its Region code followed by a letter identifier", and from
https://docs.aws.amazon.com/global-infrastructure/latest/regions/az-ids.html: "All Regions introduced after
November 2012 use a uniform mapping of Availability Zones to codes". So a newer three-AZ region has the letters
a, b, c. The exceptions below are the older regions whose letters are not simply a, b, c (as
`aws ec2 describe-availability-zones` answers there), and us-west-1, where an account sees two AZs (AZ IDs
usw1-az1 and usw1-az3, https://docs.aws.amazon.com/efs/latest/ug/OneZoneAZs.html). In the independently mapped
older regions the letter → physical zone mapping differs per account, but the set of letters does not.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CATALOGUE = Path(__file__).resolve().parent / "data" / "aws_catalogue.json"

# The AZ letters of every commercial region that are not simply "a, b, c".
_AZ_LETTERS_EXCEPTIONS: dict[str, str] = {
    "us-east-1": "abcdef",
    "us-west-1": "bc",  # two AZs per account (the letters differ per account: a/b or b/c)
    "us-west-2": "abcd",
    "ca-central-1": "abd",
    "ap-northeast-1": "acd",
    "ap-northeast-2": "abcd",
}
# Regions botocore lists before their AZs are published: refused until this table knows them.
_AZS_UNPUBLISHED = frozenset({"me-west-1", "sa-west-1"})
REQUIRED_AZS = 3


@cache
def catalogue() -> dict[str, Any]:
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def commercial_regions() -> frozenset[str]:
    return frozenset(catalogue()["commercialRegions"])


def route53_checker_regions() -> tuple[str, ...]:
    return tuple(catalogue()["route53CheckerRegions"])


def availability_zones(region: str) -> tuple[str, ...]:
    """The AZ names of a commercial region, in letter order; empty when their names are not published yet."""
    if region not in commercial_regions() or region in _AZS_UNPUBLISHED:
        return ()
    return tuple(region + letter for letter in _AZ_LETTERS_EXCEPTIONS.get(region, "abc"))


def default_availability_zones(region: str) -> tuple[str, ...]:
    """The first three AZs that exist in the region (fewer when it has fewer)."""
    return availability_zones(region)[:REQUIRED_AZS]
