"""Where messages enter and leave: HTTP app, channels, command line."""
