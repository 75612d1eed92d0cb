"""The Librarian: its config and factory. The factory is what `--agent` plug-ins provide too."""

from posttrain.agents.specialist import Specialist, SpecialistConfig, builtin_specialist


class LibrarianConfig(SpecialistConfig):
    name: str = "Librarian"
    description: str = "Finds techniques and papers (arXiv, Semantic Scholar, HF Papers) for the plan and cites them by id."
    debate_stance: str = "argues from the literature: which technique fits the current failure mode, with paper ids and reported hyperparameters"


def build_librarian(model_client) -> Specialist:
    """Build the Librarian specialist around a brain's model client."""
    from posttrain.agents.librarian.tools import make_librarian_tools

    return builtin_specialist(LibrarianConfig(), "librarian", model_client, make_librarian_tools)
