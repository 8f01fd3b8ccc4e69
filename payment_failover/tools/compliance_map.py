"""PCI DSS v4.0.1 compliance map (R19): the requirements this web tier touches, how its templates meet each, the
tests that pin it, and what the account must still provide. The README's table is this module's output
(`make readme`), and a test checks that every test named here exists.

This is a map for an assessor, not an attestation: the templates meet a requirement only for the resources they
build, and most requirements also need people, process and account-wide services the templates cannot create.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Requirement:
    number: str
    topic: str
    templates: str
    tests: tuple[str, ...]
    account: str


REQUIREMENTS = (
    Requirement(
        "1.3, 1.4",
        "network access to and from the cardholder data environment is restricted",
        "Instances in isolated private subnets with no route to the internet and no NAT gateway (decision 0011); "
        "their security group accepts only the ALB's group on the service port and sends only HTTPS to the VPC "
        "interface endpoints and to S3 through a read-only gateway endpoint: no internet egress; the VPC's default "
        "security group is emptied at deploy "
        "time; public subnets assign no public addresses; the ALB accepts 443 and 80 (redirect only); VPC flow "
        "logs of all traffic.",
        (
            "test_r19_instances_send_only_https_to_the_endpoints_and_s3",
            "test_r19_no_instance_rule_reaches_the_internet",
            "test_r2_no_nat_gateway_and_no_internet_route_from_the_instances_subnets",
            "test_r19_endpoint_group_accepts_only_https_from_the_admitted_group_and_sends_nothing",
            "test_r19_the_default_groups_self_ingress_and_open_egress_are_revoked",
            "test_r19_nothing_in_the_public_subnets_gets_a_public_address_by_default",
            "test_r19_vpc_flow_logs_capture_all_traffic_into_an_encrypted_group_kept_beyond_a_year",
        ),
        "Review security groups every six months; AWS Config or Security Hub (EC2.2) to catch a default group "
        "reopened by hand; Route 53 Resolver DNS Firewall if DNS exfiltration is in scope (security groups do not "
        "filter DNS to the Amazon-provided resolver).",
    ),
    Requirement(
        "2.2",
        "system components are configured and managed securely",
        "Amazon Linux 2023 with IMDSv2 required, no SSH key (Session Manager), encrypted gp3 root volumes; cdk-nag "
        "AWS Solutions, PCI DSS 3.2.1 and NIST 800-53 R5 packs fail the synth on any unacknowledged finding.",
        (
            "test_r19_the_default_stage_has_no_unacknowledged_finding_in_any_pack",
            "test_r19_the_pci_and_nist_packs_cannot_be_silently_off",
        ),
        "AWS Config with the PCI DSS conformance pack; Amazon Inspector for the instances' vulnerabilities.",
    ),
    Requirement(
        "3.5, 3.6",
        "stored account data and the keys that protect it",
        "Log groups and SNS topics encrypted with customer-managed KMS keys with rotation on; key policies name "
        "the one service that may use each key (CloudWatch Logs of this account and region for the log key).",
        ("test_r19_the_log_key_serves_only_cloudwatch_logs_of_this_account_and_region",),
        "The payment application's own data stores and their keys are outside this tier.",
    ),
    Requirement(
        "4.2.1",
        "strong cryptography for cardholder data over open, public networks",
        "HTTPS listener with ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09 (TLS 1.3/1.2, AES-GCM only) and an ACM "
        "certificate; port 80 only redirects to 443.",
        ("test_r3_r19_https_listener_on_443_with_certificate_and_gcm_only_tls13_policy_forwards_to_targets",),
        "Ownership of the domain and its certificate, and monitoring of the certificate's expiry.",
    ),
    Requirement(
        "6.4.1, 6.4.2",
        "public-facing web applications are protected against attacks",
        "An AWS WAF web ACL on every public ALB: AWS managed rule groups (IP reputation, anonymous IPs, core rule "
        "set, known bad inputs, SQL injection, Linux), a rate limit per client IP, an 8 KB body limit; every rule "
        "in block mode unless configured to count; a blocked-request spike pages on-call.",
        (
            "test_r19_every_internet_facing_alb_of_the_stage_is_associated_with_the_web_acl",
            "test_r19_managed_rule_groups_for_a_payment_api_enforce_their_own_actions_by_default",
            "test_r19_blocked_request_spike_pages_the_failover_topic",
        ),
        "Review the WAF logs and rule set after every change of the application; AWS Shield Advanced if wanted.",
    ),
    Requirement(
        "7.2.1, 7.2.2",
        "access to system components is defined and limited to least privilege",
        "Every AWS service let into a key, resource or trust policy acts only for this account's own resources: "
        "aws:SourceAccount and aws:SourceArn with the values each service documents (VPC flow logs, FIS, CloudWatch "
        "alarms, WAF log delivery); ALB access logs are written only by the documented ELB principal. The few "
        "services whose pages document no such keys are listed, each with the page checked.",
        ("test_r19_every_service_principal_is_bound_to_this_account_or_documented_as_unsupported",),
        "IAM Access Analyzer on the account; review of roles and their trust policies at least every six months.",
    ),
    Requirement(
        "10.2",
        "audit logs capture user and system activity",
        "ALB access logs, VPC flow logs, AWS WAF logs of every request, FIS experiment logs; on every instance the "
        "CloudWatch agent ships the system log, the authentication log and the health service's log (an instance "
        "whose logs cannot leave it never joins the fleet); Session Manager sessions through the tier's Session "
        "document are streamed to their own log group.",
        (
            "test_r19_waf_logs_go_to_an_encrypted_aws_waf_logs_group_kept_beyond_a_year",
            "test_r19_the_fleet_user_data_carries_the_agent_configuration_of_its_own_log_groups",
            "test_r19_sessions_stream_encrypted_into_their_group_and_end_after_15_idle_minutes",
            "test_r19_a_package_that_cannot_be_installed_fails_the_step_and_starts_no_agent",
        ),
        "AWS CloudTrail (management and S3 data events) in every region; attaching the operator session policy to "
        "the roles that may open shells (without it, a session with the account's default document may go "
        "unlogged).",
    ),
    Requirement(
        "10.3",
        "audit logs are protected from destruction and unauthorized modification",
        "Log groups encrypted with the log key and retained on stack deletion; the access-log bucket is versioned "
        "and its policy denies object deletion to every principal; WAF logs redact Authorization and Cookie.",
        (
            "test_r19_no_principal_may_delete_an_access_log_object_or_version",
            "test_r19_bucket_is_versioned_so_an_overwritten_or_deleted_log_stays_recoverable",
            "test_r19_waf_logs_redact_the_authorization_and_cookie_headers",
        ),
        "A central log-archive account with a copy of CloudTrail and these logs; restricted IAM access to them.",
    ),
    Requirement(
        "10.5.1",
        "audit log history is retained for at least 12 months",
        "Every log group (network, WAF, drill, instance and session logs) and the access-log bucket keep 18 "
        "months (545 days).",
        (
            "test_r19_logs_move_to_infrequent_access_and_expire_well_after_the_pci_year",
            "test_r19_four_log_groups_encrypted_with_the_archive_key_kept_18_months_and_retained",
        ),
        "CloudTrail retention of at least 12 months.",
    ),
    Requirement(
        "10.4, 10.7",
        "logs are reviewed and failures of critical controls are detected",
        "CloudWatch alarms to the failover topic (KMS-encrypted, TLS-only) on health, errors and WAF block spikes.",
        ("test_r8_every_regional_alarm_pages_and_clears_through_the_topic",),
        "Amazon GuardDuty and AWS Security Hub with the PCI DSS standard; a daily log review process.",
    ),
    Requirement(
        "8.2.8",
        "idle sessions require re-authentication after 15 minutes",
        "The tier's Session document ends a Session Manager session idle for 15 minutes; the operator policy "
        "allows sessions on this fleet only through that document.",
        (
            "test_r19_sessions_stream_encrypted_into_their_group_and_end_after_15_idle_minutes",
            "test_r19_operators_open_sessions_on_this_fleet_only_and_only_through_the_logging_document",
        ),
        "Console and identity-provider session timeouts for the people who operate the account.",
    ),
    Requirement(
        "8.4",
        "multi-factor authentication into the cardholder data environment",
        "No SSH and no key pair: administrative access to instances is only through Session Manager (IAM).",
        (),
        "MFA for every console and CLI identity that can start a Session Manager session or change these stacks.",
    ),
)


def markdown_table() -> str:
    rows = [
        "| PCI DSS v4.0.1 | what it asks | how the templates meet it | the account must provide |",
        "|---|---|---|---|",
    ]
    rows += [f"| {r.number} | {r.topic} | {r.templates} | {r.account} |" for r in REQUIREMENTS]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
