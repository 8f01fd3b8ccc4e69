"""R16: `make refresh-ami` rewrites the pinned images from AWS's public parameters, and refuses a wrong answer.

AWS is replaced by botocore's Stubber: the script's calls and their parameters are checked, nothing leaves
this machine.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "refresh_ami.py"
spec = importlib.util.spec_from_file_location("refresh_ami", SCRIPT)
assert spec is not None
assert spec.loader is not None
refresh_ami = importlib.util.module_from_spec(spec)
spec.loader.exec_module(refresh_ami)

PARAMETERS = {
    "arm64": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64",
    "x86_64": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64",
}
OLD = {"arm64": "ami-0aaaaaaaaaaaaaaa1", "x86_64": "ami-0aaaaaaaaaaaaaaa2"}
NEW = {"arm64": "ami-0bbbbbbbbbbbbbbb1", "x86_64": "ami-0bbbbbbbbbbbbbbb2"}


def _document() -> dict[str, Any]:
    images = {"eu-central-1": {arch: {"id": OLD[arch], "name": "old", "published": "2026-01-01"} for arch in OLD}}
    return {"about": "pinned", "source": "before", "parameters": PARAMETERS, "images": images}


def _stubbed(answers: dict[str, dict[str, str]]) -> tuple[Any, list[Stubber]]:
    """A client factory whose ssm/ec2 clients answer `answers[arch]` = {"id", "architecture", "name"} in turn."""
    clients: dict[tuple[str, str], Any] = {}
    stubbers: list[Stubber] = []
    for service in ("ssm", "ec2"):
        client = boto3.client(
            service, region_name="eu-central-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        stubber = Stubber(client)
        clients[(service, "eu-central-1")] = (client, stubber)
        stubbers.append(stubber)
    ssm, ec2 = clients[("ssm", "eu-central-1")][1], clients[("ec2", "eu-central-1")][1]
    for arch, answer in answers.items():
        ssm.add_response("get_parameter", {"Parameter": {"Value": answer["id"]}}, {"Name": PARAMETERS[arch]})
        image = {"ImageId": answer["id"], "Architecture": answer["architecture"], "Name": answer["name"]}
        ec2.add_response("describe_images", {"Images": [{**image, "State": "available"}]}, {"ImageIds": [answer["id"]]})
    for stubber in stubbers:
        stubber.activate()
    return (lambda service, region: clients[(service, region)][0]), stubbers


def _good_answers() -> dict[str, dict[str, str]]:
    return {
        arch: {"id": NEW[arch], "architecture": arch, "name": f"al2023-ami-2023.12.20261101.0-kernel-6.1-{arch}"}
        for arch in ("arm64", "x86_64")
    }


def test_r16_refresh_rewrites_each_pinned_image_from_the_public_parameter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "images.json"
    path.write_text(json.dumps(_document()))
    factory, stubbers = _stubbed(_good_answers())
    assert refresh_ami.main(["--file", str(path)], client=factory) == 0
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
    written = json.loads(path.read_text())
    assert {arch: entry["id"] for arch, entry in written["images"]["eu-central-1"].items()} == NEW
    assert written["parameters"] == PARAMETERS
    assert f"eu-central-1 x86_64: {OLD['x86_64']} -> {NEW['x86_64']}" in capsys.readouterr().out


def test_r16_an_image_of_the_wrong_architecture_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "images.json"
    path.write_text(json.dumps(_document()))
    before = path.read_text()
    answers = _good_answers()
    answers["arm64"] = {**answers["arm64"], "architecture": "x86_64"}
    factory, _ = _stubbed({"arm64": answers["arm64"]})
    assert refresh_ami.main(["--file", str(path)], client=factory) == 1
    assert path.read_text() == before
    assert "not an available arm64 AL2023 image" in capsys.readouterr().err
