"""Tags on every resource of the Stage (R12)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Tags
from constructs import IConstruct


def tag_everything(scope: IConstruct, tags: Sequence[tuple[str, str]]) -> None:
    """Tag every taggable resource below `scope`, and its stacks.

    Stack-level tags are what CloudFormation applies at deploy time to resources CDK adds after
    aspects run (the cross-region reference provider's role and function). ASGs propagate the
    tags to every instance they launch.
    """
    for key, value in tags:
        Tags.of(scope).add(key, value, apply_to_launched_instances=True)
