"""Tests of the cot-imitation live check."""
