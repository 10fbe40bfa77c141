"""The platform-free core: API bodies, the Signal API client and emulator, the store, the service."""
