"""Small DataFrame helpers shared by the domain modules and the assets."""

from __future__ import annotations

import pandas as pd


def stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of frames with the same columns, in the first frame's column order. Empty frames and all-missing
    columns are left out of the concatenation: they would only blur the column types."""
    present = [frame.dropna(axis=1, how="all") for frame in frames if len(frame)]
    if not present:
        return frames[0].reset_index(drop=True)
    return pd.concat(present, ignore_index=True).reindex(columns=frames[0].columns)
