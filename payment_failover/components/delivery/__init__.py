"""Delivery of the service (R20): its revision, and releases one Availability Zone at a time."""
