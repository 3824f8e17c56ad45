"""The audit log: who changed which team, schedule, policy, contact method or token, when, through
what (web, API, admin, a command), and the fields before and after. See README "Audit log"."""
