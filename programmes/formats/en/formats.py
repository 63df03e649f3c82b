# English as this site writes it (British, day first): "22 December 2026", not Django's
# American "Dec. 22, 2026". Everything not set here is Django's English.
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"
