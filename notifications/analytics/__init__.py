"""Response analytics (issue 12 §4): how fast incidents are acknowledged, mitigated and resolved,
where they come from, who gets paged and how often at night, and how often nobody answered the
first step.

Every figure is computed over one set of incidents, `filters.analytics_incidents`: the person's
teams, the period (by when each incident was triggered, in UTC), and the chosen team, service and
severity. Two ways to the same numbers:

- PostgreSQL: aggregated in SQL (`postgres.py`): one GROUPING SETS query for the response times
  of every breakdown, with `percentile_cont` for the median and p90, and one for the pages, each
  person's night hours taken `AT TIME ZONE` their own profile zone. The rows never leave the
  database, so the page costs the same few queries at any size.
- SQLite (the laptop default): the period's rows are read and the same figures computed in
  Python (`python_path.py`), with the same linear interpolation between the closest ranks that
  `percentile_cont` uses. Fine for a demo's or a small team's data, not for millions of rows.

The package lives in notifications because it reads pages (notifications.models.Page) as well as
incidents and on-call profiles; incidents never imports notifications.
"""
