# CLI golden tests, schema validation, valgrind and sanitizer runs.
