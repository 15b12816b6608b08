"""drafter: 政府信息公开工作年度报告的统计校验与起草工具.

The package's public functions are plain library calls that return data; the command line
(`drafter.cli`) only parses arguments, calls them and prints.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
