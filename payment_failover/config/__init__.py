"""Configuration: the settings schema, its value types and sources, and the AWS catalogue it is checked against.

Imports no construct: a refused setting answers before any jsii or aws_cdk module loads.
"""
