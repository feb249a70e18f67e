"""Reports (리포트) for supervisors and admins: volume, response times, SLA, CSAT, self-service, agents, phone."""
