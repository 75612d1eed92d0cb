"""The trainer specialist."""
