"""The Amazon Linux 2023 image the fleet runs (R16): pinned per region and architecture, never looked up at deploy.

An image id taken from AWS's public SSM parameter (`AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>`) is
re-resolved by CloudFormation on every stack update, so the first deploy after AWS publishes a new image
replaces the whole fleet, whatever the change was about (SPEC failure 10). Here the id is data in
`data/al2023_images.json`: synth reads only that file, and `make refresh-ami` (scripts/refresh_ami.py, AWS
credentials needed) rewrites it from the public parameters, so a new image arrives as a reviewed diff.

AMI ids are `ami-` followed by 8 or, for newer resources, 17 characters
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html); AWS publishes the latest AL2023 image
ids as public Systems Manager parameters
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-systems-manager-parameter-to-find-AMI.html).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from payment_failover.config.instance_types import Architecture

IMAGES_FILE = Path(__file__).resolve().parent / "data" / "al2023_images.json"
AMI_ID = re.compile(r"^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$", re.ASCII)


@dataclass(frozen=True)
class PinnedImage:
    region: str
    architecture: Architecture
    image_id: str
    name: str


@cache
def table(path: Path = IMAGES_FILE) -> dict[str, Any]:
    """The whole pinned-image document (about, source, parameters, images)."""
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def pinned_images() -> tuple[PinnedImage, ...]:
    return tuple(
        PinnedImage(region, Architecture(arch), entry["id"], entry["name"])
        for region, by_arch in sorted(table()["images"].items())
        for arch, entry in sorted(by_arch.items())
    )


def pinned_image(region: str, architecture: Architecture) -> PinnedImage | None:
    """The image pinned for a region and architecture, or None when the table has none."""
    return next((i for i in pinned_images() if (i.region, i.architecture) == (region, architecture)), None)


def known_image(image_id: str) -> PinnedImage | None:
    """Where an id appears in the table (its region and architecture), or None for an id the table does not list."""
    return next((i for i in pinned_images() if i.image_id == image_id), None)
