"""Herald: a Slack bot that keeps product stakeholders informed without meetings."""
