"""The district council: sessions, inquiries, the departments' statements, the session pack,
what follows a session, and the figures. No texts here (see `bot.messages.council*`)."""
