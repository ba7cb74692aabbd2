// Module HoldfastConfig: implementation pending.
