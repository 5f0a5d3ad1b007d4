"""A sparse linear program as arrays, and its solution by HiGHS.

The program is built as coordinate triplets (row, column, value) with numpy, never one Python
object per variable, and handed to HiGHS (Huangfu and Hall, Math. Prog. Comp. 10, 2018)
row-wise in one call. One thread and fixed options: the same program gives the same bytes.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


class LinearProgramError(RuntimeError):
    """HiGHS ended without an optimal solution (the program is built always feasible, so this
    is a modelling or numerical fault, not bad input)."""


@dataclass(frozen=True)
class LinearProgram:
    """minimise cost · x subject to row_lower <= A x <= row_upper, lower <= x <= upper;
    A given as triplets (`rows`, `columns`, `values`), each (row, column) at most once."""

    cost: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    row_lower: NDArray[np.float64]
    row_upper: NDArray[np.float64]
    rows: NDArray[np.intp]
    columns: NDArray[np.intp]
    values: NDArray[np.float64]


def solve(program: LinearProgram) -> NDArray[np.float64]:
    """The optimal column values; raises LinearProgramError if HiGHS finds none."""
    # Loaded with the first program: HiGHS adds tens of MiB to every process that imports
    # the core (job workers under their memory cap among them), and only `optimal` needs it.
    import highspy
    from highspy._core import _Highs

    n_rows = len(program.row_lower)
    order = np.lexsort((program.columns, program.rows))
    starts = np.searchsorted(program.rows[order], np.arange(n_rows + 1)).astype(np.int32)
    lp = highspy.HighsLp()
    lp.num_col_ = len(program.cost)
    lp.num_row_ = n_rows
    lp.col_cost_ = program.cost
    lp.col_lower_ = program.lower
    lp.col_upper_ = program.upper
    lp.row_lower_ = program.row_lower
    lp.row_upper_ = program.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = len(program.cost)
    lp.a_matrix_.num_row_ = n_rows
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = program.columns[order].astype(np.int32)
    lp.a_matrix_.value_ = program.values[order]
    # The binding's own class: highspy.Highs turns on callbacks in its constructor, which
    # prints HiGHS's banner to stdout before output_flag can be set (ERGO-Code/HiGHS#2749).
    highs = _Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("random_seed", 0)
    highs.passModel(lp)
    highs.run()
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise LinearProgramError(f"HiGHS: {highs.modelStatusToString(status)}")
    return np.asarray(highs.getSolution().col_value, dtype=np.float64)
