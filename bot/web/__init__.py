"""HTTP: platform endpoints (Slack events, Discord interactions), health and pages."""
