"""Water-house scan, money trace and their reports. Import the submodules you need; this stays light."""
