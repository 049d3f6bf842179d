"""Analytics-ready output: typed tables (Parquet, catalogued in Glue, queried with Athena) made from the raw
report documents the pipeline stores.

`table_schemas` holds what a table is (its columns, types, keys and sources, read from `table_schemas.json`)
and where its files go under `curated/`. The package builds on `sp_reports.spapi` and the standard library
only; pyarrow is imported by `parquet_files` alone, so no other function's zip carries it.
"""
