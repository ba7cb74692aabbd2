// Module HoldfastDaemon: implementation pending.
