"""The Twilio adapter: WhatsApp and SMS share it. Signed webhooks in (`webhook`), Twilio's form parsed
into `Inbound` (`inbound`, `media`), replies rendered as text with numbered choices (`render`) and sent
through the REST API (`sender`), delivery status callbacks onto the outbox's attempts (`status`).
`setup.register` wires it into the process."""
