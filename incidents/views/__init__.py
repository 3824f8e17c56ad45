"""The incidents app's web pages, a module per page family: incidents.py (the list and the incident
page with its actions), severity.py (changing the severity from the page), panel.py (the Communicate → Learn → Act panel's small forms), services.py
(services, their integrations and maintenance windows)."""
