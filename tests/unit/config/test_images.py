"""R16, failure 10: the fleet's image is a pinned id from configuration, chosen by region and architecture."""

from __future__ import annotations

import pytest

from payment_failover.config import geography, images
from payment_failover.config.instance_types import Architecture
from tests.helpers.support import settings_from, single
from tests.helpers.synth import SynthesizedStage

FRANKFURT = {arch: images.pinned_image("eu-central-1", arch) for arch in Architecture}


def test_the_pinned_table_holds_only_well_formed_al2023_images_of_known_regions() -> None:
    pinned = images.pinned_images()
    assert pinned
    for image in pinned:
        assert images.AMI_ID.match(image.image_id), image
        assert image.region in geography.commercial_regions(), image
        assert image.name.startswith("al2023-ami-"), image
        assert image.name.endswith(f"-{image.architecture}"), image
    assert len({image.image_id for image in pinned}) == len(pinned)
    assert images.table()["parameters"] == {
        arch: f"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-{arch}" for arch in ("arm64", "x86_64")
    }


def test_frankfurt_has_an_image_for_each_architecture() -> None:
    assert all(FRANKFURT.values())


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({}, ("eu-central-1", Architecture.X86_64)),
        ({"instanceType": "m7g.large"}, ("eu-central-1", Architecture.ARM64)),
        ({"region": "eu-west-1"}, ("eu-west-1", Architecture.X86_64)),
    ],
    ids=["default", "graviton-takes-arm64", "other-region"],
)
def test_r16_settings_take_the_pinned_image_of_the_region_and_architecture(
    context: dict[str, str], expected: tuple[str, Architecture]
) -> None:
    image = images.pinned_image(*expected)
    assert image is not None
    assert settings_from(context).image_id == image.image_id


def test_r16_an_explicit_image_id_overrides_the_pinned_one() -> None:
    assert settings_from({"imageId": "ami-0123456789abcdef0"}).image_id == "ami-0123456789abcdef0"


def test_r16_the_launch_template_names_a_fixed_image_and_no_template_resolves_one_at_deploy(
    default_stage: SynthesizedStage, custom_stage: SynthesizedStage
) -> None:
    """Failure 10: no AWS::SSM::Parameter::Value<AWS::EC2::Image::Id> parameter anywhere in the Stage."""
    for stage, arch in ((default_stage, Architecture.X86_64), (custom_stage, Architecture.ARM64)):
        data = single(stage.service, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
        assert data["ImageId"] == stage.settings.image_id == FRANKFURT[arch].image_id  # type: ignore[union-attr]
        for template in stage.templates.values():
            parameters = template.to_json().get("Parameters", {}).values()
            assert all("AWS::EC2::Image::Id" not in str(p.get("Type")) for p in parameters)
