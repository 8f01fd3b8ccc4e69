"""EventBridge event-pattern matching, written down as code so tests can run our rules' patterns.

A small model of what EventBridge does, only the parts our patterns use, each rule from the page beside it.
Anything else (a comparison operator such as `prefix` or `anything-but`) raises instead of guessing.

- "For an event pattern to match an event, the event must contain all the field names listed in the event
  pattern", with the same nesting; fields the pattern does not name are ignored
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html).
- The value to match is a JSON array: the field matches if any of its values equals the event's value
  (same page); values match exactly, character for character.
- If the value in the event is an array, the pattern matches when the two arrays have a value in common
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether EventBridge would deliver this event to a rule with this pattern."""
    for field, wanted in pattern.items():
        if field not in event:
            return False
        value = event[field]
        if isinstance(wanted, Mapping):
            if not isinstance(value, Mapping) or not matches(wanted, value):
                return False
            continue
        if not isinstance(wanted, list):
            raise ValueError(f"pattern field {field!r} must be an object or an array, not {wanted!r}")
        for candidate in wanted:
            if isinstance(candidate, Mapping):
                raise NotImplementedError(f"comparison operator {candidate!r} is outside the modelled subset")
        values = value if isinstance(value, list) else [value]
        if not any(candidate == item for candidate in wanted for item in values):
            return False
    return True
