"""Load balancer (R3, R4, R7): internet-facing HTTPS ALB in front of one target group."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from payment_failover.components.edge.access_logs import log_alb_access

HTTPS_PORT = 443
HTTP_PORT = 80
HEALTH_CHECK_PATH = "/health"
# TLS 1.3 and 1.2 only, forward-secret AES-GCM ciphers without the CBC suites (the "Res" variant), with hybrid
# post-quantum key exchange for clients that offer it and classic ECDHE for those that do not: the policy AWS
# recommends and the console's default, ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
TLS_POLICY = elbv2.SslPolicy.TLS13_12_RES_PQ


@dataclass(frozen=True)
class HealthCheckTiming:
    """Target-group health check timing; detection time is an explicit product of these numbers."""

    interval_seconds: int
    healthy_threshold: int = 2
    unhealthy_threshold: int = 2
    deregistration_delay_seconds: int = 30

    @property
    def timeout_seconds(self) -> int:
        # The ALB rejects a timeout that is not shorter than the interval.
        return min(5, self.interval_seconds - 1)

    @property
    def seconds_to_mark_unhealthy(self) -> int:
        return self.interval_seconds * self.unhealthy_threshold

    @property
    def seconds_to_mark_healthy(self) -> int:
        return self.interval_seconds * self.healthy_threshold


class LoadBalancer(Construct):
    """ALB over the public subnets: 443 terminates TLS and forwards, 80 only redirects to 443."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        certificate: acm.ICertificate,
        target_port: int,
        health_check: HealthCheckTiming,
        load_balancer_name: str,
        target_group_name: str,
        access_log_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, id_)
        self._security_group(vpc)
        self._load_balancer(
            vpc=vpc, subnets=subnets, load_balancer_name=load_balancer_name, access_log_bucket=access_log_bucket
        )
        self._target_group(
            vpc=vpc, target_port=target_port, health_check=health_check, target_group_name=target_group_name
        )
        self._listeners(certificate)

    def _security_group(self, vpc: ec2.IVpc) -> None:
        """The ALB's group: HTTPS in from the internet, HTTP in only so it can be redirected, no open egress."""
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Payment ALB: HTTPS from the internet, HTTP only to redirect",
            allow_all_outbound=False,
        )
        self.security_group.add_ingress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS_PORT), "HTTPS from payment clients on the internet"
        )
        self.security_group.add_ingress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTP_PORT), "HTTP from the internet, answered with a redirect to HTTPS"
        )

    def _load_balancer(
        self, *, vpc: ec2.IVpc, subnets: ec2.SubnetSelection, load_balancer_name: str, access_log_bucket: s3.IBucket
    ) -> None:
        """The internet-facing ALB itself: protected from deletion, access-logged and open to zonal shift (R3, R4)."""
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "Alb",
            vpc=vpc,
            vpc_subnets=subnets,
            internet_facing=True,
            load_balancer_name=load_balancer_name,
            security_group=self.security_group,
            cross_zone_enabled=True,
            drop_invalid_header_fields=True,
            # The payment entry point cannot be deleted by a stray API call or stack change; turning this off
            # is a reviewed change of its own.
            deletion_protection=True,
            http2_enabled=True,
        )
        log_alb_access(self.load_balancer, access_log_bucket, prefix=load_balancer_name)
        # Lets an operator (or Route 53 ARC autoshift) move traffic away from an impaired AZ.
        self.load_balancer.set_attribute("zonal_shift.config.enabled", "true")

    def _target_group(
        self, *, vpc: ec2.IVpc, target_port: int, health_check: HealthCheckTiming, target_group_name: str
    ) -> None:
        """The instances' target group: health check timing as configured and anomaly mitigation (R17)."""
        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "TargetGroup",
            vpc=vpc,
            target_group_name=target_group_name,
            target_type=elbv2.TargetType.INSTANCE,
            port=target_port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            deregistration_delay=Duration.seconds(health_check.deregistration_delay_seconds),
            # Automatic target weights (R17): a target whose 5xx or connection errors stand out from its peers
            # loses traffic within seconds, before its health checks fail. Anomaly mitigation needs the weighted
            # random algorithm, which rules out slow start and sticky sessions (neither is used here).
            # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html
            load_balancing_algorithm_type=elbv2.TargetGroupLoadBalancingAlgorithmType.WEIGHTED_RANDOM,
            enable_anomaly_mitigation=True,
            health_check=elbv2.HealthCheck(
                enabled=True,
                path=HEALTH_CHECK_PATH,
                port="traffic-port",
                protocol=elbv2.Protocol.HTTP,
                healthy_http_codes="200",
                interval=Duration.seconds(health_check.interval_seconds),
                timeout=Duration.seconds(health_check.timeout_seconds),
                healthy_threshold_count=health_check.healthy_threshold,
                unhealthy_threshold_count=health_check.unhealthy_threshold,
            ),
        )

    def _listeners(self, certificate: acm.ICertificate) -> None:
        """The listeners: 443 terminates TLS and forwards to the target group, 80 only redirects to 443 (R7)."""
        self.https_listener = self.load_balancer.add_listener(
            "Https",
            port=HTTPS_PORT,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[elbv2.ListenerCertificate.from_certificate_manager(certificate)],
            ssl_policy=TLS_POLICY,
            open=False,
            default_target_groups=[self.target_group],
        )
        self.http_redirect_listener = self.load_balancer.add_redirect(
            source_port=HTTP_PORT,
            source_protocol=elbv2.ApplicationProtocol.HTTP,
            target_port=HTTPS_PORT,
            target_protocol=elbv2.ApplicationProtocol.HTTPS,
            open=False,
        )
