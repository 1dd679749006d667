"""Tests of the processes' adapters: Telegram, Twilio, the dashboard's pages, exports, logs."""
