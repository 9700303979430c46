"""Blueprints: each a thin adapter from HTTP to one function of the register."""
