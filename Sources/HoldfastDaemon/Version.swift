// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The release version printed by `holdfastd --version` and `holdfastctl --version`.
public enum HoldfastVersion {
    public static let string = "0.1.0"
}
