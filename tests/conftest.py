"""Session fixtures: each configuration of the Stage is synthesized once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.cli import CDK, cdk_synth
from tests.helpers.synth import LEDGER, SynthesizedStage, shared_configurations, stage_for

# Tests must not depend on the developer's shell: no ambient product settings, AWS credentials
# or CDK context leak into a synth.
_AMBIENT_PREFIXES = ("PAYMENT_FAILOVER_", "AWS_", "CDK_")

CUSTOM_CONTEXT = {
    "wafRuleModes": '{"common": "count", "sqlInjection": "count"}',
    "wafRateLimit": "600",
    "wafMerchantHeader": "x-api-key",
    "wafMerchantRateLimit": "5000",
    "wafTrustedCidrs": "203.0.113.0/24,198.51.100.7/32",
    "environmentSuffix": "prod-eu",
    "account": "210987654321",
    "domainName": "pay.payments-corp.net",
    "hostedZoneName": "payments-corp.net",
    "hostedZoneId": "Z0123456789ABCDEFGHIJ",
    "certificateArn": "arn:aws:acm:eu-central-1:210987654321:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "instanceType": "m7g.large",
    # minCapacity stays 6: with 3 per AZ at most, 9 would leave no room above it for a deployment's new batch.
    "maxCapacity": "8",
    "healthCheckIntervalSeconds": "10",
    "latencyP99ThresholdMs": "250",
    "errorRatePercent": "2",
    "dnsHealthCheckIntervalSeconds": "30",
    "dnsFailureThreshold": "2",
    "dnsHealthCheckRegions": "us-west-2,eu-west-1,sa-east-1,ap-northeast-1",
    "tags": '{"Environment": "Staging", "FailoverEnabled": "true", "CostCenter": "payments-42"}',
}


def pytest_configure(config: pytest.Config) -> None:
    # `make verify-aws` checks a real deployment: there, and only there, the caller's AWS credentials and the
    # deployment's PAYMENT_FAILOVER_* settings are the point (tests/integration reads them).
    if os.environ.get("PAYMENT_FAILOVER_IT_TARGET") == "aws":
        return
    for name in list(os.environ):
        if name.startswith(_AMBIENT_PREFIXES):
            del os.environ[name]


@pytest.fixture(scope="session")
def default_stage() -> SynthesizedStage:
    """The Stage exactly as `make synth` builds it with no configuration."""
    return stage_for()


@pytest.fixture(scope="session")
def custom_stage() -> SynthesizedStage:
    """Every setting but minCapacity moved off its default, including an imported certificate and a Graviton type."""
    return stage_for(CUSTOM_CONTEXT)


STANDBY_CONTEXT = {
    "standbyRegion": "eu-west-1",
    "standbySettings": '{"instanceType": "t3.micro", "maxCapacity": "7"}',
}


@pytest.fixture(scope="session")
def standby_stage() -> SynthesizedStage:
    """A standby region (eu-west-1) behind Route 53 failover records, on smaller instances with a lower maximum."""
    return stage_for(STANDBY_CONTEXT)


@pytest.fixture(scope="session")
def email_stage() -> SynthesizedStage:
    """Defaults plus an on-call e-mail address."""
    return stage_for({"alarmEmail": "oncall@example.com"})


@pytest.fixture(scope="session")
def cli_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cdk synth '**'` of the default configuration through the pinned CLI, once: the `cdk.out` it writes."""
    if not CDK.exists():
        pytest.skip("the pinned CDK CLI is installed by `make test` (npm ci)")
    out = tmp_path_factory.mktemp("cli") / "cdk.out"
    result = cdk_synth(out)
    assert result.returncode == 0, result.stderr
    return out


# Stage syntheses each part of the suite may perform in one run (`make test` runs the three parts as three
# processes; a plain `pytest` run is held to the sum of the parts it collected):
# - constructs (tests/unit/components, tests/unit/compliance): the shared default, custom, standby and e-mail
#   configurations and the one with autoshift off, the gate's validated default and standby, and three
#   compliance tests that each add a non-compliant construct;
# - stage (the rest of tests/unit but the change analysis): the shared configurations again (another process),
#   the limits' and the documented examples' configurations, the pipeline's stages and their stand-alone twins
#   and the pipeline with a standby, the entry point's good configurations, and the default, standby and pipeline
#   synths through the CLI;
# - integration (tests/integration and tests/unit/tools/test_change_impact.py): the emulator rehearsal's two CLI
#   synths, and one change of every setting for the setting-change analysis.
# A run fails above the budget, so a new synthesis is a deliberate edit here.
STAGE_SYNTHESIS_BUDGET = {"constructs": 15, "stage": 22, "integration": 42}
ROOT = Path(__file__).resolve().parent
CONSTRUCT_TESTS = ("unit/components", "unit/compliance")
CHANGE_ANALYSIS = "unit/tools/test_change_impact.py"


def _part(path: Path) -> str:
    relative = path.resolve().relative_to(ROOT).as_posix()
    if relative.startswith(CONSTRUCT_TESTS):
        return "constructs"
    return "integration" if relative.startswith(("integration", CHANGE_ANALYSIS)) else "stage"


_BUDGET = {"collected": 0}


def pytest_collection_finish(session: pytest.Session) -> None:
    parts = {_part(Path(item.path)) for item in session.items}
    _BUDGET["collected"] = sum(STAGE_SYNTHESIS_BUDGET[part] for part in parts)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    stages, processes = LEDGER.stages, LEDGER.processes
    terminalreporter.write_line(
        f"Stage syntheses: {LEDGER.total} (budget {_BUDGET['collected']}): {sum(stages.values())} "
        f"Stages built in-process ({shared_configurations()} configurations shared through stage_for); "
        f"{sum(processes.values())} apps run out of process "
        f"({', '.join(f'{name} x{count}' for name, count in sorted(processes.items())) or 'none'})"
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    budget = _BUDGET["collected"]
    if LEDGER.total > budget and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(
            f"\nFAILED: {LEDGER.total} Stage syntheses exceed the budget of {budget} (tests/conftest.py): share a "
            "configuration through tests/helpers/synth.py:stage_for, or raise the budget with the reason."
        )
