# Fleet: compare and baseline over host documents, and their bench.
