"""The Librarian: its config and factory. The factory is what `--agent` plug-ins provide too."""

from pydantic import BaseModel, Field

from posttrain.agents.specialist import Specialist, builtin_specialist


class LibrarianConfig(BaseModel):
    name: str = Field("Librarian", description="Agent name in the team and the transcript.")
    description: str = Field(
        "Finds techniques and papers (arXiv, Semantic Scholar, HF Papers) for the plan and cites them by id.",
        description="What the Manager reads when delegating.",
    )
    debate_stance: str = Field(
        "argues from the literature: which technique fits the current failure mode, with paper ids and reported hyperparameters",
        description="What this specialist argues from in debates.",
    )


def build_librarian(model_client, config: LibrarianConfig | None = None) -> Specialist:
    """Build the Librarian specialist around a brain's model client."""
    from posttrain.agents.librarian.tools import make_librarian_tools

    return builtin_specialist(config or LibrarianConfig(), "librarian", model_client, make_librarian_tools)
