"""The synthetic probe (R21): what a client does, from outside, on a schedule — a CloudWatch Synthetics canary.

One run connects to one address (the service's name, a region's name, or one load balancer node), speaks TLS with
the service's name as SNI and checks the certificate against that name, sends each request with the service's name
as Host, and passes only if every request gets its expected status within the timeout. Any failure raises, which is
how a Python canary reports a failed run: "raise Exception(...)" in the script makes the run fail
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_WritingCanary_Python.html).
Synthetics then publishes the run's SuccessPercent and Duration for the canary's alarms.

The zonal probe (PROBE_LOAD_BALANCER set) probes every AZ's load balancer node in one run. "When you enable an
Availability Zone for your load balancer, ELB creates a load balancer node in the Availability Zone"
(https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/how-elastic-load-balancing-works.html); no AWS
page documents per-AZ DNS names for an Application Load Balancer, so the run finds each node's public address on
the load balancer's own network interfaces (ec2:DescribeNetworkInterfaces filtered by the interface description
AWS's knowledge-center article filters by, "ELB app/<name>/<id>",
https://repost.aws/knowledge-center/elb-find-load-balancer-ip), probes each AZ's node in parallel, and publishes
one success and one latency datapoint per AZ (PutMetricData, dimension AvailabilityZone). An AZ with no node found
is a failure of that AZ. The run fails if any AZ failed, after publishing.

Settings come from the canary's environment variables (RunConfig):
- PROBE_HOST: the name the certificate must cover, sent as SNI and Host (e.g. payments.example.com);
- PROBE_ADDRESS: where to connect (default PROBE_HOST); PROBE_PORT (default 443);
- PROBE_PATHS: comma-separated requests, each `[METHOD ]path[ status]` (default `/health`, i.e. GET expecting
  200); `POST /payments 201` posts the sample service's payment request;
- PROBE_TIMEOUT_SECONDS: per request (default 5);
- PROBE_CA_FILE: a CA bundle to trust instead of the system's (only the loopback tests set it);
- zonal probe only: PROBE_LOAD_BALANCER (the ALB's full name `app/<name>/<id>`), PROBE_ZONES (comma-separated AZs
  to report on), PROBE_METRIC_NAMESPACE.

Standard library only, apart from the AWS SDK the zonal probe calls: a canary runs on Lambda, whose Python runtimes
run code "in an environment that includes the SDK for Python (Boto3)"
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html). It is imported only when the zonal probe runs,
so the tests hand `run_zonal` fakes; nothing to package.
"""

from __future__ import annotations

import http.client
import importlib
import json
import os
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

USER_AGENT = "payment-failover-probe"
# The sample service's payment request (components/fleet/runtime/health_service.py): the smallest valid amount.
PAYMENT_BODY = json.dumps({"amount": "0.01", "currency": "EUR"}).encode()
SUCCESS_METRIC = "ZoneProbeSuccess"
LATENCY_METRIC = "ZoneProbeLatency"


class ProbeFailedError(Exception):
    """The service did not answer as a client needs: the canary run fails with this message."""


@dataclass(frozen=True)
class Request:
    """One request of a probe: method, path and the status a healthy service answers."""

    method: str
    path: str
    status: int

    @classmethod
    def parse(cls, text: str) -> Request:
        """`/health`, `GET /health 200` or `POST /payments 201`."""
        words = text.split()
        method = words.pop(0).upper() if words and not words[0].startswith("/") else "GET"
        if not words:
            raise ValueError(f"probe request {text!r} has no path")
        path = words.pop(0)
        status = int(words.pop(0)) if words else (201 if method == "POST" else 200)
        return cls(method=method, path=path, status=status)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Probe:
    host: str
    address: str
    port: int
    requests: tuple[Request, ...]
    timeout_seconds: float
    ca_file: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Probe:
        host = environ["PROBE_HOST"]
        return cls(
            host=host,
            address=environ.get("PROBE_ADDRESS") or host,
            port=int(environ.get("PROBE_PORT", "443")),
            requests=tuple(
                Request.parse(item) for item in environ.get("PROBE_PATHS", "/health").split(",") if item.strip()
            ),
            timeout_seconds=float(environ.get("PROBE_TIMEOUT_SECONDS", "5")),
            ca_file=environ.get("PROBE_CA_FILE") or None,
        )

    def at(self, address: str) -> Probe:
        """The same probe sent to another address (one load balancer node)."""
        return Probe(self.host, address, self.port, self.requests, self.timeout_seconds, self.ca_file)


class _NamedTlsConnection(http.client.HTTPSConnection):
    """HTTPS to one address, with another name for SNI and certificate verification (a client of `host` that
    resolved it to `address`)."""

    def __init__(self, probe: Probe, context: ssl.SSLContext) -> None:
        super().__init__(probe.address, probe.port, timeout=probe.timeout_seconds, context=context)
        self._server_name = probe.host
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self._server_name)


def run(probe: Probe) -> dict[str, float]:
    """Each request's latency in milliseconds; raises ProbeFailedError naming the request and what went wrong."""
    context = ssl.create_default_context(cafile=probe.ca_file)  # verifies the chain and the name
    latencies: dict[str, float] = {}
    for request in probe.requests:
        started = time.monotonic()
        connection = _NamedTlsConnection(probe, context)
        headers = {"Host": probe.host, "User-Agent": USER_AGENT}
        body = PAYMENT_BODY if request.method == "POST" else None
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            connection.request(request.method, request.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        except ssl.SSLCertVerificationError as error:
            raise ProbeFailedError(
                f"{probe.address} {request}: certificate not valid for {probe.host}: {error}"
            ) from error
        except TimeoutError as error:
            raise ProbeFailedError(
                f"{probe.address} {request}: no answer within {probe.timeout_seconds:g} s"
            ) from error
        except OSError as error:
            raise ProbeFailedError(f"{probe.address} {request}: {error}") from error
        finally:
            connection.close()
        if response.status != request.status:
            raise ProbeFailedError(f"{probe.address} {request}: HTTP {response.status}, expected {request.status}")
        latencies[str(request)] = round((time.monotonic() - started) * 1000, 1)
    return latencies


def node_addresses(ec2: Any, load_balancer_full_name: str) -> dict[str, str]:
    """AZ → public address of the load balancer's node there, from its network interfaces."""
    found: dict[str, str] = {}
    pages = ec2.get_paginator("describe_network_interfaces").paginate(
        Filters=[{"Name": "description", "Values": [f"ELB {load_balancer_full_name}"]}]
    )
    for page in pages:
        for interface in page["NetworkInterfaces"]:
            public_ip = interface.get("Association", {}).get("PublicIp")
            if public_ip:
                found[interface["AvailabilityZone"]] = public_ip
    return found


@dataclass(frozen=True)
class ZoneOutcome:
    """What the probe of one AZ's node saw: its slowest request, or why it failed."""

    zone: str
    latency_ms: float | None
    error: str | None


def probe_zones(
    probe: Probe, zones: tuple[str, ...], addresses: Mapping[str, str], runner: Callable[[Probe], dict[str, float]]
) -> list[ZoneOutcome]:
    """Probe every AZ's node at once, so one slow AZ costs the run one timeout, not one per AZ."""

    def one(zone: str) -> ZoneOutcome:
        if zone not in addresses:
            return ZoneOutcome(zone, None, f"{zone}: no load balancer node found")
        try:
            latencies = runner(probe.at(addresses[zone]))
        except ProbeFailedError as error:
            return ZoneOutcome(zone, None, f"{zone}: {error}")
        return ZoneOutcome(zone, max(latencies.values(), default=0.0), None)

    with ThreadPoolExecutor(max_workers=max(1, len(zones))) as pool:
        return list(pool.map(one, zones))


def metric_data(host: str, outcomes: list[ZoneOutcome]) -> list[dict[str, Any]]:
    """PutMetricData's MetricData: per AZ, success (100 or 0) and, when it answered, the slowest request's latency."""
    data: list[dict[str, Any]] = []
    for outcome in outcomes:
        dimensions = [{"Name": "Host", "Value": host}, {"Name": "AvailabilityZone", "Value": outcome.zone}]
        success = 0.0 if outcome.error else 100.0
        data.append({"MetricName": SUCCESS_METRIC, "Dimensions": dimensions, "Value": success, "Unit": "Percent"})
        if outcome.latency_ms is not None:
            data.append(
                {
                    "MetricName": LATENCY_METRIC,
                    "Dimensions": dimensions,
                    "Value": outcome.latency_ms,
                    "Unit": "Milliseconds",
                }
            )
    return data


def run_zonal(
    environ: Mapping[str, str], ec2: Any, cloudwatch: Any, runner: Callable[[Probe], dict[str, float]] = run
) -> str:
    """Probe each AZ's node, publish per-AZ metrics, and fail the run if any AZ failed."""
    probe = Probe.from_environment(environ)
    zones = tuple(zone.strip() for zone in environ["PROBE_ZONES"].split(",") if zone.strip())
    addresses = node_addresses(ec2, environ["PROBE_LOAD_BALANCER"])
    outcomes = probe_zones(probe, zones, addresses, runner)
    cloudwatch.put_metric_data(
        Namespace=environ["PROBE_METRIC_NAMESPACE"], MetricData=metric_data(probe.host, outcomes)
    )
    failed = [outcome.error for outcome in outcomes if outcome.error]
    if failed:
        raise ProbeFailedError("; ".join(str(error) for error in failed))
    return f"{probe.host} via " + ", ".join(f"{o.zone} {addresses[o.zone]} {o.latency_ms} ms" for o in outcomes)


def handler(event: object, context: object) -> str:
    """The canary's entry point (`probe_canary.handler`)."""
    del event, context
    if os.environ.get("PROBE_LOAD_BALANCER"):
        boto3: Any = importlib.import_module("boto3")  # in the canary's Lambda runtime; only the zonal probe needs it
        return run_zonal(os.environ, boto3.client("ec2"), boto3.client("cloudwatch"))
    probe = Probe.from_environment(os.environ)
    latencies = run(probe)
    return f"{probe.host} via {probe.address}: " + ", ".join(f"{p} {ms} ms" for p, ms in latencies.items())
