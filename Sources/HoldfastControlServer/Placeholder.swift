// Module HoldfastControlServer: implementation pending.
