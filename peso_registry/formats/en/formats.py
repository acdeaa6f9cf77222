"""Dates as the registry shows them, whatever the reader's locale: ISO 8601 (YYYY-MM-DD),
and timestamps to the minute in UTC (the site's only time zone). A date rendered in a
template without an explicit format (``{{ membership.joined_at }}``) reads these."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y-m"
MONTH_DAY_FORMAT = "m-d"
FIRST_DAY_OF_WEEK = 1  # Monday, as ISO 8601 counts
