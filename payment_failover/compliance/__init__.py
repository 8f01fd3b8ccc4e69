"""Compliance: the cdk-nag gate, every acknowledged finding, and the confused-deputy conditions."""
