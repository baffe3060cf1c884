"""How dates and times read on the staff pages in English (en-gb, en): one unambiguous format, the one our
templates and exports use (2026-12-02, 2026-12-02 09:30), instead of Django's "2 Dec 2026, 9:30 a.m." beside
them. Input formats stay Django's for the locale."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
