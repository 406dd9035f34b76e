"""Numba-compiled kernels.

This is the only package in fnnet that imports numba. Every kernel is a plain
function compiled at module level and has a readable NumPy twin that its
docstring names; ``tests/test_kernels.py`` holds each pair together.
"""
