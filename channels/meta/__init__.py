"""Meta's platforms (Messenger and Instagram Direct now; WhatsApp next): signed webhooks in, Graph API out."""
