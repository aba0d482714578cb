"""The thin ``run(config)`` of each stage: read its input tables, call the pure cores, write its outputs."""
