"""Model repository: model details of AI/ML products, versions, training runs, artifacts,
format detection, downloads, the repository summary and version comparison."""
