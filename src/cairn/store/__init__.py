"""The experiment database: schema, migrations, queries, downsampling and the artifact store."""
