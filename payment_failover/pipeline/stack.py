"""The delivery pipeline (R14): source → test and synth → update itself → staging → approval → production.

It deploys the very `PaymentFailoverStage` a person deploys by hand, so the two doors cannot drift;
each stage only counts as done once what it just deployed answers its health URL with 200.
"""

from __future__ import annotations

from aws_cdk import CfnResource, Environment, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from constructs import Construct

from payment_failover.compliance.governance import acknowledge_pipeline_findings
from payment_failover.config.settings import Settings
from payment_failover.pipeline.settings import PipelineSettings
from payment_failover.stage import PaymentFailoverStage

PIPELINE_STACK_NAME = "payment-failover-pipeline"
PIPELINE_NAME = "payment-failover"

# What a laptop runs, in the same order: install what the lock files pin, lint and test (a failure ends the
# build here), then a clean `make synth` of the committed cdk.json writes cdk.out, the cloud assembly every
# later step deploys from.
SYNTH_INSTALL_COMMANDS = ("make setup",)
SYNTH_COMMANDS = ("make test", "make synth")
# Ubuntu 24.04 (standard:8.0) offers Node 22, the major package.json pins; the default standard:7.0 stops
# at Node 20, which is past its end of life, for the CLIs the pipeline's own steps install.
BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_8_0
# The synth runtimes are named, not left to the image's defaults (which move when a version reaches end of
# life): the Python of the developers' venv and the Node major of package.json.
SYNTH_RUNTIMES = {"python": "3.11", "nodejs": "22"}

# One command, so that a non-200 answer (curl --fail lets 3xx through) also fails the step. Retries
# cover DNS propagation and instances still passing their first health checks after the deployment.
HEALTH_CHECK_COMMAND = (
    'status="$(curl --silent --show-error --fail --connect-timeout 5 --max-time 10'
    " --retry 20 --retry-delay 15 --retry-max-time 600 --retry-all-errors"
    ' --output /dev/null --write-out "%{http_code}" "$SERVICE_URL")"'
    ' && echo "GET $SERVICE_URL answered HTTP $status"'
    ' && test "$status" = 200'
)


class PipelineStack(Stack):
    """A self-mutating CDK Pipelines CodePipeline in the tooling account that ships the Stage."""

    def __init__(self, scope: Construct, id_: str, *, settings: PipelineSettings) -> None:
        super().__init__(
            scope,
            id_,
            stack_name=PIPELINE_STACK_NAME,
            env=Environment(account=settings.account, region=settings.region),
        )
        source = pipelines.CodePipelineSource.connection(
            settings.repository, settings.branch, connection_arn=settings.connection_arn
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=PIPELINE_NAME,
            synth=pipelines.ShellStep(
                "Synth",
                input=source,
                install_commands=list(SYNTH_INSTALL_COMMANDS),
                commands=list(SYNTH_COMMANDS),
                primary_output_directory="cdk.out",
            ),
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(build_image=BUILD_IMAGE),
            ),
            synth_code_build_defaults=pipelines.CodeBuildOptions(
                partial_build_spec=codebuild.BuildSpec.from_object(
                    {"phases": {"install": {"runtime-versions": SYNTH_RUNTIMES}}}
                ),
            ),
            self_mutation=True,
            # Staging and production may be other accounts than the pipeline's: they must decrypt its artifacts.
            cross_account_keys=True,
            enable_key_rotation=True,
            cli_version=settings.cli_version,
            cdk_assets_cli_version=settings.assets_cli_version,
        )
        self.staging = self._deploy(settings.staging, "Staging")
        self.production = self._deploy(
            settings.production,
            "Production",
            approval=pipelines.ManualApprovalStep(
                "PromoteToProduction",
                comment="Staging deployed this change and answered its health check: promote it to production?",
            ),
        )
        # Built here rather than lazily at synth: the pipeline, roles, projects and buckets CDK Pipelines
        # generates then exist while the stack is constructed, for lint and compliance acknowledgements.
        self.pipeline.build_pipeline()
        _skip_role_arn_lint(self.pipeline.pipeline)
        acknowledge_pipeline_findings(self, self.pipeline)

    def _deploy(
        self, settings: Settings, id_: str, *, approval: pipelines.ManualApprovalStep | None = None
    ) -> PaymentFailoverStage:
        stage = PaymentFailoverStage(self, id_, settings=settings)
        # The domain clients use (through the global records), and each region's own name: a standby that does
        # not answer would only be found out during the outage it exists for.
        urls = {"SERVICE_URL": stage.global_dns.service_url_output}
        urls |= {f"REGION_{i}_URL": stack.service_url_output for i, stack in enumerate(stage.regional, start=1)}
        health_check = pipelines.ShellStep(
            "HealthCheck",
            env_from_cfn_outputs=urls,
            commands=[HEALTH_CHECK_COMMAND.replace("$SERVICE_URL", f"${variable}") for variable in urls],
        )
        self.pipeline.add_stage(stage, pre=[approval] if approval else None, post=[health_check])
        return stage


def _skip_role_arn_lint(pipeline: codepipeline.Pipeline) -> None:
    """cfn-lint E3703 reads an action's RoleArn as a literal ARN and cannot evaluate the Fn::Join (for the
    partition) that CDK Pipelines writes for the target accounts' bootstrap roles; skipped for this resource only.
    """
    resource = pipeline.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{pipeline.node.path} has no CloudFormation resource")
    resource.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E3703"]}})
