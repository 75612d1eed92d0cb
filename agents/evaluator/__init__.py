"""The evaluator specialist."""
