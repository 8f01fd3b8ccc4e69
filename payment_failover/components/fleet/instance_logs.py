"""Instance logs (R19; PCI DSS v4.0.1 10.2, 10.3, 10.5.1): what happens on an instance outlives the instance.

Auto Scaling replaces a failing instance with its disks, so nothing that matters may stay on it:
- the CloudWatch agent ships the system log, the authentication log and the health service's log to one
  KMS-encrypted log group each (the user-data step is runtime/ship_logs.sh);
- Session Manager sessions are recorded through a Session document of this tier that streams every session to a
  KMS-encrypted log group and ends idle sessions after 15 minutes (PCI DSS 8.2.8);
- an operator policy lets people open sessions on this fleet only through that document.

AWS pages this module rests on:
- agent configuration, `logs.logs_collected.files.collect_list` with file_path, log_group_name, log_stream_name
  and the {instance_id} placeholder:
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html
- Session document inputs (cloudWatchLogGroupName, cloudWatchEncryptionEnabled, cloudWatchStreamingEnabled,
  idleSessionTimeout, s3EncryptionEnabled required): https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-schema.html
- the instance permissions for session logs in CloudWatch Logs (logs:CreateLogStream, logs:PutLogEvents,
  logs:DescribeLogGroups, logs:DescribeLogStreams):
  https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html
- a session started without --document-name uses the account's SSM-SessionManagerRunShell unless every statement
  allowing ssm:StartSession carries BoolIfExists ssm:SessionDocumentAccessCheck = true:
  https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-sessiondocumentaccesscheck.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from payment_failover.components.observability.log_encryption import LogArchive

SYSTEM_LOG = "/var/log/messages"
AUTH_LOG = "/var/log/secure"
# Written by rsyslog from the journal lines of the unit's SyslogIdentifier (runtime/ship_logs.sh).
HEALTH_LOG = "/var/log/payment-health.log"
HEALTH_SYSLOG_IDENTIFIER = "payment-health"
# PCI DSS v4.0.1 8.2.8: a session idle for more than 15 minutes must authenticate again.
IDLE_SESSION_MINUTES = 15
# What the agent does with a log group that exists (this stack creates them, with their retention and key).
_AGENT_LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")


@dataclass(frozen=True)
class ShippedFile:
    """One file on the instance and the log group it goes to."""

    path: str
    log_group: logs.ILogGroup


class InstanceLogs(Construct):
    """Encrypted log groups for the instances and their sessions, the agent configuration, and the session policy."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        log_archive: LogArchive,
        session_document_name: str,
        operator_policy_name: str,
    ) -> None:
        super().__init__(scope, id_)
        self.shipped = (
            ShippedFile(SYSTEM_LOG, log_archive.log_group(self, "System")),
            ShippedFile(AUTH_LOG, log_archive.log_group(self, "Auth")),
            ShippedFile(HEALTH_LOG, log_archive.log_group(self, "HealthService")),
        )
        self.sessions = log_archive.log_group(self, "Sessions")
        self.session_document = ssm.CfnDocument(
            self,
            "SessionDocument",
            name=session_document_name,
            document_type="Session",
            document_format="JSON",
            # A changed preference becomes a new default version instead of a replacement under the same name.
            update_method="NewVersion",
            content=session_preferences(self.sessions.log_group_name),
        )
        stack = Stack.of(self)
        self.session_document_arn = stack.format_arn(
            service="ssm", resource="document", resource_name=session_document_name
        )
        self.operator_policy = iam.ManagedPolicy(
            self,
            "OperatorSessions",
            managed_policy_name=operator_policy_name,
            description=(
                "Attach to the roles that may open shells on this fleet: sessions only through the logging "
                f"Session document {session_document_name}"
            ),
        )
        self._log_groups = [*(shipped.log_group for shipped in self.shipped), self.sessions]

    def allow_instances(self, role: iam.IRole) -> None:
        """The instances may write streams into these groups and nowhere else."""
        for log_group in self._log_groups:
            log_group.grant(role, *_AGENT_LOG_ACTIONS)
        # Session Manager's CloudWatch logging needs logs:DescribeLogGroups besides the stream writes (custom IAM role
        # page above); the action takes a log-group ARN pattern of the account and region, not one group (the
        # CloudWatch Logs "Logs sent to CloudWatch Logs" page scopes it so:
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-CloudWatchLogs.html).
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["logs:DescribeLogGroups"], resources=[_account_arn("logs", "log-group:*")])
        )

    def allow_operators_on(self, *, fleet_name_tag: str) -> None:
        """Operators with the policy reach instances tagged Name=<fleet> only, and only through the document."""
        check = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
        self.operator_policy.add_statements(
            iam.PolicyStatement(
                sid="ShellOnThisFleetOnly",
                actions=["ssm:StartSession"],
                resources=[_account_arn("ec2", "instance/*")],
                conditions={**check, "StringEquals": {"ssm:resourceTag/Name": fleet_name_tag}},
            ),
            iam.PolicyStatement(
                sid="ThroughTheLoggingDocumentOnly",
                actions=["ssm:StartSession"],
                resources=[self.session_document_arn],
                conditions=check,
            ),
            iam.PolicyStatement(
                sid="OwnSessionsOnly",
                actions=["ssm:ResumeSession", "ssm:TerminateSession"],
                resources=[_account_arn("ssm", "session/${aws:userid}-*")],
            ),
        )

    def agent_config(self) -> dict[str, Any]:
        """The CloudWatch agent configuration: each file to its group, one stream per instance."""
        return {
            "logs": {
                "logs_collected": {
                    "files": {
                        "collect_list": [
                            {
                                "file_path": shipped.path,
                                "log_group_name": shipped.log_group.log_group_name,
                                "log_stream_name": "{instance_id}",
                                "timezone": "UTC",
                            }
                            for shipped in self.shipped
                        ]
                    }
                },
                "force_flush_interval": 5,
            }
        }

    def agent_config_json(self) -> str:
        return json.dumps(self.agent_config(), indent=2, sort_keys=True)


def _account_arn(service: str, resource: str) -> str:
    """A wildcard ARN in this stack's account and region, written with pseudo parameters (as the gate reports it)."""
    return f"arn:{Aws.PARTITION}:{service}:{Aws.REGION}:{Aws.ACCOUNT_ID}:{resource}"


def session_preferences(log_group_name: str) -> dict[str, Any]:
    """The Session document: stream every session, encrypted, into the sessions group; end idle sessions."""
    return {
        "schemaVersion": "1.0",
        "description": "Payment instances: every session streamed to an encrypted log group, idle sessions ended",
        "sessionType": "Standard_Stream",
        "inputs": {
            "s3BucketName": "",
            "s3KeyPrefix": "",
            "s3EncryptionEnabled": True,
            "cloudWatchLogGroupName": log_group_name,
            "cloudWatchEncryptionEnabled": True,
            "cloudWatchStreamingEnabled": True,
            "kmsKeyId": "",
            "runAsEnabled": False,
            "runAsDefaultUser": "",
            "idleSessionTimeout": str(IDLE_SESSION_MINUTES),
            "shellProfile": {"linux": "", "windows": ""},
        },
    }
