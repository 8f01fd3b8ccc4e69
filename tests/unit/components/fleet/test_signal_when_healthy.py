"""R16, R20: the user data's last step, executed here against a loopback /health and a stub cfn-signal.

The script is the very file the launch template embeds
(payment_failover/components/fleet/runtime/signal_when_healthy.sh);
only the signalling tool is replaced, by a stub on PATH that records its arguments. For the load balancer's half of
the gate the same loopback server also plays the instance metadata service (IMDSv2: a PUT for the token, then the
instance id), and a stub `aws` on PATH answers describe-target-health with the states a test scripts, in the text
form `--output text` gives for `TargetHealth.[State, Reason]` (API_TargetHealth page: initial, unhealthy, healthy ...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from payment_failover.components.fleet.compute import SIGNAL_SCRIPT_FILE

STACK, RESOURCE, REGION = "payment-failover-test", "ComputeGroupASG", "eu-central-1"
TARGET_GROUP_ARN = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/payment/0123456789abcdef"
INSTANCE_ID, TOKEN = "i-0new", "fake-token"
ACCESS_DENIED = "An error occurred (AccessDenied) when calling the DescribeTargetHealth operation: not authorized"
# Small numbers keep the suite fast; the script treats them exactly like the template's 120 s / 60 s.
DEADLINE, INTERVAL = 1, "0.2"
# A deadline the success paths never reach: they must end long before it.
ROOMY_DEADLINE = 6
# What may pass beyond the deadline: one poll interval, one probe and process start-up on a busy machine.
SLACK_SECONDS = 2.5

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="the script probes /health with curl")


class _Health(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:
        self._answer(200, TOKEN if self.path == "/latest/api/token" else "")

    def do_GET(self) -> None:
        if self.path == "/latest/meta-data/instance-id":
            token_ok = self.headers.get("X-aws-ec2-metadata-token") == TOKEN
            self._answer(200 if token_ok else 401, INSTANCE_ID if token_ok else "")
            return
        statuses: list[int] = self.server.statuses  # type: ignore[attr-defined]
        self._answer(statuses.pop(0) if len(statuses) > 1 else statuses[0], "")

    def _answer(self, status: int, body: str) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Run:
    returncode: int
    seconds: float
    signals: list[list[str]]
    stderr: str
    aws_calls: list[str]


@pytest.fixture
def health() -> Iterator[ThreadingHTTPServer]:
    """A loopback /health whose answers the test scripts through `server.statuses` (the last one repeats)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    server.statuses = [200]  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/health"


def _closed_port_url() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/health"


def _run(tmp_path: Path, *args: str, stub_exit: int = 0, target_states: tuple[str, ...] = ("healthy\tNone",)) -> Run:
    """Run the script; the stub `aws` answers each call with the next of `target_states` (the last one repeats),
    or fails like the CLI does on a refused call where the state is FAIL."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "calls"
    stub = bin_dir / "cfn-signal"
    stub.write_text(f'#!/bin/bash\nprintf "%s\\n" "$*" >> "{calls}"\nexit {stub_exit}\n')
    stub.chmod(0o755)
    answers, aws_calls = tmp_path / "answers", tmp_path / "aws_calls"
    answers.write_text("".join(f"{state}\n" for state in target_states))
    aws = bin_dir / "aws"
    aws.write_text(
        "#!/bin/bash\n"
        f'printf "%s\\n" "$*" >> "{aws_calls}"\n'
        f'line=$(head -n 1 "{answers}")\n'
        f'[ "$(wc -l < "{answers}")" -gt 1 ] && sed -i 1d "{answers}"\n'
        f'if [ "$line" = FAIL ]; then echo "{ACCESS_DENIED}" >&2; exit 254; fi\n'
        'printf "%s\\n" "$line"\n'
    )
    aws.chmod(0o755)
    environ = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "LC_ALL": "C"}
    started = time.monotonic()
    done = subprocess.run(
        ["bash", str(SIGNAL_SCRIPT_FILE), "--stack", STACK, "--resource", RESOURCE, "--region", REGION, *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    seconds = time.monotonic() - started
    signals = [line.split() for line in calls.read_text().splitlines()] if calls.exists() else []
    asked = aws_calls.read_text().splitlines() if aws_calls.exists() else []
    return Run(done.returncode, seconds, signals, done.stderr, asked)


def _expected(success: str) -> list[str]:
    return ["--success", success, "--stack", STACK, "--resource", RESOURCE, "--region", REGION]


def test_r16_signals_success_once_health_answers_200(tmp_path: Path, health: ThreadingHTTPServer) -> None:
    run = _run(tmp_path, "--url", _url(health), "--deadline", str(ROOMY_DEADLINE), "--interval", INTERVAL)
    assert (run.returncode, run.signals) == (0, [_expected("true")]), run.stderr
    assert run.seconds < 2


def test_r16_signals_failure_when_health_never_answers_and_stays_within_its_deadline(tmp_path: Path) -> None:
    run = _run(tmp_path, "--url", _closed_port_url(), "--deadline", str(DEADLINE), "--interval", INTERVAL)
    assert (run.returncode, run.signals) == (1, [_expected("false")]), run.stderr
    assert DEADLINE <= run.seconds < DEADLINE + SLACK_SECONDS


def test_r16_a_health_endpoint_answering_500_is_a_failure(tmp_path: Path, health: ThreadingHTTPServer) -> None:
    """With the load balancer's half of the gate on (R20): it is never asked while loopback does not hold."""
    health.statuses = [500]  # type: ignore[attr-defined]
    run = _run(tmp_path, *_gate(health))
    assert (run.returncode, run.signals, run.aws_calls) == (1, [_expected("false")], [])
    assert run.seconds < DEADLINE + SLACK_SECONDS


def test_r16_success_waits_until_health_has_held_for_the_settle_time(
    tmp_path: Path, health: ThreadingHTTPServer
) -> None:
    """A 200 that flaps back to 503 restarts the clock; success comes only after an unbroken settle period."""
    health.statuses = [503, 200, 503, 200]  # type: ignore[attr-defined]
    run = _run(tmp_path, "--url", _url(health), "--deadline", "6", "--settle", "1", "--interval", INTERVAL)
    assert (run.returncode, run.signals) == (0, [_expected("true")]), run.stderr
    assert "stopped answering 200" in run.stderr
    assert 1 <= run.seconds < 6


def test_r16_health_that_never_holds_for_the_settle_time_fails(tmp_path: Path, health: ThreadingHTTPServer) -> None:
    run = _run(tmp_path, "--url", _url(health), "--deadline", str(DEADLINE), "--settle", "5", "--interval", INTERVAL)
    assert (run.returncode, run.signals) == (1, [_expected("false")])
    assert run.seconds < DEADLINE + SLACK_SECONDS


def test_r16_a_failed_user_data_step_signals_failure_at_once(tmp_path: Path) -> None:
    run = _run(tmp_path, "--failed")
    assert (run.returncode, run.signals) == (1, [_expected("false")])
    assert run.seconds < 1


def test_an_undeliverable_signal_is_reported_with_its_own_exit_status(
    tmp_path: Path, health: ThreadingHTTPServer
) -> None:
    run = _run(tmp_path, "--url", _url(health), "--deadline", str(DEADLINE), "--interval", INTERVAL, stub_exit=1)
    assert run.returncode == 2
    assert "could not deliver" in run.stderr


@pytest.mark.parametrize(
    "args", [["--deadline", "soon"], ["--bogus"]], ids=["non-numeric-deadline", "unknown-argument"]
)
def test_bad_arguments_signal_nothing(tmp_path: Path, args: list[str]) -> None:
    run = _run(tmp_path, *args)
    assert (run.returncode, run.signals) == (2, [])


def test_r22_with_a_role_the_signal_is_signed_with_that_roles_credentials(
    tmp_path: Path, health: ThreadingHTTPServer
) -> None:
    """cfn-signal's --role option (cfn-signal page): the CloudFormation endpoint admits this account's principals."""
    run = _run(
        tmp_path, "--url", _url(health), "--deadline", str(DEADLINE), "--interval", INTERVAL, "--role", "fleet-role"
    )
    assert (run.returncode, run.signals) == (0, [[*_expected("true"), "--role", "fleet-role"]]), run.stderr


# R20, failure 20: loopback proves only that the process serves; the load balancer's verdict decides.
# The failure cases need only one second of deadline: loopback holds at once (no settle time), then the gate polls.
GATE_DEADLINE = 1


def _gate(server: ThreadingHTTPServer, deadline: int = DEADLINE) -> list[str]:
    port = server.server_address[1]
    return [
        "--url",
        _url(server),
        "--deadline",
        str(deadline),
        "--interval",
        INTERVAL,
        "--target-group-arn",
        TARGET_GROUP_ARN,
        "--metadata-url",
        f"http://127.0.0.1:{port}",
    ]


def _asks_for_its_own_target(call: str) -> bool:
    return call.startswith("elbv2 describe-target-health --region eu-central-1") and (
        f"--target-group-arn {TARGET_GROUP_ARN}" in call and f"Target.Id=='{INSTANCE_ID}'" in call
    )


def test_r20_success_only_once_the_load_balancer_reports_the_target_healthy(
    tmp_path: Path, health: ThreadingHTTPServer
) -> None:
    """Not registered yet, initial, unhealthy, then healthy: one success signal, after the fourth answer."""
    states = ("None", "initial\tElb.InitialHealthChecking", "unhealthy\tTarget.Timeout", "healthy\tNone")
    run = _run(tmp_path, *_gate(health, deadline=6), target_states=states)
    assert (run.returncode, run.signals) == (0, [_expected("true")]), run.stderr
    assert len(run.aws_calls) == 4
    assert all(_asks_for_its_own_target(call) for call in run.aws_calls), run.aws_calls
    for seen in ("(not registered yet)", "initial (Elb.InitialHealthChecking)", "unhealthy (Target.Timeout)"):
        assert f"target {INSTANCE_ID} in the target group: {seen}" in run.stderr
    assert run.stderr.index("answered 200") < run.stderr.index("not registered yet")
    assert run.seconds < 6


def test_r20_a_target_never_healthy_fails_within_the_deadline(tmp_path: Path, health: ThreadingHTTPServer) -> None:
    """/health holds on loopback, but the load balancer never agrees (e.g. a security group that blocks it)."""
    run = _run(tmp_path, *_gate(health, GATE_DEADLINE), target_states=("unhealthy\tTarget.Timeout",))
    assert (run.returncode, run.signals) == (1, [_expected("false")]), run.stderr
    assert run.aws_calls
    assert all(_asks_for_its_own_target(call) for call in run.aws_calls)
    assert "did not report i-0new healthy within 1s (last: unhealthy (Target.Timeout))" in run.stderr
    assert GATE_DEADLINE <= run.seconds < GATE_DEADLINE + SLACK_SECONDS


def test_r20_a_failing_call_is_retried_and_then_signals_failure(tmp_path: Path, health: ThreadingHTTPServer) -> None:
    """No permission or no endpoint: never success; the failure is signalled by the deadline, with the reason."""
    run = _run(tmp_path, *_gate(health, GATE_DEADLINE), target_states=("FAIL",))
    assert (run.returncode, run.signals) == (1, [_expected("false")]), run.stderr
    assert len(run.aws_calls) > 1
    assert f"(call failed: {ACCESS_DENIED})" in run.stderr
    assert GATE_DEADLINE <= run.seconds < GATE_DEADLINE + SLACK_SECONDS


def test_r20_a_call_that_fails_once_does_not_fail_the_deployment(tmp_path: Path, health: ThreadingHTTPServer) -> None:
    run = _run(tmp_path, *_gate(health, deadline=6), target_states=("FAIL", "healthy\tNone"))
    assert (run.returncode, run.signals) == (0, [_expected("true")]), run.stderr
    assert len(run.aws_calls) == 2


def test_r20_without_instance_metadata_the_gate_fails_instead_of_guessing(
    tmp_path: Path, health: ThreadingHTTPServer
) -> None:
    args = [*_gate(health, GATE_DEADLINE)[:-1], _closed_port_url().removesuffix("/health")]
    run = _run(tmp_path, *args)
    assert (run.returncode, run.signals, run.aws_calls) == (1, [_expected("false")], [])
    assert "instance id not available from metadata" in run.stderr


# R20: before the group's first release nothing can serve (CodeDeploy installs the service); the gate asks Auto
# Scaling for a launch hook, which CodeDeploy puts on the group with its first release.
GROUP = "payment-failover-test"


def _release_gate_without_service(tmp_path: Path, hooks_answer: str) -> Run:
    """The gate of a group whose launch-hook question is answered `hooks_answer`, on an instance whose service
    never answers."""
    args = ["--url", _closed_port_url(), "--deadline", str(DEADLINE), "--interval", INTERVAL]
    return _run(tmp_path, *args, "--release-group", GROUP, target_states=(hooks_answer,))


def test_r20_before_the_first_release_the_bootstrap_alone_signals_success(tmp_path: Path) -> None:
    """No launch hook: stack creation, nothing serves yet; /health (a closed port here) is never asked."""
    run = _release_gate_without_service(tmp_path, "0")
    assert (run.returncode, run.signals) == (0, [_expected("true")]), run.stderr
    (call,) = run.aws_calls
    assert call.startswith(f"autoscaling describe-lifecycle-hooks --region {REGION} --auto-scaling-group-name {GROUP}")
    assert "autoscaling:EC2_INSTANCE_LAUNCHING" in call
    assert "no launch hook yet" in run.stderr
    assert run.seconds < 1.5


def test_r20_once_a_release_exists_the_instance_must_serve_it_before_it_signals(
    tmp_path: Path, health: ThreadingHTTPServer
) -> None:
    """A launch hook: CodeDeploy installs the last good release; the whole gate (loopback, then the ALB) applies."""
    run = _run(tmp_path, *_gate(health, deadline=6), "--release-group", GROUP, target_states=("1", "healthy\tNone"))
    assert (run.returncode, run.signals) == (0, [_expected("true")]), run.stderr
    assert run.aws_calls[0].startswith("autoscaling describe-lifecycle-hooks")
    assert run.aws_calls[1].startswith("elbv2 describe-target-health")


def test_r20_a_release_whose_service_never_answers_fails_the_instance(tmp_path: Path) -> None:
    run = _release_gate_without_service(tmp_path, "1")
    assert (run.returncode, run.signals) == (1, [_expected("false")]), run.stderr
    assert DEADLINE <= run.seconds < DEADLINE + SLACK_SECONDS


def test_r20_a_failed_question_is_not_taken_for_no_hook(tmp_path: Path) -> None:
    """Without an answer the gate waits for the service, and a service that never answers fails the instance."""
    run = _release_gate_without_service(tmp_path, "FAIL")
    assert (run.returncode, run.signals) == (1, [_expected("false")]), run.stderr
    assert "could not ask Auto Scaling" in run.stderr
