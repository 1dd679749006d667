"""Helpers the tests share: worlds built in the store, chats driven through the emulators."""
