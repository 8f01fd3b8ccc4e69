#!/usr/bin/env python3
"""Entry point of `cdk synth` / `cdk deploy`: settings first, then the Stage."""

from __future__ import annotations

import os
import sys

import aws_cdk as cdk

from payment_failover.settings import ConfigError, context_keys, load_settings
from payment_failover.stage import PaymentFailoverStage


def main() -> int:
    app = cdk.App()
    context = {key: app.node.try_get_context(key) for key in context_keys()}
    try:
        settings = load_settings(context, os.environ)
    except ConfigError as error:
        print(f"payment-failover: {error}", file=sys.stderr)
        return 2
    PaymentFailoverStage(app, f"PaymentFailover-{settings.environment_suffix}", settings=settings)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
