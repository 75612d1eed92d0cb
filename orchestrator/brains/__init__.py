"""Brains: the offline playbook and OpenAI-compatible endpoints."""
