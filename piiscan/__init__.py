"""piiscan: find personal data where it is kept, and say exactly where, without copying it."""

__version__ = "0.1.0"
