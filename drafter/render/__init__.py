"""Renderers: each turns a `Report` into the bytes of one file format, and nothing else."""
