"""An activity's reference, "area.insats.activity" (3.2.3): the one definition that every URL,
API parameter and plan workbook reads it by.

Each part is a number the database keeps in a PositiveSmallIntegerField, so any number up to
32,767 is a possible reference: a plan at 1000× the real one holds some 2,300 activities per
insats. A part of more digits cannot name anything and is refused before it reaches a query.
"""

# PositiveSmallIntegerField's upper bound on every database Django supports.
MAX_NUMBER = 32767
# ASCII digits only: "²" is a digit to str.isdigit() but not to int(); \d takes any script's.
PART = r"[0-9]{1,5}"
PATTERN = rf"{PART}\.{PART}\.{PART}"
