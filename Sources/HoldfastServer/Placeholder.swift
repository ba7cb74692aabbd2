// Module HoldfastServer: implementation pending.
