"""Writes for e-mail campaigns: definitions (`mailings`), the audience snapshot (`audience`),
sending (`sending`), tracking and unsubscribes (`tracking`), inbound bounces (`bounces`)."""
