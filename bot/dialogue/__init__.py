"""Conversations: state per channel and sender, follow-ups, answers to the bot's own questions."""
