"""Tests against the deployed stack: a package, so its package-scoped deployment ends with its last test."""
