"""The regional stack: wires network → certificate → load balancer → compute → regional endpoint → alarms,
gray-failure alarms, drills, zonal autoshift and dashboard, and declares the outputs people and
integration tests use.

The same class is the primary and, with `standbyRegion`, the standby (built from the standby's settings).
Nothing global lives here: the health checks and the records clients resolve are in the global DNS stack,
which reaches this region only through its regional name `<region>.<domain>`.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_route53 as route53
from constructs import Construct

from payment_failover.components.delivery.zonal_release import ZonalRelease
from payment_failover.components.edge.access_logs import AccessLogBucket
from payment_failover.components.edge.certificate import ServiceCertificate
from payment_failover.components.edge.dns_failover import RegionalEndpoint, regional_name
from payment_failover.components.edge.load_balancer import HealthCheckTiming, LoadBalancer
from payment_failover.components.edge.web_firewall import WebFirewall
from payment_failover.components.fleet.compute import Compute
from payment_failover.components.fleet.drain import DrainTiming
from payment_failover.components.fleet.graceful_stop import GracefulStop
from payment_failover.components.fleet.instance_logs import InstanceLogs
from payment_failover.components.fleet.rollout import RolloutTiming
from payment_failover.components.network.endpoints import ServiceEndpoints
from payment_failover.components.network.network import Network
from payment_failover.components.network.sdk_calls import provider_function
from payment_failover.components.observability.alarms import FailoverAlarms, notify
from payment_failover.components.observability.alerting import FailoverTopic
from payment_failover.components.observability.dashboard import FailoverDashboard
from payment_failover.components.observability.gray_failure import GrayFailureAlarms
from payment_failover.components.observability.log_encryption import LogArchive
from payment_failover.components.observability.metrics import WebTierMetrics
from payment_failover.components.observability.operator_events import OperatorEvents
from payment_failover.components.observability.probes import SyntheticProbes, ZonalTarget
from payment_failover.components.observability.slo import BurnRateAlarms
from payment_failover.components.resilience.az_drills import AzLossDrills
from payment_failover.components.resilience.zonal_autoshift import ZonalAutoshift
from payment_failover.components.served_fleet import AlarmPolicy, Objectives, ServedFleet
from payment_failover.config.service_bundle import bundle_path
from payment_failover.config.settings import Settings
from payment_failover.names import ResourceNames
from payment_failover.stacks.zonal_stack import ZonalStack

SERVICE_PORT = 8080
# What the synthetic probes ask for: liveness, and the sample service's payment API (docs/your-service.md).
PROBE_PATHS = ("/health", "POST /payments 201")


class ServiceStack(ZonalStack):
    """The web tier of the payment service in one region."""

    def __init__(self, scope: Construct, id_: str, *, settings: Settings, names: ResourceNames) -> None:
        super().__init__(
            scope,
            id_,
            availability_zones=settings.availability_zones,
            stack_name=names.service_stack,
            env=Environment(account=settings.account, region=settings.region),
        )
        self.log_archive = LogArchive(self, "LogArchive", description=f"Encrypts every log group of {names.base}")
        self._network(settings, names)
        self._edge(settings, names)
        self._fleet(settings, names)
        fleet = ServedFleet(
            availability_zones=settings.availability_zones,
            min_capacity=settings.min_capacity,
            metrics=WebTierMetrics(
                load_balancer=self.load_balancer.load_balancer,
                target_group=self.load_balancer.target_group,
                auto_scaling_group=self.compute.auto_scaling_group,
            ),
            load_balancer_arn=self.load_balancer.load_balancer.load_balancer_arn,
            auto_scaling_group_name=names.auto_scaling_group,
            auto_scaling_group_arn=self.compute.auto_scaling_group_arn,
        )
        policy = self._alarm_policy(settings, names)
        self._probe(settings, policy)
        self._observe(fleet, policy)
        self._deliver(settings, names)
        self._resilience(settings, fleet, policy)
        self._announce(fleet, policy)
        self.dashboard = FailoverDashboard(
            self,
            "Dashboard",
            dashboard_name=names.dashboard,
            fleet=fleet,
            alarms=[
                *self.alarms.alarms,
                self.waf_blocked_spike,
                *self.gray_failure.per_az.values(),
                *self.burn_rate.composites.values(),
                *self.probes.alarms.values(),
                self.probes.zones_failing,
                *([self.autoshift.outcome] if self.autoshift.outcome else []),
            ],
            firewall=self.firewall,
            probes=self.probes,
            slo=self.burn_rate,
        )
        self.sdk_call_function = provider_function(self)
        self._outputs(settings, self.load_balancer, self.compute)

    def _network(self, settings: Settings, names: ResourceNames) -> None:
        """The three-AZ VPC and the VPC endpoints that are the instances' only way out (R1, R2, R19)."""
        self.network = Network(
            self,
            "Network",
            availability_zones=settings.availability_zones,
            vpc_name=names.vpc,
            log_archive=self.log_archive,
        )
        self.service_endpoints = ServiceEndpoints(
            self,
            "Endpoints",
            vpc=self.network.vpc,
            subnets=self.network.private_subnets,
            log_archive=self.log_archive,
        )

    def _edge(self, settings: Settings, names: ResourceNames) -> None:
        """What clients reach: the certificate, the load balancer with its access logs, and the web ACL (R3, R19)."""
        self.hosted_zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "HostedZone", hosted_zone_id=settings.hosted_zone_id, zone_name=settings.hosted_zone_name
        )
        self.certificate = ServiceCertificate(
            self,
            "Certificate",
            domain_name=settings.domain_name,
            regional_name=regional_name(settings.region, settings.domain_name),
            hosted_zone=self.hosted_zone,
            existing_certificate_arn=settings.certificate_arn,
            certificate_name=names.certificate,
        )
        self.access_logs = AccessLogBucket(self, "AccessLogs")
        # One drain setting gives the deregistration delay, the service's stop and the termination hook (R20).
        self.drain = DrainTiming(drain_seconds=settings.drain_seconds)
        self.health_check = HealthCheckTiming(
            interval_seconds=settings.health_check_interval_seconds,
            deregistration_delay_seconds=self.drain.deregistration_delay_seconds,
        )
        self.load_balancer = LoadBalancer(
            self,
            "LoadBalancer",
            vpc=self.network.vpc,
            subnets=self.network.public_subnets,
            certificate=self.certificate.certificate,
            target_port=SERVICE_PORT,
            health_check=self.health_check,
            load_balancer_name=names.load_balancer,
            target_group_name=names.target_group,
            access_log_bucket=self.access_logs.bucket,
        )
        # Every public entry of the tier goes through the web ACL (R19): today that is the one ALB.
        self.firewall = WebFirewall(
            self,
            "WebFirewall",
            name=names.web_acl,
            load_balancers=[self.load_balancer.load_balancer],
            log_archive=self.log_archive,
            rule_modes=dict(settings.waf_rule_modes),
            rate_limit=settings.waf_rate_limit,
            merchant_header=settings.waf_merchant_header,
            merchant_rate_limit=settings.waf_merchant_rate_limit,
            trusted_cidrs=settings.waf_trusted_cidrs,
        )
        self.alerting = FailoverTopic(
            self,
            "Alerting",
            topic_name=names.topic,
            alarm_email=settings.alarm_email,
            autoscaling_publishes=True,
            eventbridge_publishes=True,
            https_url=settings.paging_https_url,
        )

    def _fleet(self, settings: Settings, names: ResourceNames) -> None:
        """The Auto Scaling group behind the load balancer, its logs, and this region's own name (R5, R6, R16)."""
        self.instance_logs = InstanceLogs(
            self,
            "InstanceLogs",
            log_archive=self.log_archive,
            session_document_name=names.session_document,
            operator_policy_name=names.operator_policy,
        )
        self.compute = Compute(
            self,
            "Compute",
            vpc=self.network.vpc,
            subnets=self.network.private_subnets,
            instance_type=settings.instance_type,
            additional_instance_types=settings.additional_instance_types,
            image_id=settings.image_id,
            min_capacity=settings.min_capacity,
            max_capacity=settings.max_capacity,
            service_port=SERVICE_PORT,
            name=names.auto_scaling_group,
            notifications_topic=self.alerting.topic,
            # A new instance must prove itself healthy for as long as the load balancer needs to say so (R16).
            rollout=RolloutTiming(
                health_check_interval_seconds=self.health_check.interval_seconds,
                healthy_threshold=self.health_check.healthy_threshold,
            ),
            agent_config=self.instance_logs.agent_config_json(),
            drain=self.drain,
            # The deploy gate's second half asks the load balancer about this target group (R20, failure 20).
            target_group_arn=self.load_balancer.target_group.target_group_arn,
        )
        self.graceful_stop = GracefulStop(
            self,
            "GracefulStop",
            auto_scaling_group=self.compute.auto_scaling_group,
            group_name=names.auto_scaling_group,
            auto_scaling_group_arn=self.compute.auto_scaling_group_arn,
            instance_role=self.compute.role,
            drain=self.drain,
        )
        self.instance_logs.allow_instances(self.compute.role)
        self.instance_logs.allow_operators_on(fleet_name_tag=names.auto_scaling_group)
        # Registering the group also opens the service port from the ALB's security group only (R7).
        self.load_balancer.target_group.add_target(self.compute.auto_scaling_group)
        _pin_rule_ids(self.load_balancer.security_group, self.compute.security_group)
        # The instances' only way out: HTTPS to the AWS APIs they call, through the VPC endpoints (R19).
        self.service_endpoints.admit(self.compute.security_group)
        self.endpoint = RegionalEndpoint(
            self,
            "RegionalEndpoint",
            domain_name=settings.domain_name,
            region=settings.region,
            hosted_zone=self.hosted_zone,
            load_balancer=self.load_balancer.load_balancer,
        )

    def _alarm_policy(self, settings: Settings, names: ResourceNames) -> AlarmPolicy:
        """The thresholds and objectives every alarm is judged by, and where alarms go."""
        return AlarmPolicy(
            error_rate_percent=settings.error_rate_percent,
            latency_p99_threshold_ms=settings.latency_p99_threshold_ms,
            topic=self.alerting.topic,
            name_prefix=names.alarm_prefix,
            objectives=Objectives(
                availability_percent=settings.availability_objective_percent,
                latency_ms=settings.latency_objective_ms,
                latency_percent=settings.latency_objective_percent,
            ),
        )

    def _observe(self, fleet: ServedFleet, policy: AlarmPolicy) -> None:
        """Alarms that page, the web ACL's blocked-request spike, one gray-failure detector per AZ, and the SLO
        burn-rate alarms (R8, R17, R21)."""
        self.alarms = FailoverAlarms(self, "Alarms", fleet=fleet, policy=policy)
        self.waf_blocked_spike = self.firewall.blocked_spike_alarm(
            self, "WafBlockedSpike", alarm_name=f"{policy.name_prefix}-WafBlockedSpike"
        )
        notify(self.waf_blocked_spike, policy.topic)
        self.gray_failure = GrayFailureAlarms(
            self, "GrayFailure", fleet=fleet, policy=policy, probe_alarms=self.probes.zone_alarms
        )
        self.burn_rate = BurnRateAlarms(
            self, "BurnRate", fleet=fleet, policy=policy, probe_canary_name=self.probes.canary_names["Service"]
        )

    def _probe(self, settings: Settings, policy: AlarmPolicy) -> None:
        """What clients see, every minute, traffic or not: the service's name, this region's own, and each AZ's load
        balancer node (R21). `self.probes.zone_alarms` (AZ → alarm) is what a zonal deployment's alarms can add."""
        self.probes = SyntheticProbes(
            self,
            "Probes",
            policy=policy,
            targets={"Service": settings.domain_name, "Region": self.endpoint.name},
            paths=PROBE_PATHS,
            zonal=ZonalTarget(
                host=settings.domain_name,
                load_balancer_full_name=self.load_balancer.load_balancer.load_balancer_full_name,
                availability_zones=settings.availability_zones,
            ),
        )

    def _deliver(self, settings: Settings, names: ResourceNames) -> None:
        """The service's releases: one AZ at a time, baked under the alarms that see clients fail (R20)."""
        self.release = ZonalRelease(
            self,
            "Release",
            name=names.release,
            bundle=bundle_path(settings.service_bundle),
            auto_scaling_group=self.compute.auto_scaling_group,
            target_group=self.load_balancer.target_group,
            # What stops a bad version (ten alarms, CodeDeploy's maximum): clients' 5xx and latency, each AZ's 5xx
            # outlier, and the probes that fail even with no client traffic: this region's own name and each AZ's
            # load balancer node.
            alarms=[
                self.alarms.alb_5xx,
                self.alarms.target_5xx,
                self.alarms.latency_p99,
                *self.gray_failure.error_outliers.values(),
                *self.probes.zone_alarms.values(),
                self.probes.alarms["Region"],
            ],
            timing=settings.release_timing,
            instances_per_zone=settings.min_capacity // len(settings.availability_zones),
            log_archive=self.log_archive,
        )
        self.release.allow_instances(self.compute.role)
        self.service_endpoints.allow_object_reads(self.release.revision_object_arns())

    def _resilience(self, settings: Settings, fleet: ServedFleet, policy: AlarmPolicy) -> None:
        """The AZ-loss drills and zonal autoshift, both acting on the ALB and the ASG together (R17, failure 15)."""
        self.drills = AzLossDrills(
            self,
            "AzLossDrills",
            vpc=self.network.vpc,
            subnets_by_az=self.network.subnets_by_az(),
            fleet=fleet,
            stop_alarms=[self.alarms.no_healthy_target],
            error_rate_alarms=[self.alarms.alb_5xx, self.alarms.target_5xx],
            error_rate_percent=settings.error_rate_percent,
            name_prefix=policy.name_prefix,
            log_archive=self.log_archive,
        )
        # Outcome: clients get errors, the region's probe fails, or the nodes of two AZs fail their probes (one AZ's
        # node is what the practice run shifts away); blocking: the group is already short of instances, so a
        # practice run must not take an AZ away.
        self.autoshift = ZonalAutoshift(
            self,
            "ZonalAutoshift",
            resources=fleet.shiftable_resources,
            outcome_alarms=[self.alarms.alb_5xx, self.probes.alarms["Region"], self.probes.zones_failing],
            blocking_alarm=self.alarms.in_service,
            enabled=settings.zonal_autoshift,
            name_prefix=policy.name_prefix,
        )

    def _announce(self, fleet: ServedFleet, policy: AlarmPolicy) -> None:
        """Every automatic action AWS takes on this tier reaches the failover topic (R21): autoshift, practice
        runs, drills, AWS Health, failed replacements, failed or stopped releases, certificate expiry."""
        self.operator_events = OperatorEvents(
            self,
            "OperatorEvents",
            fleet=fleet,
            policy=policy,
            certificate_arn=self.certificate.certificate.certificate_arn,
            release_application=self.release.application.application_name,
        )

    def _outputs(self, settings: Settings, load_balancer: LoadBalancer, compute: Compute) -> None:
        alb = load_balancer.load_balancer
        tg = load_balancer.target_group
        outputs = {
            "ServiceUrl": (f"https://{self.endpoint.name}/health", "HTTPS health URL of this region's endpoint"),
            "LoadBalancerDnsName": (alb.load_balancer_dns_name, "DNS name of the Application Load Balancer"),
            "LoadBalancerArn": (alb.load_balancer_arn, "ARN of the Application Load Balancer"),
            "LoadBalancerFullName": (alb.load_balancer_full_name, "CloudWatch dimension value of the ALB"),
            "TargetGroupArn": (tg.target_group_arn, "ARN of the instances' target group"),
            "TargetGroupFullName": (tg.target_group_full_name, "CloudWatch dimension value of the target group"),
            "AutoScalingGroupName": (compute.auto_scaling_group.auto_scaling_group_name, "Name of the ASG"),
            "AutoScalingGroupArn": (
                compute.auto_scaling_group_arn,
                "ARN of the ASG: what a zonal shift of the ASG names",
            ),
            "VpcId": (self.network.vpc.vpc_id, "VPC of the web tier"),
            "FailoverTopicArn": (self.alerting.topic.topic_arn, "SNS topic for failover events"),
            "SessionDocumentName": (
                self.instance_logs.session_document.ref,
                "aws ssm start-session --document-name <this> --target <instance>: a logged shell",
            ),
            "OperatorSessionPolicyArn": (
                self.instance_logs.operator_policy.managed_policy_arn,
                "Attach to the roles that may open shells on this fleet",
            ),
            "DashboardUrl": (
                f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region={self.region}"
                f"#dashboards:name={self.dashboard.dashboard.dashboard_name}",
                "CloudWatch failover dashboard",
            ),
        }
        created = {
            output_id: CfnOutput(self, output_id, value=value, description=description)
            for output_id, (value, description) in outputs.items()
        }
        # What the pipeline's post-deployment health check calls.
        self.service_url_output = created["ServiceUrl"]


def _pin_rule_ids(alb: ec2.SecurityGroup, instances: ec2.SecurityGroup) -> None:
    """Give the ALB-to-instance rules logical ids that do not depend on the construct path.

    CDK names these two rules after the peer group's full path, which differs between the hand-deployed
    Stage and the pipeline's; with pinned ids one environment can move between the two doors without
    CloudFormation trying to add a rule identical to the one it has not yet removed.
    """
    for group, rule_type, logical_id in (
        (alb, ec2.CfnSecurityGroupEgress, "AlbToInstancesEgress"),
        (instances, ec2.CfnSecurityGroupIngress, "InstancesFromAlbIngress"),
    ):
        (rule,) = [child for child in group.node.children if isinstance(child, rule_type)]
        rule.override_logical_id(logical_id)
