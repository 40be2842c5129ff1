"""Ruche: adoption analytics for enterprise social networks."""

__version__ = "0.1.0"
