"""Support and abuse: tickets with departments and attachments, inbound mail, abuse reports and
their deadlines."""
