print("holdfastd: not yet implemented")
