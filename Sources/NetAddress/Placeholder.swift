// Module NetAddress: implementation pending.
