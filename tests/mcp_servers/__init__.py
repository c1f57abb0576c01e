"""Python MCP servers, built with the official ``mcp`` SDK, that conduit's tests connect to."""
