"""German: "Montag, 7. Dezember 2026, 14:30", "Mo., 7. Dez., 14:30"."""

DATETIME_FORMAT = "l, j. F Y, H:i"
SHORT_DATETIME_FORMAT = "D., j. N, H:i"  # N: "Dez.", and "Mai" without a dot
DATE_FORMAT = "j. F Y"
SHORT_DATE_FORMAT = "j. N Y"
MONTH_DAY_FORMAT = "l, j. F"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
