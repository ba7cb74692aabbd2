// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// libFuzzer's driver (compiler-rt `FuzzerDriver.cpp`), linked by `-sanitize=fuzzer`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafeRawPointer?, Int) -> CInt
) -> CInt
