"""Errors a user can act on. The command line prints their message, without a traceback."""


class RucheError(Exception):
    """Base of every error whose message alone tells the user what to fix."""
