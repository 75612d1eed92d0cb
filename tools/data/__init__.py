"""data tools."""
