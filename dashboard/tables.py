"""How a table reads on screen: every column labelled (:data:`dashboard.words.LABELS`), shares as
percentages, times with their time zone, "never" where a date is missing because the thing never
happened, people by a short pseudonym label, and a one-line meaning in the tooltip of a technical
column, all in the language in use."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import format as fmt
from dashboard.words import COLUMN_TERMS, LABELS, NEVER, PERCENT, TIME_ZONE, meaning
from metrics.figures import STORED_WORDS
from ruche.i18n import _

#: Columns of decimals shown with other than two digits.
FLOAT_FORMATS = {"seconds": "%.1f", "betweenness": "%.3f", "first_reply_median_hours": "%.1f",
                 "first_reply_p90_hours": "%.1f"}
#: A time on screen: the store's times are UTC (momentjs format, as Streamlit reads it).
TIME_FORMAT = f"YYYY-MM-DD HH:mm [{TIME_ZONE}]"


def label(column: str) -> str:
    """A column's label in the language in use.

    >>> label("rows_rejected"), label("some_new_column")
    ('rejected', 'some new column')
    """
    return _(LABELS[column]) if column in LABELS else column.replace("_", " ")


def readable(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame as the screen shows it: ``person_id`` as a short label (``person``), the dates of
    :data:`NEVER` as text with "never" for none.

    >>> from datetime import date
    >>> readable(pl.DataFrame({"person_id": ["e9ca810f910eeed4"], "last_contribution": [None]},
    ...                       schema={"person_id": pl.Utf8, "last_contribution": pl.Date})).rows()
    [('person e9ca810f', 'never')]
    """
    exprs, never = [], _("never")
    if "person_id" in frame.columns:
        before, _field, after = fmt.PERSON().partition("{pseudonym}")
        exprs.append(pl.when(pl.col("person_id").is_null()).then(pl.lit(fmt.person(None)))
                     .otherwise(pl.lit(before) + pl.col("person_id").str.slice(0, 8) + pl.lit(after))
                     .alias("person_id"))
    for c in [c for c, dtype in frame.schema.items() if dtype == pl.Utf8 and c not in NEVER and c != "person_id"]:
        # the words the measures write themselves (metrics.figures.STORED_WORDS), in the language in use
        exprs.append(pl.col(c).replace({word: _(word) for word in STORED_WORDS}).alias(c))
    for c in NEVER & set(frame.columns):
        exprs.append(pl.col(c).cast(pl.Date).cast(pl.Utf8).fill_null(never).alias(c)
                     if frame.schema[c] != pl.Utf8 else pl.col(c).fill_null(never))
    frame = frame.with_columns(exprs) if exprs else frame
    return frame.rename({"person_id": "person"}) if "person_id" in frame.columns else frame


def config(frame: pl.DataFrame, **overrides) -> dict:
    """A ``column_config`` for every column of ``frame``: its label, its format, its meaning."""
    out = {}
    for name, dtype in frame.schema.items():
        text, help = label(name), meaning(COLUMN_TERMS.get(name, ""))
        if name in PERCENT:
            out[name] = st.column_config.NumberColumn(text, format="percent", help=help)
        elif isinstance(dtype, pl.Datetime):
            out[name] = st.column_config.DatetimeColumn(f"{text} ({TIME_ZONE})", format=TIME_FORMAT, help=help)
        elif dtype == pl.Date:
            out[name] = st.column_config.DateColumn(text, format="YYYY-MM-DD", help=help)
        elif dtype.is_integer():
            out[name] = st.column_config.NumberColumn(text, format="%d" if name == "run_id" else "localized",
                                                      help=help)
        elif dtype.is_float():
            out[name] = st.column_config.NumberColumn(text, format=FLOAT_FORMATS.get(name, "%.2f"), help=help)
        else:
            out[name] = st.column_config.TextColumn(text, help=help)
    out.update(overrides)
    return out


def show(frame: pl.DataFrame, key: str | None = None, column_config: dict | None = None, **kw) -> None:
    """``st.dataframe`` of the frame as it reads on screen (:func:`readable`, :func:`config`)."""
    frame = readable(frame)
    st.dataframe(frame, hide_index=True, width="stretch", key=key,
                 column_config=config(frame, **(column_config or {})), **kw)
