"""Claim and actor-pair stance pipeline.

Importing the package registers the shipped model families (their settings
only: the heavy model modules load on first use) and gold corpora, so that
any config loads the same way from the command line, a notebook or a test.
"""

from pipeline import corpora, models  # noqa: F401  (registers the shipped families and corpora)
