"""Slack beyond sending a page (that is channels/slack.py): slash commands (commands.py, with
oncall.py for `/oncall`), the Events API and 📌 pins (events.py), each incident's own channel
(incident_channel.py), the service channel message kept in step (sync.py), linking Slack members
to Vigil people (people.py), and the Celery tasks for them (tasks.py)."""
