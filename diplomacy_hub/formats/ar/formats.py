"""Arabic: "الاثنين 7 ديسمبر 2026، 14:30", with the Arabic comma, Western digits (as the
ministry's Arabic website writes them) and the 24-hour clock. The page is right to left; the
browser's bidi algorithm keeps the numbers in order."""

DATETIME_FORMAT = "l j F Y، H:i"
SHORT_DATETIME_FORMAT = "l j F، H:i"  # D would give the same word as l, less familiar
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j F Y"
MONTH_DAY_FORMAT = "l j F"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
