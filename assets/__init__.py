import dagster as dg
import pandas as pd


def markdown_table(frame: pd.DataFrame) -> dg.MetadataValue:
    """A frame of counts as a table in the Dagster UI."""
    return dg.MetadataValue.md(frame.to_markdown(index=False))
