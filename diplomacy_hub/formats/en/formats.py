"""English: "Monday 7 December 2026, 14:30", "Mon 7 Dec, 14:30" (a 24-hour clock, the day
first, as the ministry writes in both languages)."""

DATETIME_FORMAT = "l j F Y, H:i"
SHORT_DATETIME_FORMAT = "D j M, H:i"
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
MONTH_DAY_FORMAT = "l j F"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
