"""Live fan-out between connections: in one process, or across processes over Redis pub/sub."""
