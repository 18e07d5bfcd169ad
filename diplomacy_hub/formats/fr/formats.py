"""French: "lundi 7 décembre 2026, 14:30", "lun 7 déc., 14:30"."""

DATETIME_FORMAT = "l j F Y, H:i"
SHORT_DATETIME_FORMAT = "D j N, H:i"  # N: "déc." (M would give "Déc")
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j N Y"
MONTH_DAY_FORMAT = "l j F"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
