"""The data_engineer specialist."""
