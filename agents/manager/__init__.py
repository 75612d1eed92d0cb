"""The manager specialist."""
