"""R19 confused-deputy protection: every AWS service let into a policy of the Stage acts only for this account.

Each documented condition is pinned to its exact value, one test per principal; a walk over every template of every
configuration fails on any service principal that carries neither aws:SourceAccount nor aws:SourceArn and is not
in `confused_deputy.UNCONDITIONED` with its reason (the pipeline's roles:
tests/unit/pipeline/test_pipeline_stack.py). The
conditions are also evaluated, with IAM's own operators, against the ARNs of the resources the services really act
for, so a condition that would shut out our own alarms, experiments or flow logs fails here and not in production.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from payment_failover.compliance import confused_deputy
from payment_failover.components.edge.access_logs import ELB_LOG_DELIVERY_SERVICE, AccessLogBucket, log_alb_access
from payment_failover.components.network.network import Network
from payment_failover.components.observability.log_encryption import LogArchive
from tests.helpers.service_principals import Grant, grants
from tests.helpers.support import AZS, bare_stack
from tests.helpers.synth import SynthesizedStage, project_app

ACCOUNT = "123456789012"


def _aws(value: Any) -> Any:
    """A policy value with CDK's joins over the partition written out for the commercial partition."""
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join("aws" if part == {"Ref": "AWS::Partition"} else str(_aws(part)) for part in parts)
    if isinstance(value, dict):
        return {key: _aws(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_aws(item) for item in value]
    return value


def _grant(template: Template, principal: str, policy: str) -> Grant:
    (found,) = [g for g in grants(template) if g.principal == principal and g.policy == policy]
    return found


def _bound(source_arn: str, account: str = ACCOUNT) -> dict[str, Any]:
    return {"StringEquals": {"aws:SourceAccount": account}, "ArnLike": {"aws:SourceArn": source_arn}}


# --- IAM's evaluation of the two operators used, to run the conditions against real source ARNs -----------------
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html :
# StringEquals is an exact, case-sensitive match; ArnLike matches each of the six colon-delimited ARN components
# separately, with * and ? wildcards inside a component.


def _arn_like(pattern: str, arn: str) -> bool:
    want, got = pattern.split(":", 5), arn.split(":", 5)
    return len(want) == len(got) == 6 and all(fnmatchcase(g, w) for w, g in zip(want, got, strict=True))


def allows(conditions: dict[str, dict[str, Any]], *, source_account: str, source_arn: str) -> bool:
    context = {"aws:sourceaccount": source_account, "aws:sourcearn": source_arn}
    for operator, block in conditions.items():
        for key, expected in block.items():
            actual = context[key.lower()]
            values = expected if isinstance(expected, list) else [expected]
            if operator == "StringEquals" and actual not in values:
                return False
            if operator == "ArnLike" and not any(_arn_like(v, actual) for v in values):
                return False
            if operator not in {"StringEquals", "ArnLike"}:
                raise AssertionError(f"no model for {operator}")
    return True


def test_the_arn_like_model_matches_per_component() -> None:
    pattern = "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:*"
    assert _arn_like(pattern, "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:a:b")
    assert not _arn_like(pattern, "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x")
    assert not _arn_like(pattern, "arn:aws:cloudwatch:eu-central-1:999999999999:alarm:x")


# --- One test per principal, with the value its AWS page documents -------------------------------------------------


@pytest.fixture(scope="module")
def network() -> Template:
    stack = bare_stack()
    archive = LogArchive(stack, "LogArchive", description="test")
    Network(stack, "Network", availability_zones=AZS, vpc_name="test", log_archive=archive)
    return Template.from_stack(stack)


def test_r19_flow_logs_role_trusts_only_flow_logs_of_this_account_and_region(network: Template) -> None:
    grant = _grant(network, "vpc-flow-logs.amazonaws.com", "trust")
    assert _aws(grant.conditions) == _bound(f"arn:aws:ec2:eu-central-1:{ACCOUNT}:vpc-flow-log/*")
    (flow_log,) = network.find_resources("AWS::EC2::FlowLog").values()
    assert flow_log["Properties"]["DeliverLogsPermissionArn"] == {"Fn::GetAtt": [grant.logical_id, "Arn"]}
    flow_log_arn = f"arn:aws:ec2:eu-central-1:{ACCOUNT}:vpc-flow-log/fl-0123456789abcdef0"
    assert allows(_aws(grant.conditions), source_account=ACCOUNT, source_arn=flow_log_arn)
    assert not allows(
        _aws(grant.conditions),
        source_account="999999999999",
        source_arn="arn:aws:ec2:eu-central-1:999999999999:vpc-flow-log/fl-0123456789abcdef0",
    )


def test_r19_flow_logs_role_may_still_write_its_log_group(network: Template) -> None:
    grant = _grant(network, "vpc-flow-logs.amazonaws.com", "trust")
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in network.find_resources("AWS::IAM::Policy").values()
        if {"Ref": grant.logical_id} in p["Properties"]["Roles"]
    ]
    actions = {a for statements in policies for s in statements for a in s["Action"]}
    assert {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"} <= actions


def test_r19_fis_role_trusts_only_experiments_of_this_account_and_region(default_stage: SynthesizedStage) -> None:
    grant = _grant(default_stage.service, "fis.amazonaws.com", "trust")
    assert _aws(grant.conditions) == _bound(f"arn:aws:fis:eu-central-1:{ACCOUNT}:experiment/*")
    experiment = f"arn:aws:fis:eu-central-1:{ACCOUNT}:experiment/EXPabcDEF123"
    assert allows(_aws(grant.conditions), source_account=ACCOUNT, source_arn=experiment)
    other_region = f"arn:aws:fis:eu-west-1:{ACCOUNT}:experiment/EXPabcDEF123"
    assert not allows(_aws(grant.conditions), source_account=ACCOUNT, source_arn=other_region)


def test_r19_standby_fis_role_names_its_own_region(standby_stage: SynthesizedStage) -> None:
    grant = _grant(standby_stage.standby, "fis.amazonaws.com", "trust")
    assert _aws(grant.conditions) == _bound(f"arn:aws:fis:eu-west-1:{ACCOUNT}:experiment/*")


def _alarm_arns(template: Template, region: str, account: str) -> list[str]:
    alarms = {
        **template.find_resources("AWS::CloudWatch::Alarm"),
        **template.find_resources("AWS::CloudWatch::CompositeAlarm"),
    }
    names = [a["Properties"]["AlarmName"] for a in alarms.values()]
    assert names
    assert all(isinstance(n, str) for n in names)
    return [f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}" for name in names]


@pytest.mark.parametrize(("which", "region"), [("service", "eu-central-1"), ("global_dns", "us-east-1")])
def test_r19_only_alarms_of_this_account_and_region_may_publish_to_the_topic(
    default_stage: SynthesizedStage, which: str, region: str
) -> None:
    template: Template = getattr(default_stage, which)
    grant = _grant(template, "cloudwatch.amazonaws.com", "resource")
    conditions = _aws(grant.conditions)
    assert conditions == _bound(f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:*")
    # Every alarm the template really creates, metric and composite, is still let through.
    for arn in _alarm_arns(template, region, ACCOUNT):
        assert allows(conditions, source_account=ACCOUNT, source_arn=arn), arn
    foreign = f"arn:aws:cloudwatch:{region}:999999999999:alarm:anything"
    assert not allows(conditions, source_account="999999999999", source_arn=foreign)


def test_r19_custom_account_is_the_one_named_in_the_topic_policy(custom_stage: SynthesizedStage) -> None:
    grant = _grant(custom_stage.service, "cloudwatch.amazonaws.com", "resource")
    assert _aws(grant.conditions) == _bound(
        "arn:aws:cloudwatch:eu-central-1:210987654321:alarm:*", account="210987654321"
    )


def test_r19_cloudwatch_may_use_the_topic_key_unconditioned_as_sns_documents(default_stage: SynthesizedStage) -> None:
    grant = _grant(default_stage.service, "cloudwatch.amazonaws.com", "key")
    assert grant.conditions == {}
    entry = confused_deputy.unconditioned("cloudwatch.amazonaws.com", "key")
    assert entry is not None
    assert "sns-key-management" in entry.reason


def test_r19_waf_log_delivery_is_bound_to_this_accounts_log_resources(default_stage: SynthesizedStage) -> None:
    grant = _grant(default_stage.service, "delivery.logs.amazonaws.com", "resource")
    assert grant.resource_type == "AWS::Logs::ResourcePolicy"
    assert grant.conditions == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:logs:eu-central-1:{ACCOUNT}:*"},
    }


def test_r19_log_key_is_bound_by_the_encryption_context_cloudwatch_logs_documents(
    default_stage: SynthesizedStage,
) -> None:
    grant = _grant(default_stage.service, "logs.eu-central-1.amazonaws.com", "key")
    assert _aws(grant.conditions) == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-central-1:{ACCOUNT}:log-group:*"}
    }


def _bucket_writers(template: Template) -> list[dict[str, Any]]:
    """Whoever any bucket policy lets in (the probes' artifacts bucket only refuses plain HTTP: no writer)."""
    policies = template.find_resources("AWS::S3::BucketPolicy").values()
    return [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]


def test_r19_alb_access_logs_are_written_only_by_the_regions_elb_account(default_stage: SynthesizedStage) -> None:
    (writer,) = _bucket_writers(default_stage.service)
    # eu-central-1 opened before August 2022: its Elastic Load Balancing account, as the ELB page lists it.
    assert _aws(writer["Principal"]) == {"AWS": "arn:aws:iam::054676820928:root"}
    assert writer["Action"] == "s3:PutObject"
    assert writer["Resource"]["Fn::Join"][1][1] == f"/pf-alb-dev/AWSLogs/{ACCOUNT}/*"


def test_r19_standby_alb_logs_are_written_by_that_regions_elb_account(standby_stage: SynthesizedStage) -> None:
    (writer,) = _bucket_writers(standby_stage.standby)
    assert _aws(writer["Principal"]) == {"AWS": "arn:aws:iam::156460612806:root"}


@pytest.fixture(scope="module")
def newer_region() -> Template:
    """An ALB logging into its bucket in a region opened after August 2022 (eu-central-2), where no ELB account is."""
    stack = cdk.Stack(project_app(), "Zurich", env=cdk.Environment(account=ACCOUNT, region="eu-central-2"))
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["eu-central-2a", "eu-central-2b"], nat_gateways=0)
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc, internet_facing=True)
    log_alb_access(alb, AccessLogBucket(stack, "Logs").bucket, prefix="alb")
    return Template.from_stack(stack)


def test_r19_in_a_newer_region_the_documented_log_delivery_service_writes_the_alb_logs(newer_region: Template) -> None:
    (writer,) = _bucket_writers(newer_region)
    assert writer["Principal"] == {"Service": ELB_LOG_DELIVERY_SERVICE}
    assert "Condition" not in writer
    assert confused_deputy.unconditioned(ELB_LOG_DELIVERY_SERVICE, "resource") is not None
    (alb,) = newer_region.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    (policy_id,) = newer_region.find_resources("AWS::S3::BucketPolicy")
    assert policy_id in alb["DependsOn"]


# --- The walk over everything the Stage synthesizes ---------------------------------------------------------------

_DOC_PAGE = re.compile(r"https://(docs\.aws\.amazon\.com|repost\.aws)/\S+")


def _problems(grant: Grant, account: str, region: str) -> list[str]:
    """What is wrong with one grant of a stack in `account` and `region` (nothing, for a correct one)."""
    where = f"{grant.logical_id} ({grant.resource_type}, {grant.policy} policy) lets in {grant.principal}"
    if grant.policy == "unknown":
        return [f"{where}: a policy kind tests/helpers/service_principals.py does not read yet; review it"]
    if grant.bound:
        found: list[str] = []
        source_account = grant.condition_value("aws:SourceAccount")
        if source_account is not None and source_account != account:
            found.append(f"{where}: aws:SourceAccount is {source_account}, not the stack's account {account}")
        source_arn = _aws(grant.condition_value("aws:SourceArn"))
        if source_arn is not None:  # a policy kept as a JSON string shows the partition as a stand-in
            source_arn = str(source_arn).replace("<Ref AWS::Partition>", "aws")
        # A resource of another region or account would never match: the service would be refused at run time.
        if source_arn is not None and str(source_arn).split(":")[3:5] != [region, account]:
            found.append(f"{where}: aws:SourceArn {source_arn} is not in {region} and account {account}")
        return found
    entry = confused_deputy.unconditioned(grant.principal, grant.policy)
    if entry is None or entry.stack != "stage":
        return [f"{where} without aws:SourceAccount/aws:SourceArn and is not in confused_deputy.UNCONDITIONED"]
    if entry.guard and entry.guard.lower() not in grant.condition_keys():
        return [f"{where}: UNCONDITIONED requires the {entry.guard} condition instead, and it is missing"]
    return []


def test_r19_every_service_principal_is_bound_to_this_account_or_documented_as_unsupported(
    default_stage: SynthesizedStage,
    custom_stage: SynthesizedStage,
    standby_stage: SynthesizedStage,
    email_stage: SynthesizedStage,
    newer_region: Template,
) -> None:
    problems: list[str] = []
    used: set[tuple[str, str]] = set()
    walked = 0
    for stage in (default_stage, custom_stage, standby_stage, email_stage):
        stacks = [child for child in stage.stage.node.children if isinstance(child, cdk.Stack)]
        for stack in stacks:
            name = stack.stack_name
            for grant in grants(stage.templates[name]):
                walked += 1
                problems += [f"{name}: {p}" for p in _problems(grant, stage.settings.account, stack.region)]
                entry = confused_deputy.unconditioned(grant.principal, grant.policy)
                if entry and not grant.bound:
                    used.add((entry.principal, entry.policy))
    for grant in grants(newer_region):
        problems += _problems(grant, ACCOUNT, "eu-central-2")
        entry = confused_deputy.unconditioned(grant.principal, grant.policy)
        if entry and not grant.bound:
            used.add((entry.principal, entry.policy))
    assert walked >= 10, "the walk found almost no service principals: it is not reading the policies"
    assert not problems, "\n".join(problems)
    # No stale entry: each one still describes a principal the Stage really lets in.
    stage_entries = {(e.principal, e.policy) for e in confused_deputy.UNCONDITIONED if e.stack == "stage"}
    assert stage_entries == used


def test_r19_every_unconditioned_principal_names_the_aws_page_that_was_checked() -> None:
    for entry in confused_deputy.UNCONDITIONED:
        assert _DOC_PAGE.search(entry.reason), f"{entry.principal}: the reason cites no AWS page"
        assert entry.policy in {"trust", "key", "resource"}
        assert entry.stack in {"stage", "pipeline"}


def test_r19_the_walk_fails_on_an_unconditioned_service_principal() -> None:
    """The walk is not vacuous: an SNS topic that lets S3 publish without a source condition is caught."""
    stack = bare_stack()
    topic = sns.Topic(stack, "Topic")
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("s3.amazonaws.com")], actions=["sns:Publish"], resources=["*"]
        )
    )
    (grant,) = grants(Template.from_stack(stack))
    assert _problems(grant, ACCOUNT, "eu-central-1") == [
        f"{grant.logical_id} (AWS::SNS::TopicPolicy, resource policy) lets in s3.amazonaws.com without "
        "aws:SourceAccount/aws:SourceArn and is not in confused_deputy.UNCONDITIONED"
    ]


def test_r19_the_walk_fails_on_a_source_arn_of_another_region() -> None:
    """A condition naming the wrong region would lock the service out: the walk reports it."""
    stack = bare_stack()
    topic = sns.Topic(stack, "Topic")
    wrong = {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:*"},
    }
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["sns:Publish"],
            resources=["*"],
            conditions=wrong,
        )
    )
    (grant,) = grants(Template.from_stack(stack))
    (problem,) = _problems(grant, ACCOUNT, "eu-central-1")
    assert "is not in eu-central-1 and account 123456789012" in problem
