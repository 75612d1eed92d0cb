"""The specialists: one folder per role, collected by a registry that plug-ins use too."""
