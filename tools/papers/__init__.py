"""papers tools."""
