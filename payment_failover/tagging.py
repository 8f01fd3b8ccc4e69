"""Tags on every resource of the Stage, and on its stacks (R12)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack, Tags
from constructs import IConstruct


def tag_everything(scope: IConstruct, tags: Sequence[tuple[str, str]]) -> None:
    """Tag every taggable resource below `scope`, and set the same tags on each of its stacks.

    Resource tags go into the templates; ASGs propagate them to every instance they launch. Stack tags are what
    CloudFormation applies at deploy time to resources CDK adds after aspects run; their propagation "varies by
    resource type" (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-resource-tags.md),
    which is why the resource tags stay the primary mechanism. With cdk.json's
    `@aws-cdk/core:explicitStackTags` (recommended since aws-cdk-lib 2.205) `Tags.of(...)` no longer sets stack
    tags, so they are set on each stack explicitly.
    """
    stacks = [node for node in scope.node.find_all() if isinstance(node, Stack)]
    for key, value in tags:
        Tags.of(scope).add(key, value, apply_to_launched_instances=True)
        for stack in stacks:
            stack.tags.set_tag(key, value)
