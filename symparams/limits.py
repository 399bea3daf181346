"""The largest number any size may be: one bound shared by the config reader and the Spec.

Totals of 10^15 and far beyond stay exact below it, while every reading (printing
digits, rounding for people, float ratios) stays fast and within range.
"""

__all__ = ["MAX_VALUE"]

# No symbol's value (nor numerator or denominator) may exceed this.
MAX_VALUE = 10**50
