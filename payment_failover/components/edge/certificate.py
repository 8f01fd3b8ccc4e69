"""TLS certificate for the HTTPS listener (R3): an existing ACM certificate, or a DNS-validated new one.

The certificate covers the service's domain and the region's own name (`<region>.<domain>`): the Route 53
health check probes the regional name with SNI, so the ALB must present a certificate valid for it. An
imported certificate (`certificateArn`) must cover both names too (README, Configuration).
"""

from __future__ import annotations

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from constructs import Construct


class ServiceCertificate(Construct):
    """Resolves the listener certificate without any lookup, so synth stays offline."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        domain_name: str,
        regional_name: str,
        hosted_zone: route53.IHostedZone,
        existing_certificate_arn: str | None,
        certificate_name: str,
    ) -> None:
        super().__init__(scope, id_)
        self.certificate: acm.ICertificate
        if existing_certificate_arn:
            self.certificate = acm.Certificate.from_certificate_arn(self, "Imported", existing_certificate_arn)
        else:
            self.certificate = acm.Certificate(
                self,
                "Certificate",
                domain_name=domain_name,
                subject_alternative_names=[regional_name],
                certificate_name=certificate_name,
                validation=acm.CertificateValidation.from_dns(hosted_zone),
            )
