# Django ships Kazakh translations but no Kazakh formats, so numbers and dates fell back to
# English conventions ("5,000,000", "March 31, 2026"). Kazakh writes "5 000 000" and
# "2026 жылғы 22 желтоқсан": the year first, the month in lower case. "E" is Django's month
# name "alt. month", which our Kazakh catalogue (locale/kk) gives in lower case; "F" (Django's
# own, capitalised) is for a month standing alone.
DATE_FORMAT = "Y жылғы j E"
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "Y жылғы j E, H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
MONTH_DAY_FORMAT = "j E"
YEAR_MONTH_FORMAT = "Y жылғы E"
FIRST_DAY_OF_WEEK = 1
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
