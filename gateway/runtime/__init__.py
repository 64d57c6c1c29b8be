"""Running the gateway: the daemon loop, crash points for the crash tests, signals."""
