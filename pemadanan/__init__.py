"""Dagster-free domain logic of pemadanan: identifiers, names, regions, synthetic data, linkage."""
