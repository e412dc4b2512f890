"""The desktop app (Qt only): main window, views, table models, workers, dialogs."""
