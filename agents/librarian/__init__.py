"""The Librarian specialist: `LibrarianConfig` and `build_librarian`."""

from posttrain.agents.librarian.agent import LibrarianConfig, build_librarian


__all__ = ["LibrarianConfig", "build_librarian"]
