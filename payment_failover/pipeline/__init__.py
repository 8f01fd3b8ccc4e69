"""Delivery: the self-mutating pipeline that deploys the Stage, and its settings."""
