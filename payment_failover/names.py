"""Every name a person sees, derived in one place from the environment suffix (R12)."""

from __future__ import annotations

from dataclasses import dataclass

# ALB and target-group names are limited to 32 characters.
ELB_NAME_LIMIT = 32


@dataclass(frozen=True)
class ResourceNames:
    suffix: str

    @property
    def base(self) -> str:
        """payment-failover-<suffix>: the name of everything there is one of per environment."""
        return f"payment-failover-{self.suffix}"

    @property
    def service_stack(self) -> str:
        return self.base

    @property
    def vpc(self) -> str:
        return self.base

    @property
    def certificate(self) -> str:
        return self.base

    @property
    def load_balancer(self) -> str:
        return _elb_name(f"pf-alb-{self.suffix}")

    @property
    def target_group(self) -> str:
        return _elb_name(f"pf-tg-{self.suffix}")

    @property
    def auto_scaling_group(self) -> str:
        return self.base

    @property
    def dns_alarm_stack(self) -> str:
        return f"{self.base}-dns-alarms"

    @property
    def topic(self) -> str:
        return f"{self.base}-events"

    @property
    def dns_topic(self) -> str:
        return f"{self.base}-dns-events"

    @property
    def alarm_prefix(self) -> str:
        return self.base

    @property
    def dashboard(self) -> str:
        return self.base

    @property
    def web_acl(self) -> str:
        return self.base


def _elb_name(name: str) -> str:
    if len(name) > ELB_NAME_LIMIT:
        raise ValueError(f"{name!r} exceeds the {ELB_NAME_LIMIT}-character ELB name limit")
    return name
