"""gridwork: a low-code rules-and-forms platform for grid-based governance (网格化管理)."""

__version__ = "0.1.0"
