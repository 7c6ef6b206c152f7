"""Adapters for media users upload: the only place the server decodes an image (Pillow)."""
