"""Service wiring: configuration, storage, the WeChat callback, platform clients and the CLI."""
