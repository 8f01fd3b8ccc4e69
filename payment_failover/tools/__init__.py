"""Reports computed from synthesized templates (budget, diagram, change table, compliance map).

A synth never imports this package.
"""
