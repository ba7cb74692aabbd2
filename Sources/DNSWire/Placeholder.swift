// Module DNSWire: implementation pending.
