// Module HoldfastResolver: implementation pending.
