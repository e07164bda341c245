"""Judging what was read: cells (cells → rows), rules (plain functions of rows and context), word
(Word records), branch (branch and period resolution), monthly (the six-aspect standard)."""
