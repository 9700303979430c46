"""Photos named as files beside an imported file (people, frontage cards): re-encoded, then stored once valid."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from grids.photos import photo_file_name
from grids.validation import Problem

from ..errors import ValidationFailed
from ..storage.photos import reencode, save_encoded

__all__ = ["photo_files", "store_photo_files"]


def photo_files(photos, codes, photo_dir, problems, what: str = "people file",
                upload: str = "POST /api/v1/people/{phone}/photo") -> dict:
    """Return {file name: (bytes, ext)} of the photo files the rows name, re-encoded; refuse the rest.

    ``photos``: each row's photo cell; ``codes``: each row's code or ref (named in a problem);
    ``what``: the file the photos must lie beside; ``upload``: the API call that stores one instead.
    """
    codes_of, distinct = pd.factorize(np.asarray(photos, dtype=object))
    rows = np.flatnonzero(codes_of >= 0)
    first = rows[np.unique(codes_of[rows], return_index=True)[1]]  # the first row naming each distinct value
    encoded = {}
    for i, value in zip(first.tolist(), distinct.tolist()):
        name = photo_file_name(value)
        if name is None:
            continue
        code = codes[i]
        if photo_dir is None:
            problems.append(Problem(i, code, f"photo {name!r} names a file, but these rows "
                                    f"come from no folder; upload it with {upload}"))
            continue
        path = Path(photo_dir) / name
        if not path.is_file():
            problems.append(Problem(i, code, f"photo {name!r} is not a file beside the {what}"))
            continue
        try:
            encoded[name] = reencode(path.read_bytes(), f"photo {name!r}")
        except ValidationFailed as exc:
            problems.append(Problem(i, code, exc.detail))
    return encoded


def store_photo_files(encoded: dict, instance) -> dict:
    """Store each re-encoded photo file once; return {file name: the photo's app URL}."""
    return {name: save_encoded(instance, data, ext) for name, (data, ext) in encoded.items()}
