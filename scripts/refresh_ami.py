"""Refresh the pinned Amazon Linux 2023 images (`make refresh-ami`; AWS credentials needed).

For every region in `payment_failover/config/data/al2023_images.json` (plus any given with --region), reads AWS's
public SSM parameter of each architecture, checks the image with DescribeImages (available, the expected
architecture, an `al2023-ami-` name), and rewrites the file. Review the diff and commit it: the next deploy
rolls the fleet onto the new image, health-gated like any other launch-template change
(docs/runbooks/new-image.md). Synth itself never calls AWS.

Usage: python scripts/refresh_ami.py [--region REGION ...] [--file PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from payment_failover.config.images import AMI_ID, IMAGES_FILE  # noqa: E402

ClientFactory = Callable[[str, str], Any]


class RefreshError(Exception):
    """AWS answered with something that is not a usable AL2023 image; nothing is written."""


def _boto3_client(service: str, region: str) -> Any:
    import boto3

    return boto3.client(service, region_name=region)


def latest_image(client: ClientFactory, region: str, architecture: str, parameter: str) -> dict[str, str]:
    """The image AWS's public parameter names today, checked with DescribeImages."""
    image_id = client("ssm", region).get_parameter(Name=parameter)["Parameter"]["Value"]
    if not AMI_ID.match(image_id):
        raise RefreshError(f"{parameter} in {region} holds {image_id!r}, which is not an AMI id")
    images = client("ec2", region).describe_images(ImageIds=[image_id])["Images"]
    if len(images) != 1:
        raise RefreshError(f"{image_id} ({parameter}) is not visible in {region}")
    (image,) = images
    name = image.get("Name", "")
    if (
        image.get("Architecture") != architecture
        or not name.startswith("al2023-ami-")
        or image.get("State") != "available"
    ):
        raise RefreshError(
            f"{image_id} in {region} is {image.get('Architecture')} {name!r} ({image.get('State')}), "
            f"not an available {architecture} AL2023 image"
        )
    return {"id": image_id, "name": name, "published": datetime.now(UTC).date().isoformat()}


def refresh(document: dict[str, Any], regions: list[str], client: ClientFactory) -> dict[str, Any]:
    """A new document with every region's images read from AWS; the old entries are replaced, not merged."""
    images = {
        region: {
            arch: latest_image(client, region, arch, parameter) for arch, parameter in document["parameters"].items()
        }
        for region in sorted(set(document["images"]) | set(regions))
    }
    source = "AWS's public SSM parameters, read by scripts/refresh_ami.py"
    return {**document, "source": source, "images": images}


def main(argv: list[str] | None = None, client: ClientFactory = _boto3_client) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", action="append", default=[], help="also pin images for this region")
    parser.add_argument("--file", type=Path, default=IMAGES_FILE)
    args = parser.parse_args(argv)
    document = json.loads(args.file.read_text(encoding="utf-8"))
    try:
        updated = refresh(document, args.region, client)
    except RefreshError as error:
        print(f"refresh-ami: {error}; {args.file} is unchanged", file=sys.stderr)
        return 1
    args.file.write_text(json.dumps(updated, indent=2) + "\n", encoding="utf-8")
    changed = [
        f"{region} {arch}: {document['images'].get(region, {}).get(arch, {}).get('id', '(none)')} -> {entry['id']}"
        for region, by_arch in updated["images"].items()
        for arch, entry in by_arch.items()
        if document["images"].get(region, {}).get(arch, {}).get("id") != entry["id"]
    ]
    print("\n".join(changed) if changed else "refresh-ami: every pinned image is already the latest")
    print(f"Review and commit {args.file.relative_to(ROOT) if args.file.is_relative_to(ROOT) else args.file}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
