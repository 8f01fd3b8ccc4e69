"""One way to synthesize for tests: the context the CLI gives the app, each configuration once per session.

`project_app` is the App a test builds anything in: `cdk.json`'s feature flags and the CLI's own switches
(`payment_failover/config/cli_context.py`), so a template asserted here is the template `cdk synth` writes;
tests/unit/test_cli_equivalence.py holds the two doors equal. `stage_for` builds the real Stage for a context
once per session and hands every later caller the same result.

`LEDGER` counts every Stage built in this process and every app run through the CLI or `python app.py`
(tests/helpers/cli.py); tests/conftest.py prints the count at the end of the run and fails a whole-suite run
that builds more than its declared budget, so a new test cannot silently add a synthesis.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from payment_failover.application import new_app
from payment_failover.config.cli_context import project_context
from payment_failover.config.settings import Settings, load_settings
from payment_failover.stage import PaymentFailoverStage


@dataclass
class SynthesisLedger:
    """How many Stages this session built in-process, by construct path, and how many apps ran out of process."""

    stages: Counter[str] = field(default_factory=Counter)
    processes: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.stages.values()) + sum(self.processes.values())


LEDGER = SynthesisLedger()
_OUTDIRS = tempfile.TemporaryDirectory(prefix="pf-test-assemblies-")


def _count_stage_builds() -> None:
    """Wrap the Stage's constructor once, so every Stage any test builds (fixtures, the change analysis, the
    pipeline's stages, the entry point run in-process) is counted."""
    original = PaymentFailoverStage.__init__
    if getattr(original, "_counted", False):
        return

    def counted(self: PaymentFailoverStage, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        LEDGER.stages[self.node.path] += 1

    counted._counted = True  # type: ignore[attr-defined]
    PaymentFailoverStage.__init__ = counted  # type: ignore[method-assign]


_count_stage_builds()


def project_app(
    extra: Mapping[str, Any] | None = None, *, outdir: str | None = None, validate: bool = False
) -> cdk.App:
    """An App with exactly the context `cdk synth -c key=value ...` gives app.py, built by app.py's own factory."""
    if outdir is None:
        outdir = tempfile.mkdtemp(dir=_OUTDIRS.name)
    return new_app(context=project_context(extra), outdir=outdir, validate=validate)


@dataclass(frozen=True)
class SynthesizedStage:
    settings: Settings
    stage: PaymentFailoverStage
    templates: dict[str, Template]

    @property
    def service(self) -> Template:
        return self.templates[self.stage.service.stack_name]

    @property
    def standby(self) -> Template:
        assert self.stage.standby is not None, "this configuration has no standby region"
        return self.templates[self.stage.standby.stack_name]

    @property
    def global_dns(self) -> Template:
        return self.templates[self.stage.global_dns.stack_name]

    @property
    def by_construct_id(self) -> dict[str, Template]:
        return {stack.node.id: self.templates[stack.stack_name] for stack in _stacks(self.stage)}


def _stacks(stage: cdk.Stage) -> list[cdk.Stack]:
    return [child for child in stage.node.children if isinstance(child, cdk.Stack)]


_STAGES: dict[tuple[str, bool], SynthesizedStage] = {}


def _key(context: Mapping[str, Any]) -> str:
    return json.dumps(context, sort_keys=True)


def stage_for(context: Mapping[str, Any] | None = None, *, compliance_checks: bool = True) -> SynthesizedStage:
    """The real Stage for these `-c` values, built and synthesized the way app.py does, once per session.

    `compliance_checks=False` leaves out cdk-nag's three packs (about 0.3 s a synth): they change no resource of
    the templates (only the CDKMetadata analytics resource, which lists the constructs used), so a caller that
    only compares resources (the setting-change analysis) can skip them.
    """
    context = dict(context or {})
    key = (_key(context), compliance_checks)
    if key not in _STAGES:
        app = project_app(context)
        settings = load_settings(app.node.get_all_context(), {})
        stage = PaymentFailoverStage(
            app,
            f"PaymentFailover-{settings.environment_suffix}",
            settings=settings,
            compliance_checks=compliance_checks,
        )
        _STAGES[key] = SynthesizedStage(
            settings, stage, {stack.stack_name: Template.from_stack(stack) for stack in _stacks(stage)}
        )
    return _STAGES[key]


def shared_configurations() -> int:
    return len(_STAGES)


def stage_templates(context: Mapping[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[str, str, str]]]:
    """The change analysis' view of a configuration: templates and (name, account, region) by construct id, from
    the session's synth of it when there is one, else from a synth without the compliance packs."""
    checked = (_key(context), True)
    if checked in _STAGES:
        stacks = _stacks(_STAGES[checked].stage)
        templates = {stack.node.id: _STAGES[checked].templates[stack.stack_name].to_json() for stack in stacks}
    else:
        # Read from the cloud assembly on disk: the analysis needs plain templates, not assertion Templates, and
        # building those costs a round trip of every template through jsii (about 0.1 s a Stage).
        app = project_app(context)
        settings = load_settings(app.node.get_all_context(), {})
        stage = PaymentFailoverStage(
            app, f"PaymentFailover-{settings.environment_suffix}", settings=settings, compliance_checks=False
        )
        assembly = stage.synth()
        stacks = _stacks(stage)
        templates = {
            stack.node.id: json.loads(Path(assembly.directory, stack.template_file).read_text()) for stack in stacks
        }
    return templates, {stack.node.id: (stack.stack_name, stack.account, stack.region) for stack in stacks}
