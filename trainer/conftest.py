"""pytest root for the trainer: its presence puts trainer/ on sys.path, so tests import olp_trainer."""
