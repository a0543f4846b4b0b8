"""The LRs a notebook cell's code loops over: ``for lr in [0.0001, 0.001, 0.01, 0.1]:``.

A cell that trains once per LR in a loop prints a run for each (``notebook``'s
``<stem>:cell<N>#<k>``), often without printing the LR in a form a log layout reads (a bare
``print(lr)``). Where the cell's code holds exactly one such loop over a literal list of
numbers, as many as the runs it printed, the k-th run trained at the k-th LR. The code is
parsed (``ast``), never run; IPython's ``%magic`` and ``!shell`` lines are left out first.
"""

from __future__ import annotations

import ast
import math
import re

# the loop variable of an LR loop: ``lr``, ``learning_rate``, ``learningrate`` (any case)
_LR_VARIABLE = re.compile(r"(?:lr|learning_?rate)", re.IGNORECASE)
# words in the cell's code that mean the LR changes within a run: the loop's value is its start
SCHEDULE_WORDS = re.compile(r"schedul|warmup|decay|cosine|onecycle|reducelronplateau",
                            re.IGNORECASE)
_MAGIC = re.compile(r"^\s*[%!?]")
_MOST = 10.0  # no LR above this is a plausible value of such a list


def loop_lrs(source: str) -> tuple[float, ...] | None:
    """The values of the one ``for <lr> in <list of numbers>:`` loop of a cell's code (the list
    written in the loop, or bound to a name by a plain assignment earlier in the cell); None
    where there is no such loop, more than one, a value that is no plausible LR, or code that
    does not parse."""
    code = "\n".join("" if _MAGIC.match(line) else line for line in source.splitlines())
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return None
    bound = {target.id: node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
             for target in node.targets if isinstance(target, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) \
                and _LR_VARIABLE.fullmatch(node.target.id):
            listed = bound.get(node.iter.id) if isinstance(node.iter, ast.Name) else node.iter
            found.append(_numbers(listed))
    if len(found) != 1 or found[0] is None:
        return None
    return found[0]


def _numbers(node: ast.expr | None) -> tuple[float, ...] | None:
    """The values of a list or tuple literal of positive, plausible numbers; None otherwise."""
    if not isinstance(node, (ast.List, ast.Tuple)) or not node.elts:
        return None
    values = []
    for element in node.elts:
        if not (isinstance(element, ast.Constant) and isinstance(element.value, (int, float))
                and not isinstance(element.value, bool)):
            return None
        value = float(element.value)
        if not (math.isfinite(value) and 0 < value <= _MOST):
            return None
        values.append(value)
    return tuple(values)
