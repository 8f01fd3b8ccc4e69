"""Resolve a synthesized DashboardBody and check it against CloudWatch's dashboard-body structure.

CloudWatch accepts a metric only as a flat array: namespace, metric name, then dimension
name/value pairs ("." repeats the entry above), then at most one options object, last. An entry
that is only an options object is a math expression. The seed's `{stat, dimensions: {...}}`
form is what CloudWatch rejected with "Should NOT have more than 2 items".
"""

from __future__ import annotations

import json
from typing import Any

ALB_NAMESPACE = "AWS/ApplicationELB"
# ALB metrics and the dimensions without which they show no data for this service.
TARGET_GROUP_METRICS = {"HealthyHostCount", "UnHealthyHostCount", "TargetResponseTime", "HTTPCode_Target_5XX_Count"}


def resolve(body: Any) -> dict[str, Any]:
    """Turn `{"Fn::Join": ["", [...]]}` into JSON, replacing each token with a readable stand-in."""
    if isinstance(body, str):
        return json.loads(body)
    separator, parts = body["Fn::Join"]
    return json.loads(separator.join(_stand_in(part) for part in parts))


def _stand_in(part: Any) -> str:
    if isinstance(part, str):
        return part
    if "Ref" in part:
        return f"<Ref {part['Ref']}>"
    if "Fn::GetAtt" in part:
        return "<GetAtt {}>".format(".".join(part["Fn::GetAtt"]))
    return f"<{next(iter(part))}>"


def metric_errors(body: dict[str, Any]) -> list[str]:
    """Every way the body's metrics depart from the structure CloudWatch accepts."""
    errors: list[str] = []
    for w, widget in enumerate(body.get("widgets", [])):
        previous: list[str] = []
        for m, entry in enumerate(widget.get("properties", {}).get("metrics", [])):
            where = f"widgets/{w}/metrics/{m}"
            if not isinstance(entry, list) or not entry:
                errors.append(f"{where}: a metric must be a non-empty array")
                continue
            *head, last = entry
            options = last if isinstance(last, dict) else None
            strings = head if options is not None else entry
            if any(isinstance(item, dict) for item in strings):
                errors.append(f"{where}: the options object may appear once, last")
                continue
            if not all(isinstance(item, str) for item in strings):
                errors.append(f"{where}: namespace, metric and dimensions must be strings")
                continue
            if options is not None and "dimensions" in options:
                errors.append(f"{where}: dimensions belong in the array as name/value pairs, not in options")
            if not strings:
                if options is None or "expression" not in options:
                    errors.append(f"{where}: an options-only entry must be a math expression")
                continue
            if len(strings) < 2 or len(strings) % 2:
                errors.append(f"{where}: expected namespace, metric name and name/value pairs")
                continue
            expanded = [previous[i] if item == "." and i < len(previous) else item for i, item in enumerate(strings)]
            previous = expanded
            errors += _dimension_errors(where, expanded)
    return errors


def _dimension_errors(where: str, metric: list[str]) -> list[str]:
    namespace, name, *pairs = metric
    dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
    if namespace != ALB_NAMESPACE:
        return []
    needed = {"LoadBalancer"} | ({"TargetGroup"} if name in TARGET_GROUP_METRICS else set())
    missing = needed - set(dimensions)
    return [f"{where}: {name} lacks the {', '.join(sorted(missing))} dimension(s)"] if missing else []
