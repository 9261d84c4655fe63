"""Reading scoresheets, one module per concern: `headers` (finding a table's header and its columns), `table` (a
consolidated sheet), `form` (a per-unit form), `framework_sheet` (the "Tiêu chí" sheet), `consolidate` (all
sheets of all files → one table per year). `scoring.reader` is the entry point."""
