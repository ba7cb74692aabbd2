print("holdfastctl: not yet implemented")
