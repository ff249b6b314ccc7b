"""Importing CSV/XLSX files: reading, column mapping and presets, row cleansing, the job."""
