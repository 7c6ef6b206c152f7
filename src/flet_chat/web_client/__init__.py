"""What the browser loads besides the chat itself: the Flet web client's index page with our
patches, its fallback fonts (bundled, see fonts.py), the manifest and icons (assets/)."""
