// Module HoldfastCtl: implementation pending.
