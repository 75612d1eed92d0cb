"""The Librarian: its config and factory. The factory is what `--agent` plug-ins provide too."""

from pydantic import BaseModel, Field

from posttrain.agents.prompts import load_prompt
from posttrain.agents.specialist import Specialist


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

    config = config or LibrarianConfig()
    return Specialist(
        name=config.name,
        description=config.description,
        system_message=load_prompt("librarian"),
        debate_stance=config.debate_stance,
        model_client=model_client,
        bind_tools=make_librarian_tools,
        builtin=True,
    )
