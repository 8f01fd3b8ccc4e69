"""The CDK App around the Stage: which checks a synth runs, and the pipeline when it is configured.

Every synth runs the settings schema, cdk-nag's three packs (inside the Stage: `compliance/governance.py`) and
CDK's own synthesis checks. CloudFormation's template validation (aws-cdk-lib's built-in Validate plugin, a
WebAssembly rule engine: this app's `cdk synth` took 8.76 s and 1,166 MB with it, 3.39 s and 235 MB without,
docs/decisions/0008-validation-in-the-gate.md) runs where a template is about to
be deployed: `deploy=true` (`make deploy`) and any synth that builds the pipeline, whose stages deploy. There
app.py refuses `CDK_VALIDATION=false` (what `cdk synth --no-validation` sets) before anything is built. The
built-in plugin is the one that reaches into a Stage: an instance registered on the App validates only the
App's own stacks (tests/unit/compliance/test_governance.py proves the Stage's stacks are validated).
An iteration synth (`make synth`, a plain `cdk synth`) skips it; `make test` lints the same templates with
cfn-lint and runs the Validate plugin itself over the default and standby configurations (docs/testing.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk

from payment_failover.config.settings import Settings
from payment_failover.pipeline.settings import PipelineSettings, deployable
from payment_failover.stage import PaymentFailoverStage


def new_app(*, context: Mapping[str, Any] | None, outdir: str | None, validate: bool) -> cdk.App:
    """An App with CloudFormation's built-in validation on exactly when `validate` says so."""
    return cdk.App(
        context=dict(context) if context is not None else None,
        outdir=outdir,
        builtin_cloud_formation_validation=validate,
    )


def synthesize_app(
    *, context: Mapping[str, Any] | None, outdir: str | None, settings: Settings, pipeline: PipelineSettings | None
) -> cdk.App:
    """Build the Stage (and the pipeline, if configured) and write the cloud assembly."""
    app = new_app(context=context, outdir=outdir, validate=deployable(settings, pipeline))
    PaymentFailoverStage(app, f"PaymentFailover-{settings.environment_suffix}", settings=settings)
    if pipeline is not None:
        # Imported only when asked for, so a synth without pipeline settings pays nothing for it.
        from payment_failover.pipeline.stack import PIPELINE_STACK_NAME, PipelineStack

        PipelineStack(app, PIPELINE_STACK_NAME, settings=pipeline)
    app.synth()
    return app
