"""Hub tools for the Data Engineer: search Hub datasets and inspect one (metadata, viewer splits/schema/rows, fit).

>>> from posttrain.tools.hub import search_datasets, inspect_dataset
>>> search_datasets("gsm8k", limit=5).datasets[0].id
"""

from posttrain.tools.hub.report import DatasetReport, SplitInfo, inspect_dataset
from posttrain.tools.hub.search import DatasetHit, DatasetHits, search_datasets


__all__ = ["DatasetHit", "DatasetHits", "DatasetReport", "SplitInfo", "inspect_dataset", "search_datasets"]
