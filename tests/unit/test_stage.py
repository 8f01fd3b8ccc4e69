"""The whole Stage as `make synth` builds it: wiring between components, tags, names, outputs (R7, R12)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk.assertions import Match

from tests.helpers.support import single
from tests.helpers.synth import SynthesizedStage

TAGGED_TYPES = [
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::SecurityGroup",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::IAM::Role",
    "AWS::CertificateManager::Certificate",
    "AWS::KMS::Key",
    "AWS::SNS::Topic",
    "AWS::CloudWatch::Alarm",
]


def test_stage_deploys_to_the_configured_account_and_region(default_stage: SynthesizedStage) -> None:
    stack = default_stage.stage.service
    assert (stack.account, stack.region) == ("123456789012", "eu-central-1")
    assert stack.availability_zones == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]


def test_r1_the_template_names_all_three_real_azs(default_stage: SynthesizedStage) -> None:
    azs = {
        s["Properties"]["AvailabilityZone"] for s in default_stage.service.find_resources("AWS::EC2::Subnet").values()
    }
    assert azs == {"eu-central-1a", "eu-central-1b", "eu-central-1c"}


def test_r7_instances_accept_only_the_service_port_from_the_alb_security_group(default_stage: SynthesizedStage) -> None:
    template = default_stage.service
    alb_sg = template.find_resources(
        "AWS::EC2::SecurityGroup", {"Properties": {"GroupDescription": Match.string_like_regexp("Payment ALB")}}
    )
    instance_sg = template.find_resources(
        "AWS::EC2::SecurityGroup", {"Properties": {"GroupDescription": Match.string_like_regexp("Payment instances")}}
    )
    ingress = {
        logical_id: rule
        for logical_id, rule in template.find_resources("AWS::EC2::SecurityGroupIngress").items()
        if rule["Properties"]["GroupId"] == {"Fn::GetAtt": [next(iter(instance_sg)), "GroupId"]}
    }
    assert list(ingress) == ["InstancesFromAlbIngress"], "pinned id: the same in every Stage, whatever its path"
    (rule,) = [r["Properties"] for r in ingress.values()]
    assert rule["SourceSecurityGroupId"] == {"Fn::GetAtt": [next(iter(alb_sg)), "GroupId"]}
    assert rule["GroupId"] == {"Fn::GetAtt": [next(iter(instance_sg)), "GroupId"]}
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 8080, 8080)
    assert "CidrIp" not in rule


def test_r7_every_security_group_rule_has_a_description(default_stage: SynthesizedStage) -> None:
    template = default_stage.service
    rules = [
        r["Properties"]
        for type_ in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")
        for r in template.find_resources(type_).values()
    ]
    for group in template.find_resources("AWS::EC2::SecurityGroup").values():
        rules += group["Properties"].get("SecurityGroupIngress", []) + group["Properties"].get(
            "SecurityGroupEgress", []
        )
    assert len(rules) >= 5
    assert all(rule.get("Description", "").strip() for rule in rules)


def test_r3_asg_instances_are_the_https_listeners_targets(default_stage: SynthesizedStage) -> None:
    template = default_stage.service
    asg = single(template, "AWS::AutoScaling::AutoScalingGroup")
    (tg_id,) = template.find_resources("AWS::ElasticLoadBalancingV2::TargetGroup")
    assert asg["TargetGroupARNs"] == [{"Ref": tg_id}]
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Port": 443, "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": tg_id}}]},
    )


def test_r3_default_config_creates_a_dns_validated_certificate_in_the_hosted_zone(
    default_stage: SynthesizedStage,
) -> None:
    default_stage.service.has_resource_properties(
        "AWS::CertificateManager::Certificate",
        {
            "DomainName": "payments.example.com",
            "ValidationMethod": "DNS",
            "SubjectAlternativeNames": ["eu-central-1.payments.example.com"],
            "DomainValidationOptions": [
                {"DomainName": "payments.example.com", "HostedZoneId": "Z00000000EXAMPLE"},
                {"DomainName": "eu-central-1.payments.example.com", "HostedZoneId": "Z00000000EXAMPLE"},
            ],
        },
    )


def test_r3_a_configured_certificate_is_used_instead_of_creating_one(custom_stage: SynthesizedStage) -> None:
    template = custom_stage.service
    template.resource_count_is("AWS::CertificateManager::Certificate", 0)
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Port": 443, "Certificates": [{"CertificateArn": custom_stage.settings.certificate_arn}]},
    )


def test_r12_tags_on_every_resource_and_propagated_to_launched_instances(default_stage: SynthesizedStage) -> None:
    template = default_stage.service
    expected = [{"Key": "Environment", "Value": "Production"}, {"Key": "FailoverEnabled", "Value": "true"}]
    for stack_template in default_stage.templates.values():
        for type_ in TAGGED_TYPES:
            for logical_id, resource in stack_template.find_resources(type_).items():
                if "CustomResourceProvider" in logical_id:
                    continue  # added by CDK after tagging; covered by the stack tags checked below
                tags = resource["Properties"]["Tags"]
                assert all(tag in tags for tag in expected), f"{logical_id} ({type_}) misses the failover tags"
    # Stack tags reach, at deploy time, what CDK adds after tagging (cross-region reference provider).
    for stack in (default_stage.stage.service, default_stage.stage.global_dns):
        assert {tag["Key"]: tag["Value"] for tag in expected}.items() <= stack.tags.tag_values().items()
    health_check = single(default_stage.global_dns, "AWS::Route53::HealthCheck")
    assert all(tag in health_check["HealthCheckTags"] for tag in expected)
    asg_tags = single(template, "AWS::AutoScaling::AutoScalingGroup")["Tags"]
    for tag in expected:
        assert {**tag, "PropagateAtLaunch": True} in asg_tags
    launch = single(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]["TagSpecifications"]
    assert {spec["ResourceType"] for spec in launch} == {"instance", "volume"}
    for spec in launch:
        assert all(tag in spec["Tags"] for tag in expected)


def test_r12_tags_are_configurable(custom_stage: SynthesizedStage) -> None:
    asg_tags = single(custom_stage.service, "AWS::AutoScaling::AutoScalingGroup")["Tags"]
    assert {"Key": "Environment", "Value": "Staging", "PropagateAtLaunch": True} in asg_tags
    assert {"Key": "CostCenter", "Value": "payments-42", "PropagateAtLaunch": True} in asg_tags


def test_r12_every_visible_name_carries_the_suffix(custom_stage: SynthesizedStage) -> None:
    template = custom_stage.service
    assert custom_stage.stage.service.stack_name == "payment-failover-prod-eu"
    names = [
        single(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")["Name"],
        single(template, "AWS::ElasticLoadBalancingV2::TargetGroup")["Name"],
        single(template, "AWS::AutoScaling::AutoScalingGroup")["AutoScalingGroupName"],
        single(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateName"],
    ]
    assert names == ["pf-alb-prod-eu", "pf-tg-prod-eu", "payment-failover-prod-eu", "payment-failover-prod-eu"]


def test_r12_the_longest_allowed_suffix_fits_the_32_character_elb_names() -> None:
    from payment_failover.names import ResourceNames

    names = ResourceNames("a" * 16)
    assert len(names.load_balancer) <= 32
    assert len(names.target_group) <= 32


def test_custom_settings_reach_the_constructs(custom_stage: SynthesizedStage) -> None:
    template = custom_stage.service
    asg = single(template, "AWS::AutoScaling::AutoScalingGroup")
    assert (asg["MinSize"], asg["MaxSize"]) == ("6", "8")
    assert single(template, "AWS::ElasticLoadBalancingV2::TargetGroup")["HealthCheckIntervalSeconds"] == 10
    assert single(template, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]["InstanceType"] == "m7g.large"
    assert custom_stage.stage.service.account == "210987654321"


def test_outputs_give_integration_tests_what_they_need(default_stage: SynthesizedStage) -> None:
    outputs = default_stage.service.to_json()["Outputs"]
    assert {
        "ServiceUrl",
        "LoadBalancerDnsName",
        "LoadBalancerArn",
        "LoadBalancerFullName",
        "AutoScalingGroupName",
        "TargetGroupArn",
        "TargetGroupFullName",
        "VpcId",
    } <= set(outputs)
    assert outputs["ServiceUrl"]["Value"] == "https://eu-central-1.payments.example.com/health"


def test_r16_a_synth_only_environment_has_no_stack_termination_protection(default_stage: SynthesizedStage) -> None:
    """Without deploy=true (tests, the rehearsal, `make synth`) the stacks can be deleted; the ALB's own deletion
    protection is always on (R19)."""
    stacks = [child for child in default_stage.stage.node.children if isinstance(child, cdk.Stack)]
    assert stacks
    assert not any(stack.termination_protection for stack in stacks)
