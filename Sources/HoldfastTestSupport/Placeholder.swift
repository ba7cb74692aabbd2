// Module HoldfastTestSupport: implementation pending.
