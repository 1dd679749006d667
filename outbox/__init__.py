"""The outbox: every change of state of a message to someone other than the person being answered."""
