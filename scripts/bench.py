"""Compare the product's `cdk synth` wall time against a trivial one-stack app on the same toolchain.

Why: synth time is a reported budget (product <= 1.30x a trivial app). Measuring both with the same CLI,
Node and Python isolates the cost the product itself adds. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_BIN = ROOT / "node_modules" / ".bin"
VENV_BIN = ROOT / ".venv" / "bin"
# The absolute path: `npx --no-install` would resolve `cdk` from the cwd, which the trivial app lacks.
CDK = NODE_BIN / "cdk"
TARGET_RATIO = 1.30

ENV_DEFAULTS = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CDK_DISABLE_VERSION_CHECK": "true",
    "CDK_DISABLE_CLI_TELEMETRY": "true",
}

TRIVIAL_APP = '''"""Baseline for scripts/bench.py: the smallest useful CDK app."""

import aws_cdk as cdk
from aws_cdk import aws_ssm as ssm

app = cdk.App()
stack = cdk.Stack(app, "BenchTrivial")
ssm.StringParameter(stack, "Param", string_value="bench")
app.synth()
'''


class CommandError(RuntimeError):
    """A measured command exited non-zero; carries its stderr so the caller can show it."""

    def __init__(self, argv: list[str], returncode: int, stderr: str) -> None:
        super().__init__(f"{shlex.join(argv)} exited {returncode}")
        self.stderr = stderr


@dataclass(frozen=True)
class Timing:
    """Median over repeated runs, kept with the samples so outliers stay visible."""

    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def child_env() -> dict[str, str]:
    """Env for every child: project Node 22 first on PATH, quiet CDK/jsii, so a direct run matches `make bench`."""
    env = dict(os.environ)
    for key, value in ENV_DEFAULTS.items():
        env.setdefault(key, value)
    parts = [p for p in env.get("PATH", "").split(os.pathsep) if p and p not in (str(NODE_BIN), str(VENV_BIN))]
    env["PATH"] = os.pathsep.join([str(NODE_BIN), str(VENV_BIN), *parts])
    return env


def run_checked(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """Run a command, return (wall seconds, stdout); raise CommandError on a non-zero exit."""
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise CommandError(argv, proc.returncode, proc.stderr or proc.stdout)
    return elapsed, proc.stdout


def time_synth(project: Path, runs: int, env: dict[str, str]) -> Timing:
    """Synth every stack of `project` `runs` times, each into a fresh dir so cdk.out is never touched."""
    samples: list[float] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-out-") as out:
            elapsed, _ = run_checked([str(CDK), "synth", "**", "--quiet", "-o", out], project, env)
        samples.append(elapsed)
    return Timing(samples)


def write_trivial_app(directory: Path) -> None:
    """Lay out the baseline app, pointing at the project's venv so both runs share one Python and aws-cdk-lib."""
    (directory / "app.py").write_text(TRIVIAL_APP, encoding="utf-8")
    app_cmd = f"{shlex.quote(str(VENV_BIN / 'python'))} app.py"
    (directory / "cdk.json").write_text(json.dumps({"app": app_cmd}) + "\n", encoding="utf-8")


def peak_child_rss_mib() -> float:
    """Largest RSS among waited-for descendants so far (Linux reports KiB, macOS bytes)."""
    raw = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return raw / (1024 * 1024) if sys.platform == "darwin" else raw / 1024


def fmt(timing: Timing) -> str:
    """Median plus raw samples, so a noisy run is obvious from the table."""
    return f"{timing.median:7.2f} s  (runs: {', '.join(f'{s:.2f}' for s in timing.samples)})"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; non-zero only when a synth fails, never on a missed target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="synth repetitions per app (median is reported)")
    parser.add_argument("--suite", action="store_true", help="also time the pytest suite once")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")

    env = child_env()
    try:
        _, node_version = run_checked(["node", "--version"], ROOT, env)
        # Product first, so the RUSAGE_CHILDREN peak is read before the baseline runs.
        product = time_synth(ROOT, args.runs, env)
        product_rss = peak_child_rss_mib()
        with tempfile.TemporaryDirectory(prefix="bench-trivial-") as tmp:
            write_trivial_app(Path(tmp))
            trivial = time_synth(Path(tmp), args.runs, env)
    except CommandError as error:
        print(f"bench: {error}", file=sys.stderr)
        print(error.stderr, file=sys.stderr)
        return 1

    ratio = product.median / trivial.median
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"node            {node_version.strip()}")
    print(f"runs            {args.runs}")
    print(f"product synth   {fmt(product)}")
    print(f"trivial synth   {fmt(trivial)}")
    print(f"ratio           {ratio:.2f}x  (target <= {TARGET_RATIO:.2f}x: {verdict})")
    print(f"peak child RSS  {product_rss:.0f} MiB (product synth)")

    if args.suite:
        pytest = [str(VENV_BIN / "pytest"), "-q", "-p", "no:cacheprovider"]
        try:
            elapsed, _ = run_checked(pytest, ROOT, env)
            print(f"test suite      {elapsed:7.2f} s")
        except CommandError as error:
            # Reported, not fatal: the exit code only tracks synth failures.
            print(f"test suite      FAILED ({error})")
            print(error.stderr[-4000:], file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
