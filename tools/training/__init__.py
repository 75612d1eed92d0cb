"""training tools."""
