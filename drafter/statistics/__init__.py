"""Statistics in: the statistics file read and validated into `stats.Stats`
(`load.load_stats`, YAML or an Excel `workbook`), written for a clerk to fill
(`template`, `workbook`, `schema`), read back from a published report (`extract`), and
named as the quantities a report may state (`quantities`).
"""
