// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#if canImport(Glibc)
import Glibc
#endif

// SwiftPM links executables with `--defsym main=<Module>_main`, so libFuzzer's own main()
// cannot be used; this top-level code hands control to libFuzzer's driver instead.
var arguments = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&arguments, &argv, { data, size in fuzzWireCodec(data, size) }))
