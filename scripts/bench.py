"""`make bench`: the synth and the suite, measured in one run and printed, never asserted.

What it prints (docs/benchmarks.md quotes it with the date and the command):
- the product's iteration synth (`cdk synth '**'`, what `make synth` runs) against a stock trivial one-stack
  app on the same toolchain (aws-cdk-lib's built-in CloudFormation validation on, as `cdk init` leaves it):
  median and spread of each, and their ratio against the 1.3x target;
- the same ratio with both apps at the same validation setting (both off), and a floor: an app with as many
  plain L1 resources in as many stacks as the product, which is what this many resources cost to synthesize
  whatever the constructs do;
- how long a refused configuration takes to answer (`python app.py` with a typo in the context);
- with --suite: `make unit` (both halves of the suite in parallel), its wall and CPU time, the Stage
  syntheses the suite reports, and the peak memory of any one process.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_BIN = ROOT / "node_modules" / ".bin"
VENV_BIN = ROOT / ".venv" / "bin"
# The absolute path: `npx --no-install` would resolve `cdk` from the cwd, which the baseline apps lack.
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

FLOOR_APP = '''"""Floor for scripts/bench.py: as many plain L1 resources in as many stacks as the product."""

import json

import aws_cdk as cdk

COUNTS = json.loads({counts!r})
app = cdk.App(builtin_cloud_formation_validation=False)
stage = cdk.Stage(app, "Floor")
for index, count in enumerate(COUNTS):
    stack = cdk.Stack(stage, f"Stack{{index}}")
    for resource in range(count):
        properties = {{"Type": "String", "Value": "x"}}
        cdk.CfnResource(stack, f"R{{resource}}", type="AWS::SSM::Parameter", properties=properties)
app.synth()
'''


class CommandError(RuntimeError):
    """A measured command exited non-zero; carries its output so the caller can show it."""

    def __init__(self, argv: list[str], returncode: int, output: str) -> None:
        super().__init__(f"{shlex.join(argv)} exited {returncode}")
        self.output = output


@dataclass(frozen=True)
class Timing:
    """Samples of one measurement; the median is reported with the spread so outliers stay visible."""

    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def __str__(self) -> str:
        low, high = min(self.samples), max(self.samples)
        return f"{self.median:7.2f} s  (spread {low:.2f}-{high:.2f} over {len(self.samples)} runs)"


def child_env(**extra: str) -> dict[str, str]:
    """The caller's environment with the project's Node and venv first on PATH and CDK's banners quiet."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CDK_", "PAYMENT_FAILOVER_"))}
    env.update(ENV_DEFAULTS)
    env["PATH"] = os.pathsep.join([str(NODE_BIN), str(VENV_BIN), env.get("PATH", "")])
    env.update(extra)
    return env


def run(argv: list[str], cwd: Path, env: Mapping[str, str], *, expect: int = 0) -> tuple[float, str]:
    """Run a command; return (wall seconds, combined output); raise CommandError on an unexpected exit code."""
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != expect:
        raise CommandError(argv, proc.returncode, proc.stdout + proc.stderr)
    return elapsed, proc.stdout + proc.stderr


def time_synth(project: Path, runs: int, env: Mapping[str, str]) -> Timing:
    """`cdk synth '**'` of `project`, each run into a fresh directory so cdk.out is never touched."""
    samples = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-out-") as out:
            samples.append(run([str(CDK), "synth", "**", "--quiet", "-o", out], project, env)[0])
    return Timing(samples)


def write_app(directory: Path, source: str) -> Path:
    """A baseline app beside the project, using the project's venv so both share one Python and aws-cdk-lib."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(source, encoding="utf-8")
    app_cmd = f"{shlex.quote(str(VENV_BIN / 'python'))} app.py"
    (directory / "cdk.json").write_text(json.dumps({"app": app_cmd}) + "\n", encoding="utf-8")
    return directory


def product_resource_counts(env: Mapping[str, str]) -> list[int]:
    """Resources per stack template of the product's default synth."""
    with tempfile.TemporaryDirectory(prefix="bench-count-") as out:
        run([str(CDK), "synth", "**", "--quiet", "-o", out], ROOT, env)
        templates = sorted(Path(out).glob("**/*.template.json"))
        return [len(json.loads(path.read_text())["Resources"]) for path in templates]


def time_refusal(runs: int) -> Timing:
    """`python app.py` as the CLI starts it, with a setting typo in the context: the answer a user waits for."""
    env = child_env(CDK_CONTEXT_JSON=json.dumps({"minCapacty": "6"}), CDK_OUTDIR=tempfile.mkdtemp())
    return Timing([run([str(VENV_BIN / "python"), "app.py"], ROOT, env, expect=2)[0] for _ in range(runs)])


def peak_child_rss_mib() -> float:
    """Largest RSS of any waited-for descendant so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def suite() -> None:
    """`make unit` once: wall, CPU of all its processes, the Stage syntheses it reports, peak memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed, output = run(["make", "--no-print-directory", "unit"], ROOT, child_env())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    syntheses = [int(n) for n in re.findall(r"^Stage syntheses: (\d+)", output, re.M)]
    passed = re.findall(r"(\d+) passed", output)
    print(f"suite (make unit)  wall {elapsed:6.1f} s, CPU {cpu:6.1f} s (the suite's three parts at once)")
    print(f"                   {' + '.join(passed)} tests passed; Stage syntheses {' + '.join(map(str, syntheses))}")
    print(f"                   = {sum(syntheses)}; peak memory of one process {peak_child_rss_mib():.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; non-zero only when a measured command fails, never on a missed target."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="repetitions per synth (median and spread reported)")
    parser.add_argument("--suite", action="store_true", help="also run `make unit` once and report it")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    env, no_validation = child_env(), child_env(CDK_VALIDATION="false")
    try:
        node = run(["node", "--version"], ROOT, env)[1].strip()
        counts = product_resource_counts(env)
        product = time_synth(ROOT, args.runs, env)
        product_rss = peak_child_rss_mib()
        with tempfile.TemporaryDirectory(prefix="bench-apps-") as tmp:
            trivial_app = write_app(Path(tmp) / "trivial", TRIVIAL_APP)
            floor_app = write_app(Path(tmp) / "floor", FLOOR_APP.format(counts=json.dumps(counts)))
            trivial = time_synth(trivial_app, args.runs, env)
            trivial_off = time_synth(trivial_app, args.runs, no_validation)
            floor = time_synth(floor_app, args.runs, env)
        refusal = time_refusal(args.runs)
    except CommandError as error:
        print(f"bench: {error}\n{error.output[-4000:]}", file=sys.stderr)
        return 1
    ratio = product.median / trivial.median
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(
        f"date               {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, node {node}"
    )
    print(f"product synth      {product}   {sum(counts)} resources in {len(counts)} templates")
    print(f"trivial synth      {trivial}   stock: built-in CloudFormation validation on")
    print(f"ratio              {ratio:.2f}x (target <= {TARGET_RATIO:.2f}x: {verdict})")
    print(f"trivial, no valid. {trivial_off}   ratio at the same setting {product.median / trivial_off.median:.2f}x")
    print(f"floor app          {floor}   same resource count, plain L1, no validation")
    print(f"refused setting    {refusal}   python app.py with a typo")
    print(f"peak memory        {product_rss:.0f} MiB (largest process of the product synths)")
    if args.suite:
        try:
            suite()
        except CommandError as error:
            print(f"suite              FAILED ({error})\n{error.output[-4000:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
