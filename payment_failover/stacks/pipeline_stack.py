"""The delivery pipeline (R14): source → test and synth → update itself → staging → approval → production.

It deploys the very `PaymentFailoverStage` a person deploys by hand, so the two doors cannot drift;
each stage only counts as done once what it just deployed answers its health URL with 200.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from constructs import Construct

from payment_failover.pipeline_settings import PipelineSettings
from payment_failover.settings import Settings
from payment_failover.stage import PaymentFailoverStage

PIPELINE_STACK_NAME = "payment-failover-pipeline"
PIPELINE_NAME = "payment-failover"
SERVICE_URL_OUTPUT = "ServiceUrl"

# What a laptop runs, in the same order: install the lock files' pins, lint and test, then synthesize.
# `make synth` writes cdk.out, the cloud assembly every later pipeline step deploys from.
SYNTH_INSTALL_COMMANDS = ("make setup",)
SYNTH_COMMANDS = ("make test", "make synth")
# Pinned like the lock files: the image's default runtimes move when a version reaches end of life.
SYNTH_RUNTIMES = {"python": "3.11", "nodejs": "20"}

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
            synth_code_build_defaults=pipelines.CodeBuildOptions(
                partial_build_spec=codebuild.BuildSpec.from_object(
                    {"phases": {"install": {"runtime-versions": SYNTH_RUNTIMES}}}
                ),
            ),
            self_mutation=True,
            # Staging and production may live in other accounts than the pipeline's artifacts.
            cross_account_keys=True,
            enable_key_rotation=True,
            cli_version=settings.cli_version,
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

    def _deploy(
        self, settings: Settings, id_: str, *, approval: pipelines.ManualApprovalStep | None = None
    ) -> PaymentFailoverStage:
        stage = PaymentFailoverStage(self, id_, settings=settings)
        health_check = pipelines.ShellStep(
            "HealthCheck",
            env_from_cfn_outputs={"SERVICE_URL": _service_url(stage)},
            commands=[HEALTH_CHECK_COMMAND],
        )
        self.pipeline.add_stage(stage, pre=[approval] if approval else None, post=[health_check])
        return stage


def _service_url(stage: PaymentFailoverStage) -> CfnOutput:
    """The stage's own health URL output, so the check calls what this stage just deployed."""
    output = stage.service.node.find_child(SERVICE_URL_OUTPUT)
    if not isinstance(output, CfnOutput):
        raise TypeError(f"{stage.service.node.path}/{SERVICE_URL_OUTPUT} is not a CfnOutput")
    return output
