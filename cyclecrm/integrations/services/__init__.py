"""Writes of the e-mail integration: mailboxes and templates (configuration), the IMAP poll
(inbound) and sending (outbound)."""
