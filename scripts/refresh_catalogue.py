"""Regenerate payment_failover/config/data/aws_catalogue.json from the botocore pinned in requirements-dev.txt.

`make catalogue` runs it after a botocore pin bump; tests/unit/config/test_catalogue.py fails while the committed file
differs from what the pinned botocore says, so the catalogue cannot drift from its source. The synth itself
reads only the small committed file (parsing botocore's EC2 model costs ~0.4 s per synth).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

import botocore

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "payment_failover" / "data" / "aws_catalogue.json"
_DATA = Path(botocore.__file__).resolve().parent / "data"


def _service_model(service: str) -> dict[str, Any]:
    versions = sorted(path for path in (_DATA / service).iterdir() if path.is_dir())
    model = versions[-1] / "service-2.json.gz"
    return json.loads(gzip.decompress(model.read_bytes()))  # type: ignore[no-any-return]


def build() -> dict[str, Any]:
    """Commercial regions, Route 53 checker regions and EC2 instance types, as the pinned botocore ships them."""
    partitions = json.loads((_DATA / "partitions.json").read_text())["partitions"]
    commercial = next(partition for partition in partitions if partition["id"] == "aws")
    return {
        "source": f"botocore {botocore.__version__} (make catalogue)",
        "commercialRegions": sorted(name for name in commercial["regions"] if not name.endswith("-global")),
        "route53CheckerRegions": sorted(_service_model("route53")["shapes"]["HealthCheckRegion"]["enum"]),
        "instanceTypes": sorted(_service_model("ec2")["shapes"]["InstanceType"]["enum"]),
    }


def render(catalogue: dict[str, Any]) -> str:
    return json.dumps(catalogue, indent=1) + "\n"


def main() -> int:
    CATALOGUE.write_text(render(build()))
    print(f"{CATALOGUE.relative_to(ROOT)} regenerated from botocore {botocore.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
