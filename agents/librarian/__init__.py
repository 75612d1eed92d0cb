"""The librarian specialist."""
