#!/usr/bin/env python3
"""Entry point of `cdk synth` / `cdk deploy`: settings first, then the Stage, then the pipeline if configured."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk

from payment_failover.config.settings import load_settings
from payment_failover.config.sources import ConfigError
from payment_failover.pipeline.settings import PIPELINE_KEYS, load_pipeline_settings
from payment_failover.stage import PaymentFailoverStage


def main(
    context: Mapping[str, Any] | None = None, outdir: str | None = None, environ: Mapping[str, str] = os.environ
) -> int:
    """Synthesize the app; `context`/`outdir` let tests run this door in-process (the CLI passes them by env)."""
    app = cdk.App(context=dict(context) if context is not None else None, outdir=outdir)
    # Every context key, CDK's own included: a key that is neither CDK's nor a setting is refused as a typo.
    values = app.node.get_all_context()
    try:
        settings = load_settings(values, environ, extra_keys=PIPELINE_KEYS)
        pipeline = load_pipeline_settings(values, environ)
    except ConfigError as error:
        print(f"payment-failover: {error}", file=sys.stderr)
        return 2
    PaymentFailoverStage(app, f"PaymentFailover-{settings.environment_suffix}", settings=settings)
    if pipeline is not None:
        # Imported only when asked for, so a synth without pipeline settings pays nothing for it.
        from payment_failover.pipeline.stack import PIPELINE_STACK_NAME, PipelineStack

        PipelineStack(app, PIPELINE_STACK_NAME, settings=pipeline)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
