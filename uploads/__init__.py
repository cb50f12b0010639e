"""Uploads: upload sessions and chunk staging, and the tasks that assemble, checksum and expire them."""
