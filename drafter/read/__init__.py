"""Readers: each turns a file back into data (tables as grids, paragraphs as text)."""
