"""The deterministic checks of the statistics: `checks.check(stats, previous)` returns the
findings (last year's statistics, when given, for the year-on-year rules); `findings` is
the vocabulary every stage reports in (codes, severities, locations).
"""
