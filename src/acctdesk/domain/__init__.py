"""The rules of the domain, each in one place (no Qt, no SQL, no storage).

* :mod:`.accounts` -- which account is a customer on a date, the churn-risk fallback from the
  health score, how account attributes are compared;
* :mod:`.statuses` -- subscription and deal statuses: paying, trial, pipeline, ended, and the
  CRM deal statuses that are pipeline and never revenue;
* :mod:`.money` -- currency symbols and money formatting;
* :mod:`.dates` -- day numbers, ISO dates, calendar months;
* :mod:`.numbers` -- numbers made safe for JSON (no NaN, no Infinity);
* :mod:`.pack_format` -- the names that mark a priority pack, shared by its writer and its
  reader.

Every other package may import these modules; they import nothing of acctdesk's but
:mod:`acctdesk.frames`.
"""
