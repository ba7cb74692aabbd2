// Module HoldfastCache: implementation pending.
