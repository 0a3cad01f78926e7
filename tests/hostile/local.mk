# Hostile varlink clients against the daemon, and the varlink layer's unit tests.
