// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation

/// Finds programs the fixtures run: Debian tools in the usual directories, and the built
/// Holdfast binaries (env `HOLDFAST_BIN_DIR`, else the directory holding the test bundle).
public enum Executables {
    static let systemDirectories = ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"]

    /// Absolute path of a system tool such as "nsd", "dig" or "systemd-analyze".
    public static func find(_ name: String) throws -> String {
        for directory in systemDirectories where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
            return directory + "/" + name
        }
        throw TestSupportError.startFailed("\(name) not found in \(systemDirectories); run `make deps`")
    }

    /// Whether a system tool is installed.
    public static func isInstalled(_ name: String) -> Bool { (try? find(name)) != nil }

    /// The SwiftPM bin directory holding `holdfastd` and `holdfastctl`.
    public static func holdfastBinDirectory() throws -> String {
        if let fromEnvironment = ProcessInfo.processInfo.environment["HOLDFAST_BIN_DIR"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        // The test bundle (…/debug/HoldfastPackageTests.xctest, an executable on Linux) sits
        // in the bin directory next to holdfastd.
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? ""
        var directory = URL(fileURLWithPath: selfPath).deletingLastPathComponent()
        for _ in 0..<4 {
            if FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("holdfastd").path) {
                return directory.path
            }
            directory = directory.deletingLastPathComponent()
        }
        throw TestSupportError.startFailed("cannot find the bin directory: set HOLDFAST_BIN_DIR (swift build --show-bin-path)")
    }

    /// Absolute path of a built Holdfast program ("holdfastd", "holdfastctl").
    public static func holdfast(_ name: String) throws -> String {
        let path = try holdfastBinDirectory() + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSupportError.startFailed("\(path) is not built: run `swift build` first")
        }
        return path
    }
}
