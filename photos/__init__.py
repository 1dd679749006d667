"""The photo pipeline: an upload checked, stripped of metadata and stored as our own normalised JPEG."""
