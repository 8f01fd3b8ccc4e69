"""Every configuration example in README.md and docs/ works as the page says (issue 22).

An example is a command in a fenced block or an inline code span that synthesizes (`make synth`, `make budget`,
`cdk synth`, `cdk deploy`), or an inline span made only of `-c key=value` and `PAYMENT_FAILOVER_<KEY>=value`
assignments. When the page shows the refusal on the next line (`payment-failover: ...`), the example must be
refused with exactly that sentence; otherwise it must validate and synthesize (shared through `stage_for`, so an
example that matches a configuration other tests use costs nothing). Examples holding a placeholder (`<...>`,
`…`) are skipped, and so is `deploy=true`, which `make deploy` adds and which needs real accounts.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

import pytest

from payment_failover.config.cli_context import PROJECT_ROOT as ROOT
from payment_failover.config.settings import context_keys, load_settings
from payment_failover.config.sources import ENV_PREFIX, TEST_ENV_PREFIX, ConfigError, env_var
from payment_failover.pipeline.settings import PIPELINE_KEYS
from tests.helpers.synth import stage_for

_COMMAND = re.compile(r"(?:make (?:synth|budget)|cdk (?:synth|deploy))\b")
_INLINE = re.compile(r"`([^`\n]+)`")


@dataclass(frozen=True)
class Example:
    where: str
    context: tuple[tuple[str, str], ...]
    environ: tuple[tuple[str, str], ...]
    refusal: str | None
    partial: bool = False


def _assignments(command: str) -> tuple[dict[str, str], dict[str, str]] | None:
    try:
        words = shlex.split(command.lstrip("$ ").replace("\\\n", " "))
    except ValueError:
        return None
    expanded: list[str] = []
    for word in words:
        expanded += shlex.split(word.removeprefix("CDK_ARGS=")) if word.startswith("CDK_ARGS=") else [word]
    context: dict[str, str] = {}
    environ: dict[str, str] = {}
    for before, word in zip(["", *expanded], expanded, strict=False):
        if before == "-c" and "=" in word:
            key, _, value = word.partition("=")
            context[key] = value
        elif word.startswith(ENV_PREFIX) and not word.startswith(TEST_ENV_PREFIX) and "=" in word:
            name, _, value = word.partition("=")
            environ[name] = value
    return context, environ


def _examples() -> list[Example]:
    found: list[Example] = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        lines = page.read_text(encoding="utf-8").splitlines()
        fenced = False
        for number, line in enumerate(lines):
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            candidates: list[tuple[str, str | None]] = []
            if fenced and _COMMAND.search(line):
                following = lines[number + 1] if number + 1 < len(lines) else ""
                refusal = (
                    following.removeprefix("payment-failover: ") if following.startswith("payment-failover:") else None
                )
                candidates.append((line, refusal))
            elif not fenced:
                for match in _INLINE.finditer(line):
                    span = match.group(1)
                    # Prose shows a refusal as `-c minCapacty=9` → "did you mean 'minCapacity'?"
                    shown = re.match(r' → "([^"]+)"', line[match.end() :])
                    only_settings = all(
                        word == "-c" or word.startswith(ENV_PREFIX) or "=" in word for word in span.split()
                    ) and ("-c " in span or span.startswith(ENV_PREFIX))
                    if _COMMAND.search(span) or only_settings:
                        candidates.append((span, shown.group(1) if shown else None))
            for text, refusal in candidates:
                if any(mark in text for mark in ("<", "…", "key=value")):
                    continue
                parsed = _assignments(text)
                if (
                    parsed is None
                    or not any(parsed)
                    or "deploy" in parsed[0]
                    or any(k in PIPELINE_KEYS for k in parsed[0])
                ):
                    continue
                context, environ = parsed
                where = f"{page.relative_to(ROOT)}:{number + 1}"
                partial = not fenced and refusal is not None
                found.append(Example(where, tuple(context.items()), tuple(environ.items()), refusal, partial))
    return found


EXAMPLES = _examples()


def test_the_pages_hold_the_examples_this_test_promises_to_check() -> None:
    wheres = {example.where.split(":")[0] for example in EXAMPLES}
    assert {"docs/configuration.md", "docs/region-failover.md", "docs/failover-budget.md"} <= wheres
    assert any(example.environ == (("PAYMENT_FAILOVER_MIN_CAPACITY", "9"),) for example in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.where for e in EXAMPLES])
def test_every_documented_example_works_as_its_page_says(example: Example) -> None:
    context, environ = dict(example.context), dict(example.environ)
    if example.refusal is not None:
        with pytest.raises(ConfigError) as refused:
            load_settings(context, environ, extra_keys=PIPELINE_KEYS)
        if example.partial:
            assert example.refusal in str(refused.value)
        else:
            assert str(refused.value) == example.refusal
        return
    settings = load_settings(context, environ)
    # The environment door and the context door give the same configuration: synthesize it once, as context.
    by_variable = {env_var(key): key for key in context_keys()}
    as_context = {by_variable[name]: value for name, value in environ.items()} | context
    assert stage_for(as_context).settings == settings
