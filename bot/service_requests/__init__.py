"""预约 and 帮办代办 requests made in conversations, kept for the centre's staff."""
