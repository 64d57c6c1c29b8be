"""A compiled X12 validator: the gateway's maps as walk plans and element checks.

pyx12 (:mod:`..pyx12_engine`) is the reference: the same maps, loaded by pyx12, are compiled here
into what its walker and element checks would do, so the findings are the same, at a fraction of
the cost. :mod:`.walk_plans` works out where a segment id goes from each map node, and what to
count and check on the way; :mod:`.contents` compiles each segment's element checks into a test
that accepts clean content in one pass, mostly one regular expression (:mod:`.patterns`); content
it does not accept goes to pyx12's element checks, whose findings are the reference's;
:mod:`.machine` runs a transaction set through them one segment at a time, holding only the
counts and the loop stack; :mod:`.validator` is the :class:`~..validation.TransactionValidator`.
Nothing is remembered per segment content: what is kept is per map node and segment id (the
walk) and per number of elements and separators (the patterns), which a file of any variety
reuses. ``tests/conformance/test_compiled_validator.py``
proves the findings equal to pyx12's over the corpus and generated files.
"""

from .validator import CompiledValidator

__all__ = ["CompiledValidator"]
