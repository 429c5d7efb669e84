"""Everything that writes the database: the source catalogue, fetch, readers, schema, build."""
