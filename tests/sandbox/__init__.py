"""Tests of the Telegram and Twilio emulators."""
