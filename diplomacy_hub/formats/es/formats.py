"""Spanish: "lunes 7 de diciembre de 2026, 14:30", "lun 7 dic., 14:30"."""

DATETIME_FORMAT = r"l j \d\e F \d\e Y, H:i"
SHORT_DATETIME_FORMAT = "D j N, H:i"  # N: "dic." (M would give "Dic")
DATE_FORMAT = r"j \d\e F \d\e Y"
SHORT_DATE_FORMAT = "j N Y"
MONTH_DAY_FORMAT = r"l j \d\e F"
YEAR_MONTH_FORMAT = r"F \d\e Y"
TIME_FORMAT = "H:i"
