"""Every name a person sees, derived in one place from the environment suffix (R12)."""

from __future__ import annotations

from dataclasses import dataclass

# ALB and target-group names are limited to 32 characters.
ELB_NAME_LIMIT = 32


@dataclass(frozen=True)
class ResourceNames:
    suffix: str
    standby: bool = False

    @property
    def environment(self) -> str:
        """payment-failover-<suffix>: the name of what there is one of per environment (the global DNS stack)."""
        return f"payment-failover-{self.suffix}"

    @property
    def base(self) -> str:
        """payment-failover-<suffix>[-standby]: the name of everything there is one of per region.

        The standby's names say so, so that an alarm e-mail or a dashboard (whose names are global to the
        account) is never mistaken for the primary's. ELB names stay short and need no marker: they are
        unique per region only.
        """
        return f"{self.environment}-standby" if self.standby else self.environment

    def for_standby(self) -> ResourceNames:
        return ResourceNames(self.suffix, standby=True)

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
    def global_dns_stack(self) -> str:
        return f"{self.environment}-global-dns"

    @property
    def global_dashboard(self) -> str:
        return f"{self.environment}-global"

    @property
    def topic(self) -> str:
        return f"{self.base}-events"

    @property
    def dns_topic(self) -> str:
        return f"{self.environment}-dns-events"

    @property
    def alarm_prefix(self) -> str:
        return self.base

    @property
    def dashboard(self) -> str:
        return self.base

    @property
    def web_acl(self) -> str:
        return self.base

    @property
    def session_document(self) -> str:
        return f"{self.base}-shell"

    @property
    def operator_policy(self) -> str:
        return f"{self.base}-operator-sessions"

    @property
    def release(self) -> str:
        """The CodeDeploy application and deployment group that release the service (R20)."""
        return self.base


def _elb_name(name: str) -> str:
    if len(name) > ELB_NAME_LIMIT:
        raise ValueError(f"{name!r} exceeds the {ELB_NAME_LIMIT}-character ELB name limit")
    return name
