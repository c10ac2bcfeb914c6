"""Service plumbing: settings, credentials, error mapping, dependencies."""
