// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// Renders rows as aligned columns: widths from the widest cell, numbers right-aligned where
/// asked, two spaces between columns, no trailing spaces.
public struct TextTable: Sendable {
    public var header: [String]?
    public var rows: [[String]]
    /// Indexes of right-aligned columns.
    public var rightAligned: Set<Int>

    public init(header: [String]? = nil, rows: [[String]], rightAligned: Set<Int> = []) {
        self.header = header
        self.rows = rows
        self.rightAligned = rightAligned
    }

    public func render(indent: String = "") -> String {
        let all = (header.map { [$0] } ?? []) + rows
        let columns = all.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in all {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return all.map { row in
            var line = indent
            for (index, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { line += "  " }
                line += rightAligned.contains(index) ? pad + cell : cell + pad
            }
            while line.last == " " { line.removeLast() }
            return line + "\n"
        }.joined()
    }
}

/// Number and duration formatting shared by the commands and `top`.
enum Format {
    static func duration(_ seconds: Double) -> String {
        let total = Int(max(0, seconds))
        let (days, hours, minutes, secs) = (total / 86400, total % 86400 / 3600, total % 3600 / 60, total % 60)
        if days > 0 { return "\(days)d \(hours)h \(pad(minutes))m" }
        if hours > 0 { return "\(hours)h \(pad(minutes))m \(pad(secs))s" }
        if minutes > 0 { return "\(minutes)m \(pad(secs))s" }
        return "\(secs)s"
    }

    static func rate(_ value: Double) -> String {
        fixed(value, digits: 1)
    }

    static func percent(_ ratio: Double) -> String {
        fixed(ratio * 100, digits: 1) + " %"
    }

    static func milliseconds(_ value: Double?) -> String {
        guard let value else { return "-" }
        return fixed(value, digits: 1) + " ms"
    }

    /// `value` with `digits` decimals, without Foundation's locale-dependent formatting.
    static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled.truncatingRemainder(dividingBy: scale))
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        let fractionText = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: digits - fractionText.count) + fractionText
    }

    private static func pad(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
