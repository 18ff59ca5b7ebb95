"""The staff console: take conversations over, answer, hand back, and work through 帮办代办
requests, bookings and messages, with live updates."""
