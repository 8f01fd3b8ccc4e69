"""The deployed Stage every integration test reads: rehearsed on the local emulator, or a real one on AWS."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.integration.rehearsal import (
    TARGET_VARIABLE,
    Deployment,
    EmulatorServer,
    RehearsalError,
    aws_deployment,
    rehearse,
)

# tests/conftest.py clears AWS_* and PAYMENT_FAILOVER_* while pytest configures itself. When this directory is
# named on the command line, this module is imported before that, so it keeps what the caller asked for.
CALLER_ENVIRONMENT = {
    name: value for name, value in os.environ.items() if name.startswith(("AWS_", "PAYMENT_FAILOVER_"))
}
TARGET = CALLER_ENVIRONMENT.get(TARGET_VARIABLE, "emulator")


def pytest_configure(config: pytest.Config) -> None:
    if not any(line.startswith("integration:") for line in config.getini("markers")):
        config.addinivalue_line("markers", "integration: checks a deployed Stage (local emulator by default)")


def pytest_report_header() -> str:
    return f"integration target: {TARGET} ({TARGET_VARIABLE})"


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Emulator: a fresh server, bootstrap, deploy. AWS: the caller's credentials and existing stacks, no deploy."""
    if TARGET == "aws":
        with pytest.MonkeyPatch.context() as environment:
            for name, value in CALLER_ENVIRONMENT.items():
                if name.startswith("AWS_"):
                    environment.setenv(name, value)
            try:
                deployed = aws_deployment(CALLER_ENVIRONMENT)
            except (RehearsalError, BotoCoreError, ClientError) as error:
                pytest.fail(f"cannot read the deployed stacks: {error}", pytrace=False)
            yield deployed
        return
    if TARGET != "emulator":
        pytest.fail(f"{TARGET_VARIABLE} must be 'emulator' or 'aws', not {TARGET!r}", pytrace=False)
    workdir = tmp_path_factory.mktemp("rehearsal")
    server = EmulatorServer(workdir / "emulator.log")
    try:
        try:
            deployed = rehearse(server, workdir)
        except RehearsalError as error:
            pytest.fail(f"deploy rehearsal failed (logs in {workdir}): {error}", pytrace=False)
        yield deployed
    finally:
        server.stop()  # whatever happened, no emulator outlives the session
