"""hub tools."""
