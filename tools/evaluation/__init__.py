"""evaluation tools."""
