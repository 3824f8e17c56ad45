"""Configuration as code: `manage.py vigil export` writes teams, members, schedules (layers and
restrictions), escalation policies, services and integrations to one YAML file, and
`manage.py vigil apply FILE` makes the database match it (README: "Configuration as code").

yaml_lines.py reads YAML keeping line numbers; export.py turns the database into the document;
document.py reads and checks a file's document; plan.py compares the two into changes; writes.py
carries each change out through the owning service; apply.py runs it all in one transaction."""
