# Benchmarks: probe time against a bare open/read/close loop.
