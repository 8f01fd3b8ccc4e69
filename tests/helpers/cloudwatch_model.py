"""CloudWatch metric math and alarm evaluation, written down as code so tests can run our expressions.

A small model of what CloudWatch does, not a reimplementation: only the parts our alarms use, each rule
taken from the page named next to it. Anything outside that subset raises instead of guessing.

Metric math (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html):
- arithmetic: "Missing values in a time series are treated as 0. If the value of a data point causes a
  function to attempt to divide by zero, the data point is dropped."
- comparison between two time series: a value missing in one of them is treated as 0; the result is 1
  (true) or 0 (false) per timestamp.
- FILL(m, value): "Fills the missing values of a time series" over the query's range.
- IF(condition, a, b): a condition datapoint of 0 is FALSE, anything else TRUE; TRUE with no datapoint in
  a series `a` gives 0; FALSE with no datapoint in `b` (or no `b`) drops the datapoint.

Alarm evaluation (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html):
the alarm looks at Evaluation Periods datapoints; if fewer exist, missing ones are filled per
TreatMissingData; ALARM when at least Datapoints to Alarm of them breach, otherwise OK.

A time series is a dict from timestamp (here: the minute's index) to value; a missing datapoint is an
absent key.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Series = dict[int, float]
Value = float | Series

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|==|!=|[-+*/(),<>]))")
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}
_COMPARISON: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def evaluate(expression: str, metrics: Mapping[str, Series], timestamps: Sequence[int]) -> Series:
    """The time series a metric math expression yields for these metrics over the query range."""
    parser = _Parser(_tokens(expression), metrics, list(timestamps))
    result = parser.comparison()
    if parser.pos != len(parser.tokens):
        raise ValueError(f"unexpected {parser.tokens[parser.pos]!r} in {expression!r}")
    if not isinstance(result, dict):
        raise ValueError(f"{expression!r} yields a scalar; an alarm needs a time series")
    return result


def _tokens(expression: str) -> list[str]:
    tokens, pos = [], 0
    while pos < len(expression.rstrip()):
        match = _TOKEN.match(expression, pos)
        if match is None:
            raise ValueError(f"cannot read {expression[pos:]!r}")
        tokens.append(next(group for group in match.groups() if group is not None))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent over: comparison > sum > product > unary > call | id | number | (...)."""

    def __init__(self, tokens: list[str], metrics: Mapping[str, Series], timestamps: list[int]) -> None:
        self.tokens, self.pos, self.metrics, self.timestamps = tokens, 0, metrics, timestamps

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> str:
        token = self._peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError(f"expected {expected or 'more'} at token {self.pos} of {self.tokens}")
        self.pos += 1
        return token

    def comparison(self) -> Value:
        left = self.sum()
        token = self._peek()
        if token is not None and token in _COMPARISON:
            compare = _COMPARISON[self._take()]
            return _combine(left, self.sum(), lambda a, b: 1.0 if compare(a, b) else 0.0)
        return left

    def sum(self) -> Value:
        value = self.product()
        while self._peek() in ("+", "-"):
            op = _ARITHMETIC[self._take()]
            value = _combine(value, self.product(), op)
        return value

    def product(self) -> Value:
        value = self.unary()
        while self._peek() in ("*", "/"):
            op = _ARITHMETIC[self._take()]
            value = _combine(value, self.unary(), op)
        return value

    def unary(self) -> Value:
        if self._peek() == "-":
            self._take()
            return _combine(0.0, self.unary(), operator.sub)
        return self.primary()

    def primary(self) -> Value:
        token = self._take()
        if token == "(":
            value = self.comparison()
            self._take(")")
            return value
        if re.fullmatch(r"\d+(?:\.\d+)?", token):
            return float(token)
        if self._peek() == "(":
            return self._call(token)
        if token not in self.metrics:
            raise ValueError(f"unknown metric id {token!r}")
        return dict(self.metrics[token])

    def _call(self, name: str) -> Value:
        self._take("(")
        args = [self.comparison()]
        while self._peek() == ",":
            self._take()
            args.append(self.comparison())
        self._take(")")
        if name == "FILL":
            return _fill(args, self.timestamps)
        if name == "IF":
            return _if(args)
        raise NotImplementedError(f"{name} is outside the modelled subset of metric math")


def _combine(left: Value, right: Value, op: Callable[[float, float], float]) -> Value:
    """Apply op per timestamp: missing values count as 0, a division by zero drops the datapoint."""
    if not isinstance(left, dict) and not isinstance(right, dict):
        return op(left, right)
    stamps = set(left) if isinstance(left, dict) else set()
    stamps |= set(right) if isinstance(right, dict) else set()
    out: Series = {}
    for stamp in sorted(stamps):
        a = left.get(stamp, 0.0) if isinstance(left, dict) else left
        b = right.get(stamp, 0.0) if isinstance(right, dict) else right
        try:
            out[stamp] = op(a, b)
        except ZeroDivisionError:
            continue
    return out


def _fill(args: list[Value], timestamps: list[int]) -> Series:
    series, filler = args
    if not isinstance(series, dict) or isinstance(filler, dict):
        raise NotImplementedError("only FILL(series, scalar) is modelled")
    return {stamp: series.get(stamp, filler) for stamp in timestamps}


def _if(args: list[Value]) -> Series:
    condition, when_true = args[0], args[1]
    when_false: Value | None = args[2] if len(args) > 2 else None
    if not isinstance(condition, dict):
        raise NotImplementedError("only IF over a time series condition is modelled")
    out: Series = {}
    for stamp, flag in condition.items():
        chosen = when_true if flag != 0 else when_false
        if chosen is None:
            continue
        if not isinstance(chosen, dict):
            out[stamp] = chosen
        elif stamp in chosen:
            out[stamp] = chosen[stamp]
        elif flag != 0:
            out[stamp] = 0.0
    return out


@dataclass(frozen=True)
class AlarmModel:
    """The evaluation settings of one AWS::CloudWatch::Alarm, as synthesized."""

    threshold: float
    comparison: str
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: str

    @classmethod
    def of(cls, alarm: Mapping[str, Any]) -> AlarmModel:
        return cls(
            threshold=float(alarm["Threshold"]),
            comparison=alarm["ComparisonOperator"],
            evaluation_periods=int(alarm["EvaluationPeriods"]),
            datapoints_to_alarm=int(alarm.get("DatapointsToAlarm", alarm["EvaluationPeriods"])),
            treat_missing_data=alarm.get("TreatMissingData", "missing"),
        )

    def breaches(self, value: float) -> bool:
        compare = {
            "GreaterThanThreshold": operator.gt,
            "GreaterThanOrEqualToThreshold": operator.ge,
            "LessThanThreshold": operator.lt,
            "LessThanOrEqualToThreshold": operator.le,
        }[self.comparison]
        return bool(compare(value, self.threshold))

    def state(self, datapoints: Sequence[float | None]) -> str:
        """ALARM or OK for the most recent datapoints, oldest first (None: no datapoint that minute)."""
        existing = [value for value in datapoints if value is not None]
        verdicts = [self.breaches(value) for value in existing[-self.evaluation_periods :]]
        missing = self.evaluation_periods - len(verdicts)
        if missing > 0:
            if self.treat_missing_data not in ("breaching", "notBreaching"):
                raise NotImplementedError(f"TreatMissingData {self.treat_missing_data!r} is not modelled")
            verdicts += [self.treat_missing_data == "breaching"] * missing
        return "ALARM" if sum(verdicts) >= self.datapoints_to_alarm else "OK"
