"""One complete pipeline configuration (R14), shared by the pipeline's settings, stack and app tests.

Three accounts, as a platform team runs it: tooling (pipeline), staging and production; no example value,
because a pipeline deploys for real and refuses them.
"""

from __future__ import annotations

import json
from typing import Any

from payment_failover.pipeline.settings import PipelineSettings, load_pipeline_settings

PIPELINE_ACCOUNT = "333333333333"
STAGING_ACCOUNT = "111111111111"
PRODUCTION_ACCOUNT = "222222222222"
CONNECTION_ARN = "arn:aws:codeconnections:eu-central-1:333333333333:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
REPOSITORY = "payments-corp/payment-failover"
BRANCH = "release"

STAGING = {"environmentSuffix": "staging", "account": STAGING_ACCOUNT, "domainName": "pay.staging.payments-corp.net"}
PRODUCTION = {
    "environmentSuffix": "prod",
    "account": PRODUCTION_ACCOUNT,
    "domainName": "pay.payments-corp.net",
    "instanceType": "m7i.large",
}

# The base context (the stand-alone Stage's, whose zone both stages inherit), plus the pipeline keys, with
# stage values as cdk.json holds them.
PIPELINE_CONTEXT: dict[str, Any] = {
    "hostedZoneName": "payments-corp.net",
    "hostedZoneId": "Z0123456789ABCDEFGHIJ",
    "domainName": "pay.dev.payments-corp.net",
    # A deployed stage must tell someone (deploy=true requires an alarm destination).
    "alarmEmail": "oncall@payments-corp.net",
    "pipelineAccount": PIPELINE_ACCOUNT,
    "pipelineConnectionArn": CONNECTION_ARN,
    "pipelineRepository": REPOSITORY,
    "pipelineBranch": BRANCH,
    "stagingSettings": STAGING,
    "productionSettings": PRODUCTION,
}


def as_cli_context(context: dict[str, Any]) -> dict[str, str]:
    """The same context as `-c key=value` delivers it: every value a string, objects as JSON."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in context.items()}


def pipeline_settings(context: dict[str, Any] | None = None) -> PipelineSettings:
    settings = load_pipeline_settings(PIPELINE_CONTEXT if context is None else context, {})
    assert settings is not None
    return settings
