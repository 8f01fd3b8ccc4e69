"""Where the integration tests find a deployed Stage, and how the emulator gets one.

Two targets. ``emulator`` (the default) starts the patched moto server, bootstraps both regions and deploys the Stage
through the pinned CDK CLI, the way an operator does. ``aws`` checks stacks that already exist in a real account and
deploys nothing. Either way the tests get a `Deployment`: the stacks' outputs, the settings they were deployed with,
and boto3 clients pointed at the right place.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from payment_failover.config.settings import Settings, load_settings
from payment_failover.names import ResourceNames
from tests.helpers.synth import LEDGER
from tests.integration.emulator import PINNED_MOTO, UNMODELLED_BEHAVIOUR, UNMODELLED_RESOURCES, require_pinned_moto

PROJECT = Path(__file__).resolve().parents[2]
NODE_BIN = PROJECT / "node_modules" / ".bin"
CDK = NODE_BIN / "cdk"
DNS_REGION = "us-east-1"

TARGET_VARIABLE = "PAYMENT_FAILOVER_IT_TARGET"
SUFFIX_VARIABLE = "PAYMENT_FAILOVER_IT_SUFFIX"
# Nothing from the caller's shell may steer the emulator or the CLI it drives.
AMBIENT_PREFIXES = ("AWS_", "CDK_", "PAYMENT_FAILOVER_", "MOTO_")

# The emulated deployment: the account moto answers with, and what the Stage references but does not create.
EMULATED_ACCOUNT = "123456789012"
EMULATED_ZONE = "rehearsal.example.net"
EMULATED_DOMAIN = f"pay.{EMULATED_ZONE}"
EMULATED_EMAIL = "oncall@rehearsal.example.net"
# The rehearsal deploys the two-region configuration: the primary, a scaled-down standby and the global DNS stack.
STANDBY_REGION = "eu-west-1"
# maxCapacity updates the group in place; dnsHealthCheckIntervalSeconds replaces both Route 53 checks (Route 53
# cannot change RequestInterval in place), the change that wedged the deploy behind a cross-region export.
UPDATED_SETTINGS = {"maxCapacity": "7", "dnsHealthCheckIntervalSeconds": "30"}

HOST = "127.0.0.1"
SERVER_START_SECONDS = 30.0
BOOTSTRAP_SECONDS = 120.0
SYNTH_SECONDS = 240.0
DEPLOY_SECONDS = 180.0
SERVER_ERROR = " 500 -"  # werkzeug's access-log mark of a request moto failed on


class RehearsalError(Exception):
    """A step of the rehearsal failed; the message carries what the CLI or the emulator said."""


@dataclass
class Deployment:
    """A deployed Stage: its outputs, the settings it was deployed with, and clients for where it lives."""

    target: str
    settings: Settings
    session: boto3.Session
    endpoint_url: str | None = None
    rehearsal: EmulatorRehearsal | None = None
    service: dict[str, str] = field(default_factory=dict)
    standby: dict[str, str] = field(default_factory=dict)
    dns: dict[str, str] = field(default_factory=dict)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    @property
    def emulated(self) -> bool:
        return self.target == "emulator"

    @property
    def names(self) -> ResourceNames:
        return ResourceNames(self.settings.environment_suffix)

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.settings.region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=key[1], endpoint_url=self.endpoint_url)
        return self._clients[key]

    def read_outputs(self) -> None:
        self.service = stack_outputs(self.client("cloudformation"), self.names.service_stack)
        if self.settings.standby is not None:
            standby = self.client("cloudformation", self.settings.standby.region)
            self.standby = stack_outputs(standby, self.names.for_standby().service_stack)
        self.dns = stack_outputs(self.client("cloudformation", DNS_REGION), self.names.global_dns_stack)

    def not_emulated(self, gap: str) -> None:
        """In emulator mode, skip the rest of the calling test: `gap` names an entry of the emulator's gap lists."""
        if not self.emulated:
            return
        if gap in UNMODELLED_RESOURCES:
            reason = f"moto {PINNED_MOTO} does not create {gap} ({UNMODELLED_RESOURCES[gap]}): needs a real deployment"
        else:
            reason = f"not emulated: {UNMODELLED_BEHAVIOUR[gap]}"
        # Reported at the test, not here, the way pytest reports a skipif mark.
        raise pytest.skip.Exception(reason, _use_item_location=True)


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """The outputs of a stack that finished deploying; anything else is a failed deployment."""
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        raise RehearsalError(f"stack {stack_name} is {stack['StackStatus']}: {stack.get('StackStatusReason', '')}")
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def aws_deployment(caller: Mapping[str, str]) -> Deployment:
    """Existing stacks in a real account, checked against the PAYMENT_FAILOVER_* settings they were deployed with."""
    suffix = caller.get(SUFFIX_VARIABLE)
    settings = load_settings({"environmentSuffix": suffix} if suffix else {}, caller)
    deployment = Deployment(target="aws", settings=settings, session=boto3.Session())
    deployment.read_outputs()
    return deployment


def clean_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith(AMBIENT_PREFIXES)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no output)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) or "(no output)"


class EmulatorServer:
    """The patched moto server (tests/integration/emulator.py) in a process of its own, on a free loopback port."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def cli_endpoint_url(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self, attempts: int = 3) -> None:
        require_pinned_moto()
        for _ in range(attempts):  # another process may take the free port before the server binds it
            self.port = free_port()
            with self.log.open("ab") as log:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "tests.integration.emulator", "-H", HOST, "-p", str(self.port)],
                    cwd=PROJECT,
                    env=self._environment(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if self._answers():
                return
            self.stop()
        raise RehearsalError(f"the emulator did not start; {self.log} ends with:\n{log_tail(self.log)}")

    @staticmethod
    def _environment() -> dict[str, str]:
        env = clean_environment()
        # The certificate an ALB listener uses is ISSUED; moto issues a requested one only after this many seconds.
        env["MOTO_ACM_VALIDATION_WAIT"] = "0"
        return env

    def _answers(self) -> bool:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/", timeout=2):
                    return True
            except OSError:
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def assert_no_server_errors(self, after: str) -> None:
        """The CLI retries a 500 and can then report success for a deploy that failed: any 500 fails the step."""
        errors = [line for line in self.log.read_text(errors="replace").splitlines() if SERVER_ERROR in line]
        if errors:
            raise RehearsalError(
                f"the emulator answered {len(errors)} request(s) with HTTP 500 during {after}; "
                f"{self.log} ends with:\n{log_tail(self.log, 80)}"
            )


@dataclass(frozen=True)
class CdkCli:
    """The pinned CDK CLI on Node 22 from node_modules, with fake credentials aimed at the emulator."""

    env: dict[str, str]
    log_dir: Path

    @classmethod
    def for_emulator(cls, endpoint_url: str, region: str, log_dir: Path) -> CdkCli:
        env = clean_environment()
        env.update(
            PATH=f"{NODE_BIN}{os.pathsep}{env.get('PATH', '')}",
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION=region,
            AWS_DEFAULT_REGION=region,
            AWS_ENDPOINT_URL=endpoint_url,
            AWS_CONFIG_FILE=str(log_dir / "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(log_dir / "no-aws-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
            CDK_DISABLE_VERSION_CHECK="true",
            CDK_DISABLE_CLI_TELEMETRY="true",
        )
        return cls(env=env, log_dir=log_dir)

    def run(self, step: str, *args: str, cwd: Path, timeout: float) -> None:
        stdout, stderr = self.log_dir / f"{step}.stdout", self.log_dir / f"{step}.stderr"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                [str(CDK), *args], cwd=cwd, env=self.env, stdout=out, stderr=err, start_new_session=True
            )
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the CLI and the app it runs
                process.wait(timeout=10)
                raise RehearsalError(
                    f"`cdk {' '.join(args)}` did not finish in {timeout:.0f} s; stderr ends with:\n{log_tail(stderr)}"
                ) from None
        if code != 0:
            raise RehearsalError(f"`cdk {' '.join(args)}` exited {code}; stderr ends with:\n{log_tail(stderr)}")

    def synth(self, step: str, stacks: str, context: Mapping[str, str], out: Path) -> None:
        LEDGER.processes[f"rehearsal {step}"] += 1
        options = [item for key, value in context.items() for item in ("-c", f"{key}={value}")]
        self.run(
            step,
            "synth",
            stacks,
            "--quiet",
            "--no-notices",
            "-o",
            str(out),
            *options,
            cwd=PROJECT,
            timeout=SYNTH_SECONDS,
        )


@dataclass
class EmulatorRehearsal:
    """The emulator and the two cloud assemblies: as first deployed, and with UPDATED_SETTINGS."""

    server: EmulatorServer
    cli: CdkCli
    workdir: Path
    stacks: str
    assemblies: dict[str, Path]

    def deploy(self, assembly: str) -> None:
        self.cli.run(
            f"deploy-{assembly}",
            "deploy",
            self.stacks,
            "--app",
            str(self.assemblies[assembly]),
            "--require-approval",
            "never",
            "--method=direct",
            "--previous-parameters=false",
            "--no-notices",
            cwd=self.workdir,
            timeout=DEPLOY_SECONDS,
        )
        self.server.assert_no_server_errors(after=f"the deploy of the {assembly} assembly")


def seed_emulator(session: boto3.Session, endpoint_url: str, region: str) -> dict[str, str]:
    """Create what the Stage references but does not create, as in a real account: a hosted zone, and in each
    region a certificate for the domain and that region's own name (the one its Route 53 check probes)."""
    route53 = session.client("route53", region_name=region, endpoint_url=endpoint_url)
    zone = route53.create_hosted_zone(Name=EMULATED_ZONE, CallerReference=str(uuid.uuid4()))["HostedZone"]

    def certificate(in_region: str) -> str:
        acm = session.client("acm", region_name=in_region, endpoint_url=endpoint_url)
        names = {"DomainName": EMULATED_DOMAIN, "SubjectAlternativeNames": [f"{in_region}.{EMULATED_DOMAIN}"]}
        return str(acm.request_certificate(**names, ValidationMethod="DNS")["CertificateArn"])

    return {
        "hostedZoneId": zone["Id"].rsplit("/", 1)[-1],
        "hostedZoneName": EMULATED_ZONE,
        "domainName": EMULATED_DOMAIN,
        "certificateArn": certificate(region),
        "alarmEmail": EMULATED_EMAIL,
        "standbyRegion": STANDBY_REGION,
        "standbySettings": json.dumps({"certificateArn": certificate(STANDBY_REGION), "instanceType": "t3.micro"}),
    }


def rehearse(server: EmulatorServer, workdir: Path) -> Deployment:
    """Start the emulator, bootstrap both regions, synthesize both assemblies at once, deploy the first."""
    server.start()
    region = load_settings({}, {}).region
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    context = seed_emulator(session, server.endpoint_url, region)
    settings = load_settings(context, {})
    stacks = f"PaymentFailover-{settings.environment_suffix}/*"
    cli = CdkCli.for_emulator(server.cli_endpoint_url, region, workdir)
    assemblies = {"initial": workdir / "assembly-initial", "updated": workdir / "assembly-updated"}
    environments = tuple(f"aws://{EMULATED_ACCOUNT}/{r}" for r in (region, STANDBY_REGION, DNS_REGION))
    with ThreadPoolExecutor(max_workers=3) as pool:
        # Bootstrap runs outside the project so the CLI does not synthesize the app just to bootstrap.
        steps = [
            pool.submit(
                cli.run, "bootstrap", "bootstrap", *environments, "--no-notices", cwd=workdir, timeout=BOOTSTRAP_SECONDS
            ),
            pool.submit(cli.synth, "synth-initial", stacks, context, assemblies["initial"]),
            pool.submit(cli.synth, "synth-updated", stacks, {**context, **UPDATED_SETTINGS}, assemblies["updated"]),
        ]
    for step in steps:
        step.result()
    server.assert_no_server_errors(after="seeding, bootstrap and synth")
    rehearsal = EmulatorRehearsal(server=server, cli=cli, workdir=workdir, stacks=stacks, assemblies=assemblies)
    rehearsal.deploy("initial")
    deployment = Deployment(
        target="emulator", settings=settings, session=session, endpoint_url=server.endpoint_url, rehearsal=rehearsal
    )
    deployment.read_outputs()
    return deployment
