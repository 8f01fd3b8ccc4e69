#!/usr/bin/env python3
"""Entry point of `cdk synth` / `cdk deploy`: settings first, then the Stage, then the pipeline if configured.

The settings are read and validated before aws_cdk (and its jsii process) is imported, so a refused
configuration answers in a fraction of a second and nothing is written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from payment_failover.config.cli_context import PROJECT_ROOT, from_environment, misplaced_settings
from payment_failover.config.settings import KEYS, load_settings
from payment_failover.config.sources import ConfigError
from payment_failover.pipeline.settings import PIPELINE_KEYS, deployable, load_pipeline_settings


def main(
    context: Mapping[str, Any] | None = None,
    outdir: str | None = None,
    environ: Mapping[str, str] = os.environ,
    cdk_json: Path = PROJECT_ROOT / "cdk.json",
) -> int:
    """Synthesize the app; `context`/`outdir` let tests run this door in-process (the CLI passes them by env)."""
    try:
        # A setting written beside `context` in cdk.json never reaches the app: refuse it rather than ignore it.
        misplaced = misplaced_settings((*KEYS, *PIPELINE_KEYS), cdk_json=cdk_json)
        if misplaced:
            raise ConfigError(misplaced)
        # Every context key, CDK's own included: a key that is neither CDK's nor a setting is refused as a typo.
        values = dict(context) if context is not None else from_environment(environ)
        settings = load_settings(values, environ, extra_keys=PIPELINE_KEYS)
        pipeline = load_pipeline_settings(values, environ)
        if deployable(settings, pipeline) and environ.get("CDK_VALIDATION") == "false":
            raise ConfigError(
                "CDK_VALIDATION=false (or --no-validation) is refused for a synth that deploys (deploy=true or a "
                "pipeline): CloudFormation validation must check its templates; drop the switch."
            )
    except ConfigError as error:
        print(f"payment-failover: {error}", file=sys.stderr)
        return 2
    from payment_failover.application import synthesize_app  # aws_cdk loads only for a valid configuration

    synthesize_app(
        context=dict(context) if context is not None else None,
        outdir=outdir,
        settings=settings,
        pipeline=pipeline,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
