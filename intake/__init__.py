"""Batch intake of employers for the a.s.r. payroll link with Loket.nl."""

from __future__ import annotations

__version__ = "0.1.0"
