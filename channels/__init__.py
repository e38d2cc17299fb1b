"""The omnichannel hub and the channel adapters (parse in, send out)."""
