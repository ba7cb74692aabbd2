import HoldfastCtl

Holdfastctl.main()
