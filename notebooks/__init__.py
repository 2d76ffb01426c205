"""Makes notebooks/conftest.py importable as ``notebooks.conftest``.

Without it pytest would import it, like tests/conftest.py, as a module named
``conftest``, and ``--doctest-modules`` over both directories then fails with
"import file mismatch".
"""
