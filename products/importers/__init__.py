"""Importers and exporters: the catalog format, Spack recipes, xSDK compatibility files."""
