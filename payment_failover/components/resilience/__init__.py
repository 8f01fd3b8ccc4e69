"""Resilience: zonal shift and autoshift, and the AZ-loss drills."""
