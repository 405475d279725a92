"""Membership reports (polars, Jinja2, PDF); they read through `registry`."""
