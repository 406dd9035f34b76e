"""Data files shipped with fnnet; see ``fnnet.data.diabetes_csv``."""
