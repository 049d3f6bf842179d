"""sp-reports' SP-API library: regions, LWA, HTTP client, Reports, Notifications, token store, credentials."""
