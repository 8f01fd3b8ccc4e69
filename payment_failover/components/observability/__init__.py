"""Observability: metrics, alarms, the failover topic, dashboards, gray-failure detectors and encrypted log archives."""
