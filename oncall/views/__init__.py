"""The on-call pages, a module per page family: now.py (who is on call), schedules.py (with the
timeline drawn by timeline.py), policies.py, profile.py; teams.py holds what the list pages share.

Views parse the request and call selectors and services; a service's refusal becomes a form error
or a message. Another team's schedule or policy is a 404; a viewer gets no forms and a 403 on POST.
"""
