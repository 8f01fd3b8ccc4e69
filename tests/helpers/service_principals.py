"""Every AWS service principal a synthesized template lets in, and whether it is bound to this account (R19).

A statement binds its service to our own resources when a condition names `aws:SourceAccount` or `aws:SourceArn`
(IAM matches condition key names without regard to case:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aws_cdk.assertions import Template

from tests.helpers.dashboard_body import resolve

SOURCE_KEYS = frozenset({"aws:sourceaccount", "aws:sourcearn"})
# Where a policy sits in each resource type, and what kind of policy it is.
POLICY_PROPERTIES = {
    "AWS::IAM::Role": ("AssumeRolePolicyDocument", "trust"),
    "AWS::KMS::Key": ("KeyPolicy", "key"),
    "AWS::S3::BucketPolicy": ("PolicyDocument", "resource"),
    "AWS::SNS::TopicPolicy": ("PolicyDocument", "resource"),
    "AWS::SQS::QueuePolicy": ("PolicyDocument", "resource"),
    "AWS::Logs::ResourcePolicy": ("PolicyDocument", "resource"),
    "AWS::EC2::VPCEndpoint": ("PolicyDocument", "resource"),
}


@dataclass(frozen=True)
class Grant:
    """One service principal allowed by one statement of one resource's policy."""

    logical_id: str
    resource_type: str
    policy: str
    principal: str
    conditions: dict[str, dict[str, Any]]

    def condition_keys(self) -> set[str]:
        return {key.lower() for block in self.conditions.values() for key in block}

    def condition_value(self, key: str) -> Any:
        for block in self.conditions.values():
            for name, value in block.items():
                if name.lower() == key.lower():
                    return value
        return None

    @property
    def bound(self) -> bool:
        return bool(self.condition_keys() & SOURCE_KEYS)


def _services(principal: Any) -> list[str]:
    if not isinstance(principal, dict) or "Service" not in principal:
        return []
    services = principal["Service"]
    return [services] if isinstance(services, str) else list(services)


def _statements(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, str) or (isinstance(document, dict) and "Fn::Join" in document):
        document = resolve(document)
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _has_principal(value: Any) -> bool:
    if isinstance(value, dict):
        return "Principal" in value or any(_has_principal(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_principal(item) for item in value)
    if isinstance(value, str):
        return '"Principal"' in value
    return False


def grants(template: Template) -> Iterator[Grant]:
    """Every (statement, service principal) an Allow statement of the template names, with its conditions.

    A resource type that holds a principal somewhere but is not in POLICY_PROPERTIES (a Lambda permission, an event
    bus policy, ...) is reported with policy "unknown", so a new kind of policy cannot slip past unreviewed.
    """
    for logical_id, resource in template.to_json()["Resources"].items():
        type_ = resource["Type"]
        properties = resource.get("Properties", {})
        if type_ == "AWS::Lambda::Permission":
            principal = properties.get("Principal", "")
            if principal.endswith(".amazonaws.com"):
                # A Lambda permission names the source as properties of its own.
                source = {f"aws:{key}": properties[key] for key in ("SourceAccount", "SourceArn") if key in properties}
                yield Grant(logical_id, type_, "resource", principal, {"Properties": source})
            continue
        if type_ not in POLICY_PROPERTIES:
            if type_ not in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} and _has_principal(properties):
                yield Grant(logical_id, type_, "unknown", "<unreviewed policy>", {})
            continue
        key, policy = POLICY_PROPERTIES[type_]
        for statement in _statements(properties.get(key, {})):
            if statement.get("Effect") != "Allow":
                continue
            for service in _services(statement.get("Principal")):
                yield Grant(logical_id, type_, policy, service, statement.get("Condition", {}))
