// Module HoldfastControlModels: implementation pending.
