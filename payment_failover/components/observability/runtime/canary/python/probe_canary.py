"""The synthetic probe (R21): what a client does, from outside, on a schedule — a CloudWatch Synthetics canary.

One run connects to one address (the service's name, a region's name, or one load balancer node), speaks TLS with
the service's name as SNI and checks the certificate against that name, sends each path with the service's name as
Host, and passes only if every path answers 200 within the timeout. Any failure raises, which is how a Python
canary reports a failed run: "raise Exception(...)" in the script makes the run fail
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_WritingCanary_Python.html).
Synthetics then publishes the run's SuccessPercent and Duration for the canary's alarms.

Settings come from the canary's environment variables (RunConfig):
- PROBE_HOST: the name the certificate must cover, sent as SNI and Host (e.g. payments.example.com);
- PROBE_ADDRESS: where to connect (default PROBE_HOST); PROBE_PORT (default 443);
- PROBE_PATHS: comma-separated paths (default /health);
- PROBE_TIMEOUT_SECONDS: per request (default 5);
- PROBE_CA_FILE: a CA bundle to trust instead of the system's (only the loopback tests set it).

Standard library only: the runtime's Python, nothing to package.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass


class ProbeFailedError(Exception):
    """The service did not answer as a client needs: the canary run fails with this message."""


@dataclass(frozen=True)
class Probe:
    host: str
    address: str
    port: int
    paths: tuple[str, ...]
    timeout_seconds: float
    ca_file: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Probe:
        host = environ["PROBE_HOST"]
        return cls(
            host=host,
            address=environ.get("PROBE_ADDRESS") or host,
            port=int(environ.get("PROBE_PORT", "443")),
            paths=tuple(path.strip() for path in environ.get("PROBE_PATHS", "/health").split(",") if path.strip()),
            timeout_seconds=float(environ.get("PROBE_TIMEOUT_SECONDS", "5")),
            ca_file=environ.get("PROBE_CA_FILE") or None,
        )


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
    """Each path's latency in milliseconds; raises ProbeFailedError naming the path and what went wrong."""
    context = ssl.create_default_context(cafile=probe.ca_file)  # verifies the chain and the name
    latencies: dict[str, float] = {}
    for path in probe.paths:
        started = time.monotonic()
        connection = _NamedTlsConnection(probe, context)
        try:
            connection.request("GET", path, headers={"Host": probe.host, "User-Agent": "payment-failover-probe"})
            response = connection.getresponse()
            response.read()
        except ssl.SSLCertVerificationError as error:
            raise ProbeFailedError(
                f"{probe.address} {path}: certificate not valid for {probe.host}: {error}"
            ) from error
        except TimeoutError as error:
            raise ProbeFailedError(f"{probe.address} {path}: no answer within {probe.timeout_seconds:g} s") from error
        except OSError as error:
            raise ProbeFailedError(f"{probe.address} {path}: {error}") from error
        finally:
            connection.close()
        if response.status != http.HTTPStatus.OK:
            raise ProbeFailedError(f"{probe.address} {path}: HTTP {response.status}")
        latencies[path] = round((time.monotonic() - started) * 1000, 1)
    return latencies


def handler(event: object, context: object) -> str:
    """The canary's entry point (`probe_canary.handler`)."""
    del event, context
    probe = Probe.from_environment(os.environ)
    latencies = run(probe)
    return f"{probe.host} via {probe.address}: " + ", ".join(f"{p} {ms} ms" for p, ms in latencies.items())
