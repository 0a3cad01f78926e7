# Unit tests (cmocka): decoders and parsers from raw values.
