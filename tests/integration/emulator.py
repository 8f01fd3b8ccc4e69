"""The local AWS of the deploy rehearsal: moto's server with the CloudFormation gaps this app hits filled in.

Run as ``python -m tests.integration.emulator -H 127.0.0.1 -p PORT`` (moto_server's arguments). Each patch fills
one named gap of moto 5.2.5 by doing what AWS does, no more, so the integration tests check the deployed resources
against the product's rules and never against a patch. What stays unemulated is listed at the end of this module;
a test skips exactly the check such a gap makes meaningless, citing the entry, and only in emulator mode.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

PINNED_MOTO = "5.2.5"


def require_pinned_moto() -> None:
    """The patches reach into moto's internals: another moto must fail here, not as a puzzling deploy error."""
    installed = version("moto")
    if installed != PINNED_MOTO:
        raise RuntimeError(
            f"tests/integration/emulator.py is written against moto {PINNED_MOTO}, but moto {installed} is installed: "
            "re-check every patch and the gap lists against it, then update PINNED_MOTO"
        )


def patch_hosted_zone_ids() -> None:
    """Route 53 hosted zone ids always start with Z (the app validates that); moto draws any letter or digit."""
    from moto.route53 import models

    generate = models.HostedZoneIdentifier.generate

    def generate_z(self: Any, existing_ids: Any = None, tags: Any = None) -> str:
        zone_id = generate(self, existing_ids=existing_ids, tags=tags)
        return zone_id if zone_id.startswith("Z") else "Z" + zone_id[1:]

    models.HostedZoneIdentifier.generate = generate_z  # type: ignore[method-assign]


def _rewrite_properties_on_create(model: Any, rewrite: Callable[[dict[str, Any]], None]) -> None:
    """Have CloudFormation's create of `model` (and the updates moto implements as a create) pass its Properties
    through `rewrite` first: for gaps where moto reads a property in another shape than CloudFormation gives it."""
    create = model.create_from_cloudformation_json.__func__

    def create_rewritten(
        cls: type, /, name: str, cfn: dict[str, Any], account_id: str, region: str, **kwargs: Any
    ) -> Any:
        rewrite(cfn.setdefault("Properties", {}))
        return create(cls, name, cfn, account_id, region, **kwargs)

    model.create_from_cloudformation_json = classmethod(create_rewritten)


def _as_json_text(*keys: str) -> Callable[[dict[str, Any]], None]:
    """CloudFormation gives these JSON properties as objects; moto keeps them as text (or answers Python's repr)."""

    def rewrite(props: dict[str, Any]) -> None:
        for key in keys:
            if isinstance(props.get(key), dict):
                props[key] = json.dumps(props[key])

    return rewrite


def patch_kms_key_properties() -> None:
    """CloudFormation takes AWS::KMS::Key Tags as Key/Value and KeyPolicy as an object; moto wants TagKey and a str."""
    from moto.kms import models

    def rewrite(props: dict[str, Any]) -> None:
        props["Tags"] = [{"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in props.get("Tags", [])]
        _as_json_text("KeyPolicy")(props)

    _rewrite_properties_on_create(models.Key, rewrite)


def patch_vpc_endpoint_policy() -> None:
    """CloudFormation takes a VPC endpoint's PolicyDocument as an object and the API answers it as JSON text; moto
    keeps the object and answers its Python repr."""
    from moto.ec2.models import vpcs

    _rewrite_properties_on_create(vpcs.VPCEndPoint, _as_json_text("PolicyDocument"))


def patch_log_group_kms_key() -> None:
    """CloudFormation names a log group's key KmsKeyId; moto reads only the API's kmsKeyId and drops the key."""
    from moto.logs import models

    def rewrite(props: dict[str, Any]) -> None:
        if "KmsKeyId" in props:
            props["kmsKeyId"] = props.pop("KmsKeyId")

    _rewrite_properties_on_create(models.LogGroup, rewrite)


def patch_ssm_document_content() -> None:
    """CloudFormation takes an AWS::SSM::Document's JSON Content as an object; moto stores it as Python's repr."""
    from moto.ssm import models

    _rewrite_properties_on_create(models.Document, _as_json_text("Content"))


def patch_target_group_attributes() -> None:
    """CloudFormation answers Fn::GetAtt on a target group (TargetGroupFullName, ...); moto's has no attributes."""
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    from moto.elbv2 import models

    names = ("TargetGroupFullName", "TargetGroupName", "TargetGroupArn", "LoadBalancerArns")

    def attribute(self: Any, name: str) -> Any:
        values = {
            "TargetGroupFullName": self.arn.split(":")[-1],  # targetgroup/<name>/<id>
            "TargetGroupName": self.name,
            "TargetGroupArn": self.arn,
            "LoadBalancerArns": list(self.load_balancer_arns),
        }
        if name not in values:
            raise UnformattedGetAttTemplateException()
        return values[name]

    models.FakeTargetGroup.get_cfn_attribute = attribute  # type: ignore[attr-defined]
    models.FakeTargetGroup.has_cfn_attr = classmethod(lambda cls, name: name in names)  # type: ignore[method-assign,assignment]


def patch_state_machine_names() -> None:
    """CloudFormation names an unnamed state machine itself, within Step Functions' 80 characters; moto uses the
    resource name it generates from the stack and the logical id, which here is longer, and then refuses it."""
    from moto.stepfunctions import models

    create = models.StateMachine.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_named(cls: type, /, name: str, cfn: dict[str, Any], account_id: str, region: str, **kwargs: Any) -> Any:
        return create(
            cls, name if "StateMachineName" in cfn["Properties"] else name[-80:], cfn, account_id, region, **kwargs
        )

    models.StateMachine.create_from_cloudformation_json = classmethod(create_named)  # type: ignore[method-assign,assignment]


def patch_load_balancer_attributes() -> None:
    """CloudFormation answers Fn::GetAtt LoadBalancerFullName/CanonicalHostedZoneID; moto raises NotImplementedError."""
    from moto.elbv2 import models

    original = models.FakeLoadBalancer.get_cfn_attribute

    def attribute(self: Any, name: str) -> Any:
        if name == "LoadBalancerFullName":
            return self.arn.split(":loadbalancer/")[-1]  # app/<name>/<id>
        if name == "CanonicalHostedZoneID":
            return self.canonical_hosted_zone_id
        return original(self, name)

    models.FakeLoadBalancer.get_cfn_attribute = attribute  # type: ignore[method-assign,assignment]


def patch_auto_scaling_group_arn() -> None:
    """CloudFormation answers Fn::GetAtt AutoScalingGroupARN (FIS and ARC address the group by it); moto has none.

    An in-place update keeps the group, and with it the id inside its ARN; moto updates a group by deleting
    and recreating it under the same name, which would draw a new id.
    """
    from moto.autoscaling import models
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    def attribute(self: Any, name: str) -> Any:
        if name != "AutoScalingGroupARN":
            raise UnformattedGetAttTemplateException()
        return self.arn

    update = models.FakeAutoScalingGroup.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def update_in_place(cls: type, /, original_resource: Any, **kwargs: Any) -> Any:
        group = update(cls, original_resource=original_resource, **kwargs)
        if group.name == original_resource.name:
            group._id = original_resource._id
        return group

    models.FakeAutoScalingGroup.get_cfn_attribute = attribute  # type: ignore[attr-defined]
    models.FakeAutoScalingGroup.has_cfn_attr = classmethod(lambda cls, name: name == "AutoScalingGroupARN")  # type: ignore[method-assign,assignment]
    models.FakeAutoScalingGroup.update_from_cloudformation_json = classmethod(update_in_place)  # type: ignore[method-assign,assignment]


def patch_subnet_route_table_association() -> None:
    """CloudFormation associates a route table with a subnet; moto files it where DescribeRouteTables never looks."""
    from moto.ec2.models import ec2_backends, subnets

    create = subnets.SubnetRouteTableAssociation.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def associate(cls: type, /, name: str, cfn: dict[str, Any], account_id: str, region: str, **kwargs: Any) -> Any:
        association = create(cls, name, cfn, account_id, region, **kwargs)
        ec2_backends[account_id][region].associate_route_table(
            route_table_id=association.route_table_id, subnet_id=association.subnet_id
        )
        return association

    subnets.SubnetRouteTableAssociation.create_from_cloudformation_json = classmethod(associate)  # type: ignore[method-assign,assignment]


# Route 53's UpdateHealthCheck accepts neither Type nor RequestInterval ("You can't change the value of
# RequestInterval after you create a health check",
# https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html), so a change to either gives
# a new check; anything else is updated in place, keeping the id.
_HEALTH_CHECK_CREATE_ONLY = ("Type", "RequestInterval")


def patch_health_check_updates() -> None:
    """CloudFormation updates AWS::Route53::HealthCheck; moto has no update and drops the check from the stack."""
    from moto.route53.models import HealthCheck, route53_backends

    def update(
        cls: type,
        /,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        config = cloudformation_json["Properties"]["HealthCheckConfig"]
        backend = route53_backends[account_id]["aws"]
        current = original_resource.health_check_config
        if any(config.get(key) != current.get(key) for key in _HEALTH_CHECK_CREATE_ONLY):
            replacement = HealthCheck.create_from_cloudformation_json(
                new_resource_name, cloudformation_json, account_id, region_name
            )
            backend.delete_health_check(original_resource.id)
            return replacement
        changes = {
            "port": config.get("Port"),
            "resource_path": config.get("ResourcePath"),
            "fqdn": config.get("FullyQualifiedDomainName"),
            "failure_threshold": config.get("FailureThreshold"),
        }
        return backend.update_health_check(original_resource.id, changes)

    HealthCheck.update_from_cloudformation_json = classmethod(update)  # type: ignore[method-assign,assignment]


def _cloudwatch_alarm_model(cfn_type: str, arguments: Callable[[dict[str, Any]], dict[str, Any]]) -> type:
    """A CloudFormation model for one kind of CloudWatch alarm: `arguments` maps its Properties to put_metric_alarm."""
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core.common_models import CloudFormationModel

    class CfnAlarmModel(CloudFormationModel):
        __module__ = "moto.cloudwatch.models"  # moto files a model under the service its module path names

        def __init__(self, alarm: Any) -> None:
            self.alarm = alarm

        @staticmethod
        def cloudformation_type() -> str:
            return cfn_type

        @staticmethod
        def cloudformation_name_type() -> str:
            return "AlarmName"

        @property
        def physical_resource_id(self) -> str:
            return str(self.alarm.name)

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Arn"

        def get_cfn_attribute(self, attribute_name: str) -> Any:
            if attribute_name == "Arn":
                return self.alarm.alarm_arn
            raise UnformattedGetAttTemplateException()

        @classmethod
        def create_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **_: Any
        ) -> Any:
            p = cloudformation_json["Properties"]
            backend = cloudwatch_backends[account_id][region_name]
            alarm = backend.put_metric_alarm(
                name=p.get("AlarmName", resource_name),
                description=p.get("AlarmDescription"),
                alarm_actions=p.get("AlarmActions", []),
                ok_actions=p.get("OKActions", []),
                insufficient_data_actions=p.get("InsufficientDataActions", []),
                actions_enabled=p.get("ActionsEnabled", True),
                **arguments(p),
            )
            return cls(alarm)

        @classmethod
        def update_from_cloudformation_json(
            cls,
            original_resource: Any,
            new_resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
        ) -> Any:
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
        ) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

    return CfnAlarmModel


def add_cloudwatch_alarm_model() -> type:
    """CloudFormation creates AWS::CloudWatch::Alarm; moto 5.2.5 has no model and silently skips every alarm."""
    from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat

    def queries(metrics: list[Any] | None) -> list[MetricDataQuery] | None:
        if not metrics:
            return None
        result = []
        for query in metrics:
            stat = query.get("MetricStat")
            metric_stat = None
            if stat:
                metric = stat["Metric"]
                dimensions = [Dimension(d["Name"], d["Value"]) for d in metric.get("Dimensions", [])]
                metric_stat = MetricStat(
                    metric=Metric(metric["MetricName"], metric.get("Namespace"), dimensions),
                    period=stat.get("Period"),
                    stat=stat.get("Stat"),
                    unit=stat.get("Unit"),
                )
            result.append(
                MetricDataQuery(
                    query_id=query.get("Id"),
                    label=query.get("Label"),
                    period=query.get("Period"),
                    return_data=query.get("ReturnData"),
                    expression=query.get("Expression"),
                    metric_stat=metric_stat,
                )
            )
        return result

    def arguments(p: dict[str, Any]) -> dict[str, Any]:
        return {
            "namespace": p.get("Namespace"),
            "metric_name": p.get("MetricName"),
            "metric_data_queries": queries(p.get("Metrics")),
            "comparison_operator": p["ComparisonOperator"],
            "evaluation_periods": p["EvaluationPeriods"],
            "datapoints_to_alarm": p.get("DatapointsToAlarm"),
            "period": p.get("Period"),
            "threshold": p.get("Threshold"),
            "statistic": p.get("Statistic"),
            "extended_statistic": p.get("ExtendedStatistic"),
            "dimensions": p.get("Dimensions", []),
            "unit": p.get("Unit"),
            "treat_missing_data": p.get("TreatMissingData"),
            "evaluate_low_sample_count_percentile": p.get("EvaluateLowSampleCountPercentile"),
            "threshold_metric_id": p.get("ThresholdMetricId"),
            "tags": p.get("Tags", []),
        }

    return _cloudwatch_alarm_model("AWS::CloudWatch::Alarm", arguments)


def add_cloudwatch_composite_alarm_model() -> type:
    """CloudFormation creates AWS::CloudWatch::CompositeAlarm; moto 5.2.5 has no model (its Alarm holds a rule)."""

    def arguments(p: dict[str, Any]) -> dict[str, Any]:
        # moto keeps a composite alarm as a metric alarm with a rule and no metric.
        unused = ("namespace", "metric_name", "comparison_operator", "evaluation_periods", "period", "threshold")
        return {**dict.fromkeys(unused), "statistic": None, "dimensions": [], "rule": p["AlarmRule"]}

    return _cloudwatch_alarm_model("AWS::CloudWatch::CompositeAlarm", arguments)


_ALLOW_ALL_EGRESS = ("-1", None, None, [{"CidrIp": "0.0.0.0/0"}])


def _authorize_egress(backend: Any, group_id: str, rule: dict[str, Any]) -> None:
    """One CloudFormation egress rule (inline or AWS::EC2::SecurityGroupEgress) as AuthorizeSecurityGroupEgress."""
    backend.authorize_security_group_egress(
        group_id,
        str(rule["IpProtocol"]),
        rule.get("FromPort"),
        rule.get("ToPort"),
        [{"CidrIp": rule["CidrIp"]}] if "CidrIp" in rule else [],
        source_groups=[{"GroupId": rule["DestinationSecurityGroupId"]}] if "DestinationSecurityGroupId" in rule else [],
        prefix_list_ids=[{"PrefixListId": rule["DestinationPrefixListId"]}]
        if "DestinationPrefixListId" in rule
        else [],
    )


def _drop_default_egress(backend: Any, group: Any) -> None:
    if len(group.egress_rules) == 1:
        (rule,) = group.egress_rules
        if (rule.ip_protocol, rule.ip_range.get("CidrIp")) == ("-1", "0.0.0.0/0"):
            backend.revoke_security_group_egress(group.id, *_ALLOW_ALL_EGRESS)


def patch_security_group_egress() -> type:
    """CloudFormation egress rules: moto ignores a group's SecurityGroupEgress, skips AWS::EC2::SecurityGroupEgress.

    A group created with egress rules gets those and not the allow-all rule ("if you do not add egress rules, we add
    egress rules that allow all outbound ... Otherwise, we do not add them",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-securitygroup.html). A separate
    AWS::EC2::SecurityGroupEgress added to a group that still has only the allow-all rule replaces it: CloudFormation
    strips the default outbound rule when another rule is added (the CDK maintainers' account in aws/aws-cdk#998,
    which is why CDK drops its no-traffic placeholder when it adds such a rule).
    """
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    from moto.core.common_models import CloudFormationModel
    from moto.ec2.models import ec2_backends, security_groups

    create = security_groups.SecurityGroup.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_group(cls: type, /, name: str, cfn: dict[str, Any], account_id: str, region: str, **kwargs: Any) -> Any:
        group = create(cls, name, cfn, account_id, region, **kwargs)
        rules = cfn["Properties"].get("SecurityGroupEgress", [])
        if rules:
            backend = ec2_backends[account_id][region]
            _drop_default_egress(backend, group)
            for rule in rules:
                _authorize_egress(backend, group.id, rule)
        return group

    security_groups.SecurityGroup.create_from_cloudformation_json = classmethod(create_group)  # type: ignore[method-assign,assignment]

    class SecurityGroupEgressModel(CloudFormationModel):
        __module__ = "moto.ec2.models"  # moto files a model under the service its module path names

        def __init__(self, group_id: str, properties: dict[str, Any]) -> None:
            self.group_id = group_id
            self.properties = properties

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::EC2::SecurityGroupEgress"

        @staticmethod
        def cloudformation_name_type() -> str:
            return ""

        @property
        def physical_resource_id(self) -> str:
            return f"{self.group_id}-egress"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return False

        def get_cfn_attribute(self, attribute_name: str) -> Any:
            raise UnformattedGetAttTemplateException()

        @classmethod
        def create_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **_: Any
        ) -> Any:
            props = cloudformation_json["Properties"]
            backend = ec2_backends[account_id][region_name]
            group = backend.get_security_group_by_name_or_id(props["GroupId"])
            _drop_default_egress(backend, group)
            _authorize_egress(backend, group.id, props)
            return cls(group.id, props)

        @classmethod
        def update_from_cloudformation_json(
            cls,
            original_resource: Any,
            new_resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
        ) -> Any:
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

        def delete(self, account_id: str, region_name: str) -> None:
            props = self.properties
            ec2_backends[account_id][region_name].revoke_security_group_egress(
                self.group_id,
                str(props["IpProtocol"]),
                props.get("FromPort"),
                props.get("ToPort"),
                [{"CidrIp": props["CidrIp"]}] if "CidrIp" in props else [],
                [{"GroupId": props["DestinationSecurityGroupId"]}] if "DestinationSecurityGroupId" in props else [],
                [{"PrefixListId": props["DestinationPrefixListId"]}] if "DestinationPrefixListId" in props else [],
            )

    return SecurityGroupEgressModel


def patch_default_security_group_rules() -> None:
    """AWS gives a VPC's default security group an inbound rule allowing all traffic from the group itself
    (https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html); moto's has no inbound rule."""
    from moto.ec2.models import vpcs

    create_vpc = vpcs.VPCBackend.create_vpc

    def create_with_default_rules(self: Any, *args: Any, **kwargs: Any) -> Any:
        vpc = create_vpc(self, *args, **kwargs)
        group = self.get_security_group_from_name("default", vpc_id=vpc.id)
        if group is not None and not group.ingress_rules:
            self.authorize_security_group_ingress(
                group.id, "-1", None, None, [], source_groups=[{"GroupId": group.id}], vpc_id=vpc.id
            )
        return vpc

    vpcs.VPCBackend.create_vpc = create_with_default_rules  # type: ignore[method-assign]


# The EC2 calls the app's AwsCustomResource resources make (payment_failover/components/network/sdk_calls.py).
_SDK_CALLS = ("describeManagedPrefixLists", "revokeSecurityGroupIngress", "revokeSecurityGroupEgress")


def _ec2_sdk_call(backend: Any, action: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """One EC2 API call against moto's backend, answered in the API's response shape."""
    from moto.ec2.responses.security_groups import parse_sg_attributes_from_dict

    if action == "describeManagedPrefixLists":
        filters = {f["Name"]: f["Values"] for f in parameters.get("Filters", [])}
        found = backend.describe_managed_prefix_lists(filters=filters)
        return {"PrefixLists": [{"PrefixListId": pl.id, "PrefixListName": pl.prefix_list_name} for pl in found]}
    revoke = {
        "revokeSecurityGroupIngress": backend.revoke_security_group_ingress,
        "revokeSecurityGroupEgress": backend.revoke_security_group_egress,
    }[action]
    for permission in parameters["IpPermissions"]:
        protocol, from_port, to_port, ip_ranges, source_groups, prefix_lists = parse_sg_attributes_from_dict(permission)
        revoke(parameters["GroupId"], protocol, from_port, to_port, ip_ranges, source_groups, prefix_lists)
    return {"Return": True}


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """AwsCustomResource's response attributes: nested keys and list indexes joined with dots."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else None
    if items is None:
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in items:
        flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def patch_aws_custom_resources() -> None:
    """CloudFormation runs Custom::AWS through CDK's Lambda; moto can run a Lambda only in Docker, which is absent.

    The model makes the resource's EC2 call itself, as the function would on Create and Update, and answers
    Fn::GetAtt with the response fields the resource asked for (outputPaths). Delete makes no call: the app's
    resources define no onDelete. Any other Custom::AWS call fails loudly instead of deploying a stub.
    """
    from moto.cloudformation import custom_model
    from moto.ec2.models import ec2_backends

    create = custom_model.CustomModel.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def run(cfn: dict[str, Any], event: str, account_id: str, region: str) -> dict[str, Any]:
        call = json.loads(cfn["Properties"][event])
        if call.get("service") != "EC2" or call.get("action") not in _SDK_CALLS:
            raise NotImplementedError(
                f"the emulator models no Custom::AWS call {call.get('service')}.{call.get('action')}"
            )
        try:
            response = _ec2_sdk_call(ec2_backends[account_id][region], call["action"], call.get("parameters", {}))
        except Exception as error:  # moto raises its own EC2 error classes
            code = getattr(error, "code", "")
            if not (call.get("ignoreErrorCodesMatching") and re.search(call["ignoreErrorCodesMatching"], code)):
                raise
            response = {}
        flat = _flatten(response)
        wanted = call.get("outputPaths")
        return {key: value for key, value in flat.items() if wanted is None or key in wanted}

    def create_custom(cls: type, /, name: str, cfn: dict[str, Any], account_id: str, region: str, **kwargs: Any) -> Any:
        if kwargs.get("ResourceType") != "Custom::AWS":
            return create(cls, name, cfn, account_id, region, **kwargs)
        resource = custom_model.CustomModel(region, "emulated", kwargs["LogicalId"], name)
        resource.set_data(run(cfn, "Create", account_id, region))
        return resource

    def update_custom(
        cls: type,
        /,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        original_resource.set_data(run(cloudformation_json, "Update", account_id, region_name))
        return original_resource

    # The custom resources the emulator cannot run are dropped like a type moto has no model for (and named in
    # UNMODELLED_RESOURCES), not deployed as stubs.
    from moto.cloudformation import parsing

    resource_class = parsing.resource_class_from_type
    parsing.resource_class_from_type = lambda kind: (
        None if kind in UNMODELLED_CUSTOM_RESOURCES else resource_class(kind)
    )  # type: ignore[assignment,return-value]
    custom_model.CustomModel.create_from_cloudformation_json = classmethod(create_custom)  # type: ignore[method-assign,assignment]
    custom_model.CustomModel.update_from_cloudformation_json = classmethod(update_custom)  # type: ignore[method-assign,assignment]
    custom_model.CustomModel.delete_from_cloudformation_json = classmethod(lambda cls, *args, **kwargs: None)  # type: ignore[method-assign,assignment]


# moto finds models through CloudFormationModel.__subclasses__(), which holds only weak references.
_MODELS: list[type] = []


def apply_patches() -> None:
    """Fill every gap above before the server starts: moto caches its map of CloudFormation models on first use."""
    require_pinned_moto()
    patch_hosted_zone_ids()
    patch_kms_key_properties()
    patch_log_group_kms_key()
    patch_vpc_endpoint_policy()
    patch_ssm_document_content()
    patch_target_group_attributes()
    patch_state_machine_names()
    patch_load_balancer_attributes()
    patch_auto_scaling_group_arn()
    patch_subnet_route_table_association()
    patch_health_check_updates()
    patch_default_security_group_rules()
    _MODELS.append(patch_security_group_egress())
    patch_aws_custom_resources()
    _MODELS.append(add_cloudwatch_alarm_model())
    _MODELS.append(add_cloudwatch_composite_alarm_model())


# The gaps left open. Resource types moto skips without an error ("No Moto CloudFormation support for ..."):
# the emulated stack lacks them. test_deployed_stacks.py fails if the types moto drops differ from this list.
UNMODELLED_RESOURCES: dict[str, str] = {
    "AWS::CDK::Metadata": "CDK's version metadata (no product behaviour)",
    "AWS::S3::BucketPolicy": "the access-log bucket's TLS-only policy and ALB log delivery grant",
    "AWS::SNS::TopicPolicy": "the topics' TLS-only rule and the CloudWatch publish grant",
    "AWS::SNS::Subscription": "the on-call e-mail and incident-tool HTTPS subscriptions",
    "AWS::AutoScaling::ScalingPolicy": "the CPU target-tracking scaling policy",
    "AWS::AutoScaling::LifecycleHook": "the termination lifecycle hook that holds a stopping instance while it drains",
    "AWS::FIS::ExperimentTemplate": "the AZ-loss drills, one FIS experiment template per AZ",
    "AWS::ARCZonalShift::ZonalAutoshiftConfiguration": "zonal autoshift and its practice runs, for the ALB and the ASG",
    "AWS::WAFv2::WebACL": "the web ACL in front of the public ALB (moto's wafv2 has no CloudFormation model)",
    "AWS::WAFv2::WebACLAssociation": "the web ACL's association with the ALB",
    "AWS::WAFv2::LoggingConfiguration": "the web ACL's logging to its aws-waf-logs- group, headers redacted",
    "AWS::Synthetics::Canary": "the synthetic probes of the service's and the region's names and of each AZ's load "
    "balancer node (R21)",
    "AWS::CodeDeploy::Application": "the zonal releases' CodeDeploy application (R20; moto has no model)",
    "AWS::CodeDeploy::DeploymentConfig": "the zonal deployment configuration with its bakes (R20)",
    "AWS::CodeDeploy::DeploymentGroup": "the deployment group with its alarms, rollback and launch hook (R20)",
    "Custom::ZonalRelease": "the release that waits for CodeDeploy: moto runs a custom resource's Lambda only in "
    "Docker, which is absent, and has no CodeDeploy deployment to wait for (R20)",
}
# Custom resource types the emulator drops instead of running (see patch_aws_custom_resources).
UNMODELLED_CUSTOM_RESOURCES = frozenset({"Custom::ZonalRelease"})

# Properties moto accepts but drops, and behaviour it does not have.
UNMODELLED_BEHAVIOUR: dict[str, str] = {
    "instance-placement": "moto launches every ASG instance into the group's first subnet, so none spread over AZs",
    "instance-metadata": "moto's instances report HttpTokens=optional whatever the launch template requires",
    "target-health": "moto reports every registered target healthy without ever probing /health",
    "load-balancer-attributes": "moto ignores LoadBalancerAttributes (cross-zone, access logs, headers, zonal shift)",
    "target-group-attributes": "moto ignores TargetGroupAttributes (deregistration delay)",
    "rule-descriptions": "moto drops the descriptions of security group rules",
    "group-balance": "moto ignores AvailabilityZoneDistribution, AvailabilityZoneImpairmentPolicy, MetricsCollection",
    "group-notifications": "moto 5.2.5 does not implement DescribeNotificationConfigurations",
    "health-check-options": "moto drops EnableSNI, MeasureLatency and Regions of Route 53 health checks",
    "resource-tags": "moto drops the Tags CloudFormation gives ELBv2 load balancers and SNS topics",
    "live-endpoint": "nothing runs on moto's instances and its DNS names do not resolve: no request reaches /health",
    "resource-signals": "moto completes the group without waiting for creation or rolling-update signals, and "
    "nothing runs on its instances to send them",
}


def exit_with_parent(poll_seconds: float = 1.0) -> None:
    """Stop when the test session that started this server dies, even if it had no chance to run its finalizer."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def main(argv: list[str]) -> None:
    apply_patches()
    exit_with_parent()
    from moto.server import main as moto_server

    moto_server(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
