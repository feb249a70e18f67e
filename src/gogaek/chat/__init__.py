"""Real-time chat (실시간 채팅 상담): conversations, the answer bot, queue and handoff."""
