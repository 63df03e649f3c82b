# Django ships Kazakh translations but no Kazakh formats, so numbers and dates fell back to
# English conventions ("5,000,000", "March 31, 2026"). Kazakh writes "5 000 000" and
# "31 Наурыз 2026 ж." (month names are Django's kk translations).
DATE_FORMAT = r"j F Y \ж."
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = r"j F Y \ж. H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = r"F Y \ж."
FIRST_DAY_OF_WEEK = 1
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
